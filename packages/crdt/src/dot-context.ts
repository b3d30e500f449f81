import { type Dot, DotContext } from '@lattice/clocks';
import { assertNodeId, InvalidArgumentError, type NodeId } from '@lattice/core';
import type { Reader, Writer } from './binary.js';

/**
 * `Dot` and `DotContext` are `@lattice/clocks`' (the one definition of causal metadata in
 * Lattice), re-exported here; this file writes a context in the CRDT binary format.
 */
export { type Dot, DotContext };

/**
 * Writes `context` in the CRDT binary format: per node (a string-table reference) its
 * contiguous maximum and its cloud as ascending deltas. @internal
 */
export function writeContext(w: Writer, context: DotContext): void {
  const nodes = context.nodes();
  w.uint(nodes.length);
  for (const node of nodes) {
    w.ref(node);
    const max = context.contiguous(node);
    w.uint(max);
    const cloud = context.cloudOf(node);
    w.uint(cloud.length);
    let previous = max;
    for (const counter of cloud) {
      w.uint(counter - previous);
      previous = counter;
    }
  }
}

/** Reads what {@link writeContext} wrote. @internal */
export function readContext(r: Reader): DotContext {
  const context = new DotContext();
  const count = r.count(3);
  for (let i = 0; i < count; i++) {
    const node = r.ref();
    const max = r.uint();
    if (max > 0) context.addUpTo(node, max);
    const cloudSize = r.count();
    let previous = max;
    for (let j = 0; j < cloudSize; j++) {
      previous += r.counter();
      if (previous > Number.MAX_SAFE_INTEGER) r.fail(`a cloud dot of "${node}" beyond 2^53 - 1`);
      context.add(node, previous);
    }
  }
  return context;
}

/** Checks the state a causal replica's constructor wraps (an internal parameter, so only its shape). @internal */
export function checkState(state: unknown, store: typeof Map | typeof Array, type: string): void {
  if (state === undefined) return;
  const fields = state as { store?: unknown; context?: unknown } | null;
  const storeOk = store === Array ? Array.isArray(fields?.store) : fields?.store instanceof Map;
  if (typeof state !== 'object' || state === null || !storeOk || !(fields?.context instanceof DotContext)) {
    throw new InvalidArgumentError(`${type}: the state to wrap must be { store, context } as the package builds it`);
  }
}

/** Checks a node id given to a replica constructor. @internal */
export function checkNode(node: NodeId | undefined): void {
  if (node !== undefined) assertNodeId(node);
}
