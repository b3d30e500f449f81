import { assertNodeId, DecodeError, InvalidArgumentError, type NodeId } from '@lattice/core';
import { type CausalOrder, VectorClock, type VectorClockJson, type VersionVector } from './vector-clock.js';

/** One event of one node: the `counter`-th update that `node` coordinated. */
export interface Dot {
  readonly node: NodeId;
  readonly counter: number;
}

/**
 * A dotted version vector (Preguiça, Baquero, Almeida, Fonte, Gonçalves, 2010): the dot of one
 * version plus the version vector of what its writer had seen (its causal past). Unlike a plain
 * version vector it names the version exactly, so two concurrent writes handled by the same
 * server get different, concurrent clocks instead of one falsely ordered after the other.
 *
 * @example
 * ```ts
 * import { DottedVersionVector, VersionVector } from '@lattice/clocks';
 *
 * const first = new DottedVersionVector({ node: 's', counter: 1 });
 * const second = new DottedVersionVector({ node: 's', counter: 2 }, VersionVector.from({})); // written without seeing first
 * first.compare(second); // 'concurrent'
 * const third = new DottedVersionVector({ node: 's', counter: 3 }, VersionVector.from({ s: 2 }));
 * first.compare(third);  // 'before'
 * ```
 */
export class DottedVersionVector {
  /** The version's own event. */
  readonly dot: Dot;
  /** What the writer had seen (not including `dot`). */
  readonly context: VersionVector;

  constructor(dot: Dot, context: VersionVector = new VectorClock()) {
    assertDot(dot);
    if (!(context instanceof VectorClock)) throw new InvalidArgumentError('context must be a VersionVector');
    this.dot = { node: dot.node, counter: dot.counter };
    this.context = context.clone();
  }

  /** True when this version's dot is in `other`'s causal past. */
  happenedBefore(other: DottedVersionVector): boolean {
    assertVersion(other);
    return !sameDot(this.dot, other.dot) && other.context.get(this.dot.node) >= this.dot.counter;
  }

  /** How this version relates to `other`: one of before / after / equal / concurrent. */
  compare(other: DottedVersionVector): CausalOrder {
    assertVersion(other);
    if (sameDot(this.dot, other.dot)) return 'equal';
    if (other.context.get(this.dot.node) >= this.dot.counter) return 'before';
    if (this.context.get(other.dot.node) >= other.dot.counter) return 'after';
    return 'concurrent';
  }

  /** The version vector of everything this version includes: its context plus its dot. */
  toVersionVector(): VersionVector {
    const vector = this.context.clone();
    if (vector.get(this.dot.node) < this.dot.counter) vector.set(this.dot.node, this.dot.counter);
    return vector;
  }
}

/** One concurrent version of a key held by a {@link DottedVersionVectorSet}. */
export interface Sibling<V> {
  /** The write's dot: which server coordinated it, and its counter there. */
  readonly dot: Dot;
  readonly value: V;
}

/** {@link DottedVersionVectorSet.toJSON}'s shape. */
export interface DottedVersionVectorSetJson<V> {
  context: VectorClockJson;
  siblings: { node: NodeId; counter: number; value: V }[];
}

/**
 * The server-side state of one replicated key in a Dynamo-style store (Almeida, Baquero et al.,
 * "Scalable and Accurate Causality Tracking for Eventually Consistent Stores", 2014): the
 * concurrent values (siblings), each named by a dot, and one version vector covering every
 * write this replica knows of. Clients read the values together with {@link context} and send
 * that context back with their next write; the write then replaces exactly the siblings the
 * client had seen and keeps every concurrent one.
 *
 * Guarantees: a write is discarded only if a later write's context included it; replicas that
 * have {@link sync}ed the same writes hold the same siblings (sync is commutative, associative
 * and idempotent); the state grows with the number of concurrent siblings and of servers, not
 * of clients or writes.
 *
 * @example
 * ```ts
 * import { DottedVersionVectorSet } from '@lattice/clocks';
 *
 * const key = new DottedVersionVectorSet<string>();
 * key.put('s1', 'v1');                    // blind write
 * const ctx = key.context();              // a client reads v1 with its context...
 * key.put('s1', 'v2');                    // ...meanwhile another client writes blindly
 * key.put('s1', 'v3', ctx);               // the first client's write replaces v1 only
 * key.values();                           // ['v2', 'v3']: concurrent siblings
 * key.put('s1', 'merged', key.context()); // a client that saw both resolves them
 * key.values();                           // ['merged']
 * ```
 */
export class DottedVersionVectorSet<V> {
  #context: VersionVector = new VectorClock();
  #siblings: Sibling<V>[] = [];

  /** The current siblings, ordered by dot (node id, then counter). */
  get siblings(): readonly Sibling<V>[] {
    return this.#siblings;
  }

  /** The siblings' values, in the order of {@link siblings}. */
  values(): V[] {
    return this.#siblings.map((sibling) => sibling.value);
  }

  /** The causal context to hand to a client with the values it reads (a copy). */
  context(): VersionVector {
    return this.#context.clone();
  }

