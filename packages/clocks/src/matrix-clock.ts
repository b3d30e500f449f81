import { assertInteger, assertNodeId, ByteReader, ByteWriter, DecodeError, InvalidArgumentError, type NodeId, UnsupportedVersionError } from '@lattice/core';
import { readVectorClock, VectorClock, type VectorClockJson, writeVectorClock } from './vector-clock.js';
import { readNodeId } from './node-id.js';

/** A matrix clock as JSON: each node's row (its vector clock, as this node knows it). */
export type MatrixClockJson = Record<NodeId, VectorClockJson>;

const FORMAT_VERSION = 1;
const DEFAULT_MAX_ROWS = 4_096;

/**
 * A matrix clock (Wuu and Bernstein, 1984; Raynal's survey): this node's vector clock plus
 * what it knows of every other member's vector clock. Its {@link MatrixClock.stable} point,
 * the minimum of each column, says which events every member has already seen, which is what
 * you need to garbage-collect logs, tombstones or buffered messages safely.
 *
 * Every node that appears in a row or an entry becomes a member; remove departed ones with
 * {@link MatrixClock.removeMember} (until then they hold the stable point back).
 *
 * @example
 * ```ts
 * import { MatrixClock } from '@lattice/clocks';
 *
 * const a = new MatrixClock('a', ['b']);
 * const b = new MatrixClock('b', ['a']);
 * b.receive('a', a.send());        // b learns a's event 1
 * a.receive('b', b.send());        // a learns b knows it
 * a.stable().get('a');             // 1: every member has seen a's first event
 * ```
 */
export class MatrixClock {
  /** This node's id. */
  readonly node: NodeId;
  readonly #rows = new Map<NodeId, VectorClock>();

  /** Creates the clock of `node`, with the other initial `members` (more join as they are heard of). */
  constructor(node: NodeId, members: Iterable<NodeId> = []) {
    assertNodeId(node);
    this.node = node;
    this.#rows.set(node, new VectorClock());
    if (typeof members !== 'object' || members === null || typeof (members as Partial<Iterable<NodeId>>)[Symbol.iterator] !== 'function') {
      throw new InvalidArgumentError('members must be an iterable of node ids');
    }
    for (const member of members) this.addMember(member);
  }

  /** The current members (nodes with a row), this node included. */
  members(): NodeId[] {
    return [...this.#rows.keys()].sort();
  }

  /** Adds a member with an empty row (no-op if known). */
  addMember(node: NodeId): this {
    assertNodeId(node);
    if (!this.#rows.has(node)) this.#rows.set(node, new VectorClock());
    return this;
  }

  /** Forgets a departed member's row, so it no longer holds the stable point back. */
  removeMember(node: NodeId): this {
    assertNodeId(node);
    if (node !== this.node) this.#rows.delete(node);
    return this;
  }

  /** This node's own vector clock (a copy). */
  get vector(): VectorClock {
    return this.#own.clone();
  }

  /** What this node knows of `node`'s vector clock (a copy; empty if unknown). */
  row(node: NodeId): VectorClock {
    assertNodeId(node);
    return this.#rows.get(node)?.clone() ?? new VectorClock();
  }

  /** Records a local event; returns this node's vector clock after it (a copy). */
  tick(): VectorClock {
    this.#own.increment(this.node);
    return this.#own.clone();
  }

  /** Records a send event; attach the returned matrix to the message. */
  send(): MatrixClockJson {
    this.#own.increment(this.node);
    return this.toJSON();
  }

  /**
   * Records the receipt of a message from `from` carrying its matrix: every row becomes the
   * join of what both knew, this node's row absorbs the sender's, then this node ticks.
   *
   * @throws `DecodeError` if `matrix` is malformed (nothing is changed then).
   */
  receive(from: NodeId, matrix: MatrixClockJson | MatrixClock): VectorClock {
    assertNodeId(from, 'from');
    const rows = matrix instanceof MatrixClock ? matrix.#rows : parseRows(matrix);
    for (const [node, row] of rows) {
      this.addMember(node);
      this.#rows.get(node)!.merge(row);
      for (const member of row.nodes()) this.addMember(member);
    }
    this.addMember(from);
    const senderRow = rows.get(from);
    if (senderRow !== undefined) this.#own.merge(senderRow);
    this.#own.increment(this.node);
    return this.#own.clone();
  }

  /**
   * The stable point: for each node, the highest counter every member is known to have seen
   * (the minimum of that column over all rows). Events at or below it are known everywhere.
   */
  stable(): VectorClock {
    const columns = new Set<NodeId>();
    for (const row of this.#rows.values()) for (const node of row.nodes()) columns.add(node);
    const result = new VectorClock();
    for (const column of columns) {
      let minimum = Number.POSITIVE_INFINITY;
      for (const row of this.#rows.values()) {
        const value = row.get(column);
        if (value < minimum) minimum = value;
        if (minimum === 0) break;
      }
      if (minimum > 0) result.set(column, minimum);
    }
    return result;
  }

  /** True when every member is known to have seen event `counter` of `node`. */
  isStable(node: NodeId, counter: number): boolean {
    assertNodeId(node);
    assertInteger(counter, 'counter', 0);
    for (const row of this.#rows.values()) if (row.get(node) < counter) return false;
    return true;
  }

  /** The matrix as plain JSON (rows by node). */
  toJSON(): MatrixClockJson {
    const json: MatrixClockJson = {};
    for (const node of this.members()) {
      Object.defineProperty(json, node, { value: this.#rows.get(node)!.toJSON(), enumerable: true, writable: true, configurable: true });
    }
    return json;
  }

  /** Compact binary form: a format byte, the row count, then each row's node id and vector clock. */
  encode(): Uint8Array {
    const writer = new ByteWriter();
    writer.byte(FORMAT_VERSION);
    const members = this.members();
    writer.uint(members.length);
    for (const node of members) {
      writer.string(node);
      writeVectorClock(writer, this.#rows.get(node)!);
    }
    return writer.finish();
  }

  /**
   * Decodes {@link MatrixClock.encode}'s bytes as the matrix of `node` (normally the node that
   * encoded it, restoring its state).
   *
   * @throws `DecodeError` on malformed, truncated or oversized input, `UnsupportedVersionError`
   *   on a newer format version.
   */
  static decode(bytes: Uint8Array, node: NodeId, options?: { maxRows?: number }): MatrixClock {
    const reader = new ByteReader(bytes, 'matrix clock');
    const version = reader.byte();
    if (version > FORMAT_VERSION) throw new UnsupportedVersionError(version, FORMAT_VERSION, 'matrix clock format');
    if (version !== FORMAT_VERSION) reader.fail(`unknown format ${version}`);
    const count = reader.uint();
    const maxRows = options?.maxRows ?? DEFAULT_MAX_ROWS;
    if (count > maxRows) reader.fail(`${count} rows, more than ${maxRows}`);
    const clock = new MatrixClock(node);
    let previous: string | undefined;
    for (let i = 0; i < count; i++) {
      const member = readNodeId(reader);
      if (previous !== undefined && !(previous < member)) reader.fail('rows not in strictly increasing node-id order');
      previous = member;
      clock.#rows.set(member, readVectorClock(reader));
    }
    reader.end();
    return clock;
  }

  /** Rebuilds the matrix of `node` from {@link MatrixClock.toJSON}'s shape; `DecodeError` if malformed. */
  static fromJSON(json: unknown, node: NodeId): MatrixClock {
    const clock = new MatrixClock(node);
    for (const [member, row] of parseRows(json)) clock.#rows.set(member, row);
    return clock;
  }

  get #own(): VectorClock {
    return this.#rows.get(this.node)!;
  }
}

function parseRows(json: unknown): Map<NodeId, VectorClock> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new DecodeError('matrix clock JSON must be an object');
  const rows = new Map<NodeId, VectorClock>();
  const keys = Object.keys(json);
  if (keys.length > DEFAULT_MAX_ROWS) throw new DecodeError(`matrix clock has ${keys.length} rows, more than ${DEFAULT_MAX_ROWS}`);
  for (const node of keys) {
    try {
      assertNodeId(node);
    } catch (cause) {
      throw new DecodeError('matrix clock row has an invalid node id', { cause });
    }
    rows.set(node, VectorClock.fromJSON((json as Record<string, unknown>)[node]));
  }
  return rows;
}