  /**
   * Applies a client's write coordinated by `server`: drops the siblings `context` has seen,
   * adds `value` as a new sibling with a fresh dot of `server`, and returns that dot. Without a
   * context (a blind write) every existing sibling is kept.
   */
  put(server: NodeId, value: V, context?: VersionVector): Dot {
    assertNodeId(server, 'server');
    if (context !== undefined) this.discard(context);
    const counter = Math.max(this.#context.get(server), context?.get(server) ?? 0) + 1;
    if (context !== undefined) this.#context.merge(context);
    this.#context.set(server, counter);
    const dot: Dot = { node: server, counter };
    this.#siblings.push({ dot, value });
    this.#siblings.sort(compareSiblings);
    return dot;
  }

  /** Drops the siblings whose dots `context` covers (a delete that leaves no value), and absorbs `context`. */
  discard(context: VersionVector): this {
    if (!(context instanceof VectorClock)) throw new InvalidArgumentError('context must be a VersionVector');
    this.#siblings = this.#siblings.filter((sibling) => sibling.dot.counter > context.get(sibling.dot.node));
    this.#context.merge(context);
    return this;
  }

  /**
   * Merges another replica's state of the same key into this one (anti-entropy, read repair):
   * keeps each sibling that both hold or that the other side has not seen, and joins contexts.
   */
  sync(other: DottedVersionVectorSet<V>): this {
    if (typeof other !== 'object' || other === null || !(#siblings in other)) {
      throw new InvalidArgumentError('other must be a DottedVersionVectorSet of this package');
    }
    const mine = this.#siblings;
    const theirs = other.#siblings;
    const theirContext = other.#context;
    const merged: Sibling<V>[] = [];
    const mineDots = new Set<string>();
    for (const sibling of mine) {
      mineDots.add(dotKey(sibling.dot));
      const inTheirs = theirs.some((t) => sameDot(t.dot, sibling.dot));
      if (inTheirs || theirContext.get(sibling.dot.node) < sibling.dot.counter) merged.push(sibling);
    }
    for (const sibling of theirs) {
      if (!mineDots.has(dotKey(sibling.dot)) && this.#context.get(sibling.dot.node) < sibling.dot.counter) merged.push(sibling);
    }
    merged.sort(compareSiblings);
    this.#siblings = merged;
    this.#context.merge(theirContext);
    return this;
  }

  /** An independent copy (values are shared, not cloned). */
  clone(): DottedVersionVectorSet<V> {
    const copy = new DottedVersionVectorSet<V>();
    copy.#context = this.#context.clone();
    copy.#siblings = this.#siblings.slice();
    return copy;
  }

  /** A JSON-ready object; values are included as they are. */
  toJSON(): DottedVersionVectorSetJson<V> {
    return {
      context: this.#context.toJSON(),
      siblings: this.#siblings.map(({ dot, value }) => ({ node: dot.node, counter: dot.counter, value })),
    };
  }

  /**
   * Rebuilds a set from {@link DottedVersionVectorSet.toJSON}'s shape (parsed, or a JSON string).
   *
   * @param validate checks each value; returning false rejects the input.
   * @throws `DecodeError` for a malformed context, a malformed or duplicate dot, a dot the
   *   context does not cover, or a value `validate` rejects.
   */
  static fromJSON<V>(json: unknown, validate?: (value: unknown) => value is V): DottedVersionVectorSet<V> {
    let parsed = json;
    if (typeof json === 'string') {
      try {
        parsed = JSON.parse(json);
      } catch (cause) {
        throw new DecodeError('dotted version vector set JSON does not parse', { cause });
      }
    }
    if (typeof parsed !== 'object' || parsed === null) throw new DecodeError('dotted version vector set JSON must be an object');
    const { context, siblings } = parsed as Record<string, unknown>;
    const set = new DottedVersionVectorSet<V>();
    set.#context = VectorClock.fromJSON(context);
    if (!Array.isArray(siblings)) throw new DecodeError('dotted version vector set JSON needs a siblings array');
    const seen = new Set<string>();
    for (const entry of siblings) {
      if (typeof entry !== 'object' || entry === null) throw new DecodeError('sibling must be an object');
      const { node, counter, value } = entry as Record<string, unknown>;
      const dot = { node, counter } as Dot;
      try {
        assertDot(dot);
      } catch (cause) {
        throw new DecodeError('sibling has an invalid dot', { cause });
      }
      if (seen.has(dotKey(dot))) throw new DecodeError(`duplicate sibling dot ${dotKey(dot)}`);
      seen.add(dotKey(dot));
      if (set.#context.get(dot.node) < dot.counter) throw new DecodeError(`sibling dot ${dotKey(dot)} is not covered by the context`);
      if (validate !== undefined && !validate(value)) throw new DecodeError(`sibling ${dotKey(dot)} has an invalid value`);
      set.#siblings.push({ dot: { node: dot.node, counter: dot.counter }, value: value as V });
    }
    set.#siblings.sort(compareSiblings);
    return set;
  }
}

function assertDot(dot: unknown): asserts dot is Dot {
  if (typeof dot !== 'object' || dot === null) throw new InvalidArgumentError('dot must be an object');
  const { node, counter } = dot as Record<string, unknown>;
  assertNodeId(node, 'dot.node');
  if (typeof counter !== 'number' || !Number.isSafeInteger(counter) || counter < 1) {
    throw new InvalidArgumentError(`dot.counter must be a safe integer >= 1, got ${String(counter)}`);
  }
}

function sameDot(a: Dot, b: Dot): boolean {
  return a.counter === b.counter && a.node === b.node;
}

function dotKey(dot: Dot): string {
  return `${dot.node}:${dot.counter}`;
}

function compareSiblings<V>(a: Sibling<V>, b: Sibling<V>): number {
  if (a.dot.node !== b.dot.node) return a.dot.node < b.dot.node ? -1 : 1;
  return a.dot.counter - b.dot.counter;
}

function assertVersion(other: unknown): asserts other is DottedVersionVector {
  if (!(other instanceof DottedVersionVector)) throw new InvalidArgumentError('other must be a DottedVersionVector');
}
