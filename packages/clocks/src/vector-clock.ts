import { assertNodeId, assertObject, assertOptionalObject, ByteReader, ByteWriter, DecodeError, InvalidArgumentError, type NodeId, UnsupportedVersionError } from '@lattice/core';
import { readNodeId } from './node-id.js';

/** How two vector clocks (or the events they stamp) relate. Exactly one holds. */
export type CausalOrder = 'before' | 'after' | 'equal' | 'concurrent';

/** A vector clock as plain JSON: node id → counter. Missing entries are 0. */
export type VectorClockJson = Record<NodeId, number>;

/** Options of {@link VectorClock.decode} and {@link VectorClock.fromJSON}. */
export interface VectorClockDecodeOptions {
  /** Refuse clocks with more entries than this (a `DecodeError`). Default 65,536. */
  maxEntries?: number;
}

/**
 * What {@link VectorClock.prune} removes. Each criterion removes entries; `protect` wins over
 * all of them.
 *
 * Pruning is lossy: a pruned entry reads as 0, so a clock that lost entry `x: 5` compares as
 * `before` (not `concurrent` or `after`) a clock that still has it. A write stamped with the
 * pruned clock can then be judged already-seen and be discarded, or a conflict go undetected.
 * Prune only entries whose events every replica has seen (the matrix clock's stable point
 * tells you), or accept that risk for members gone for good.
 */
export interface VectorClockPrunePolicy {
  /** Remove these members' entries (they left the cluster for good). */
  departed?: Iterable<NodeId>;
  /** Remove every entry whose node is not one of these (the current membership). */
  members?: Iterable<NodeId>;
  /**
   * When each entry was last updated (ms), e.g. from your membership or failure detector.
   * Entries it returns undefined for are never pruned by age or by `maxEntries`.
   */
  lastUpdated?: (node: NodeId) => number | undefined;
  /** With `lastUpdated` and `now`: remove entries not updated for more than this many ms. */
  maxAgeMs?: number;
  /** The current time (ms) for `maxAgeMs`. */
  now?: number;
  /** With `lastUpdated`: then remove the least recently updated entries until at most this many remain (Riak's `big_vclock`). */
  maxEntries?: number;
  /** Never remove these (typically the local node). */
  protect?: Iterable<NodeId>;
}

const FORMAT_VERSION = 1;
const DEFAULT_MAX_ENTRIES = 65_536;
const LINEAR_SCAN_LIMIT = 16;

/**
 * A vector clock (Fidge, Mattern 1988): one counter per node, so that `a.compare(b)` tells
 * exactly whether the event stamped `a` happened before, after, or concurrently with the one
 * stamped `b` (or they are the same). Also serves as a version vector (see {@link VersionVector}).
 *
 * Entries are kept as sorted parallel arrays of node ids and counters; clocks that share a
 * membership share the (immutable) id array, which makes `compare` and `merge` a single
 * numeric loop. Zero entries are not stored: a missing node reads as 0.
 *
 * Mutating methods (`increment`, `merge`, `set`, `delete`, `prune`) change the clock in place
 * and return it; `clone()` first when you need to keep the old value.
 *
 * @example
 * ```ts
 * import { VectorClock } from '@lattice/clocks';
 *
 * const a = new VectorClock().increment('a');       // {a:1}
 * const b = a.clone().increment('b');               // {a:1,b:1}: a's event happened before
 * a.increment('a');                                 // {a:2}: now concurrent with b
 * a.compare(b);                                     // 'concurrent'
 * b.merge(a).increment('b');                        // receive: merge, then tick
 * a.happenedBefore(b);                              // true
 * ```
 */
export class VectorClock {
  #ids: readonly NodeId[];
  #counts: number[];
  #hint = 0;

  /** An empty clock (every node at 0). */
  constructor() {
    this.#ids = EMPTY_IDS;
    this.#counts = [];
  }

  /** Builds a clock from a JSON object or [node, counter] pairs; entries of 0 are dropped. */
  static from(entries: Readonly<Record<NodeId, number>> | Iterable<readonly [NodeId, number]>): VectorClock {
    if (typeof entries !== 'object' || entries === null) {
      throw new InvalidArgumentError(`vector clock entries must be an object or an iterable of [node, counter] pairs, got ${String(entries)}`);
    }
    const pairs: [NodeId, number][] = [];
    const source: Iterable<readonly [NodeId, number]> =
      Symbol.iterator in entries ? (entries as Iterable<readonly [NodeId, number]>) : Object.entries(entries);
    for (const [node, count] of source) {
      assertNodeId(node);
      assertCounter(count, node);
      if (count > 0) pairs.push([node, count]);
    }
    pairs.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    for (let i = 1; i < pairs.length; i++) {
      if (pairs[i]![0] === pairs[i - 1]![0]) throw new InvalidArgumentError(`duplicate vector clock entry for ${JSON.stringify(pairs[i]![0])}`);
    }
    return VectorClock.#of(
      pairs.map((pair) => pair[0]),
      pairs.map((pair) => pair[1]),
    );
  }

  /**
   * Throws `InvalidArgumentError` unless `value` is a clock of this copy of the package (its
   * private state is what the operations read; a plain object would fail with a `TypeError`).
   */
  static #idsOf(other: VectorClock): readonly NodeId[] {
    // Reading the private field is the brand check itself: a non-clock makes it throw, and the
    // catch turns that TypeError into a typed error at no cost to the calls that succeed.
    try {
      return other.#ids;
    } catch {
      throw VectorClock.#notAClock(other, 'other');
    }
  }

  static #notAClock(value: unknown, what: string): InvalidArgumentError {
    return new InvalidArgumentError(`${what} must be a VectorClock (or VersionVector) of this package, got ${value === null ? 'null' : typeof value}`);
  }

  static #assert(value: unknown, what: string): asserts value is VectorClock {
    if (typeof value !== 'object' || value === null || !(#ids in value)) {
      throw new InvalidArgumentError(`${what} must be a VectorClock (or VersionVector) of this package, got ${value === null ? 'null' : typeof value}`);
    }
  }

  static #of(ids: readonly NodeId[], counts: number[]): VectorClock {
    const clock = new VectorClock();
    clock.#ids = ids;
    clock.#counts = counts;
    return clock;
  }

  /** A new clock that is the join (entry-wise maximum) of `a` and `b`. */
  static join(a: VectorClock, b: VectorClock): VectorClock {
    VectorClock.#assert(a, 'a');
    return a.clone().merge(b);
  }

  /** Number of non-zero entries. */
  get size(): number {
    return this.#counts.length;
  }

  /** The counter of `node` (0 if absent). */
  get(node: NodeId): number {
    const index = this.#find(node);
    if (index >= 0) return this.#counts[index]!;
    // Checked only on a miss, so a hit costs nothing: a node id that is not a string is a mistake, not an absent node.
    if (typeof node !== 'string') assertNodeId(node);
    return 0;
  }

  /** The node ids with a non-zero entry, in sorted order. */
  nodes(): readonly NodeId[] {
    return this.#ids;
  }

  /** The `[node, counter]` entries in node-id order. */
  *entries(): IterableIterator<[NodeId, number]> {
    const ids = this.#ids;
    const counts = this.#counts;
    for (let i = 0; i < ids.length; i++) yield [ids[i]!, counts[i]!];
  }

  /** Adds one to `node`'s entry (a local or send event at `node`). Returns this clock. */
  increment(node: NodeId): this {
    // Fast path, small enough to inline: the hint (last index found) is usually the local node.
    const hint = this.#hint;
    if (this.#ids[hint] === node) {
      const counts = this.#counts;
      const count = counts[hint]!;
      if (count < Number.MAX_SAFE_INTEGER) {
        counts[hint] = count + 1;
        return this;
      }
    }
    return this.#incrementSlow(node);
  }

  #incrementSlow(node: NodeId): this {
    const index = this.#find(node);
    if (index >= 0) {
      const count = this.#counts[index]!;
      if (count >= Number.MAX_SAFE_INTEGER) throw new InvalidArgumentError(`vector clock entry ${node} exhausted Number.MAX_SAFE_INTEGER`);
      this.#counts[index] = count + 1;
      return this;
    }
    assertNodeId(node);
    this.#insert(~index, node, 1);
    return this;
  }

  /** Sets `node`'s entry to `count` (0 removes it). Returns this clock. */
  set(node: NodeId, count: number): this {
    assertCounter(count, node);
    const index = this.#find(node);
    if (index >= 0) {
      if (count === 0) this.#remove(index);
      else this.#counts[index] = count;
    } else if (count > 0) {
      assertNodeId(node);
      this.#insert(~index, node, count);
    }
    return this;
  }

  /** Removes `node`'s entry (it reads as 0 afterwards). Returns this clock. */
  delete(node: NodeId): this {
    const index = this.#find(node);
    if (index >= 0) this.#remove(index);
    else if (typeof node !== 'string') assertNodeId(node);
    return this;
  }

  /** Joins `other` into this clock (entry-wise maximum): what a receive does before its tick. Returns this clock. */
  merge(other: VectorClock): this {
    const ids = this.#ids;
    const otherIds = VectorClock.#idsOf(other);
    const counts = this.#counts;
    const otherCounts = other.#counts;
    const length = ids.length;
    if (ids === otherIds || (length === otherIds.length && sameIds(ids, otherIds))) {
      for (let i = 0; i < length; i++) {
        const theirs = otherCounts[i]!;
        if (theirs > counts[i]!) counts[i] = theirs;
      }
      // Share the id array from now on: later compares and merges take the fast path.
      this.#ids = otherIds;
      return this;
    }
    const otherLength = otherIds.length;
    const mergedIds: NodeId[] = [];
    const mergedCounts: number[] = [];
    let i = 0;
    let j = 0;
    let adoptOther = true;
    while (i < length && j < otherLength) {
      const x = ids[i]!;
      const y = otherIds[j]!;
      if (x === y) {
        const mine = counts[i++]!;
        const theirs = otherCounts[j++]!;
        mergedIds.push(x);
        mergedCounts.push(Math.max(mine, theirs));
      } else if (x < y) {
        adoptOther = false;
        mergedIds.push(x);
        mergedCounts.push(counts[i++]!);
      } else {
        mergedIds.push(y);
        mergedCounts.push(otherCounts[j++]!);
      }
    }
    if (i < length) adoptOther = false;
    for (; i < length; i++) {
      mergedIds.push(ids[i]!);
      mergedCounts.push(counts[i]!);
    }
    for (; j < otherLength; j++) {
      mergedIds.push(otherIds[j]!);
      mergedCounts.push(otherCounts[j]!);
    }
    this.#ids = adoptOther ? otherIds : mergedIds;
    this.#counts = mergedCounts;
    return this;
  }

  /**
   * How this clock relates to `other`: `'before'` (every entry <=, one <), `'after'`, `'equal'`,
   * or `'concurrent'` (each has an entry greater than the other's). Equal and concurrent are
   * never conflated.
   */
  compare(other: VectorClock): CausalOrder {
    const ids = this.#ids;
    const otherIds = VectorClock.#idsOf(other);
    const counts = this.#counts;
    const otherCounts = other.#counts;
    let less = false;
    let greater = false;
    if (ids === otherIds) {
      for (let i = 0; i < counts.length; i++) {
        const mine = counts[i]!;
        const theirs = otherCounts[i]!;
        if (mine < theirs) {
          if (greater) return 'concurrent';
          less = true;
        } else if (mine > theirs) {
          if (less) return 'concurrent';
          greater = true;
        }
      }
    } else {
      const length = ids.length;
      const otherLength = otherIds.length;
      let i = 0;
      let j = 0;
      while (i < length && j < otherLength) {
        const x = ids[i]!;
        const y = otherIds[j]!;
        if (x === y) {
          const mine = counts[i++]!;
          const theirs = otherCounts[j++]!;
          if (mine < theirs) less = true;
          else if (mine > theirs) greater = true;
          else continue;
        } else if (x < y) {
          i++;
          greater = true;
        } else {
          j++;
          less = true;
        }
        if (less && greater) return 'concurrent';
      }
      if (i < length) greater = true;
      if (j < otherLength) less = true;
      if (less && greater) return 'concurrent';
    }
    return less ? 'before' : greater ? 'after' : 'equal';
  }

  /** True when this clock's event happened before `other`'s (`compare` is `'before'`). */
  happenedBefore(other: VectorClock): boolean {
    return this.compare(other) === 'before';
  }

  /** True when neither event happened before the other and they differ. */
  isConcurrent(other: VectorClock): boolean {
    return this.compare(other) === 'concurrent';
  }

  /** True when every entry equals `other`'s. */
  equals(other: VectorClock): boolean {
    return this.compare(other) === 'equal';
  }

  /** True when this clock has seen everything `other` has (`after` or `equal`). */
  descends(other: VectorClock): boolean {
    const order = this.compare(other);
    return order === 'after' || order === 'equal';
  }

  /** An independent copy. */
  clone(): VectorClock {
    return VectorClock.#of(this.#ids, this.#counts.slice());
  }

  /**
   * Removes entries according to `policy` and returns the removed node ids. Read the risk in
   * {@link VectorClockPrunePolicy} first.
   */
  prune(policy: VectorClockPrunePolicy): NodeId[] {
    assertObject(policy, 'prune policy');
    for (const list of ['protect', 'departed', 'members'] as const) {
      const value = policy[list];
      if (value !== undefined && typeof (value as Partial<Iterable<NodeId>>)?.[Symbol.iterator] !== 'function') {
        throw new InvalidArgumentError(`prune policy.${list} must be an iterable of node ids`);
      }
    }
    const protect = new Set(policy.protect ?? []);
    const remove = new Set<NodeId>();
    for (const node of policy.departed ?? []) remove.add(node);
    if (policy.members !== undefined) {
      const members = new Set(policy.members);
      for (const node of this.#ids) if (!members.has(node)) remove.add(node);
    }
    const { lastUpdated, maxAgeMs, now, maxEntries } = policy;
    if (maxAgeMs !== undefined || maxEntries !== undefined) {
      if (lastUpdated === undefined) throw new InvalidArgumentError('pruning by age or size needs lastUpdated');
    }
    if (maxAgeMs !== undefined && lastUpdated !== undefined) {
      if (now === undefined || !Number.isFinite(now)) throw new InvalidArgumentError('pruning by age needs now');
      if (!(maxAgeMs >= 0)) throw new InvalidArgumentError(`maxAgeMs must be >= 0, got ${maxAgeMs}`);
      for (const node of this.#ids) {
        const updated = lastUpdated(node);
        if (updated !== undefined && now - updated > maxAgeMs) remove.add(node);
      }
    }
    if (maxEntries !== undefined && lastUpdated !== undefined) {
      if (!Number.isInteger(maxEntries) || maxEntries < 0) throw new InvalidArgumentError(`maxEntries must be an integer >= 0, got ${maxEntries}`);
      const candidates = this.#ids
        .filter((node) => !remove.has(node) && !protect.has(node))
        .map((node) => ({ node, updated: lastUpdated(node) }))
        .filter((entry): entry is { node: NodeId; updated: number } => entry.updated !== undefined)
        .sort((x, y) => x.updated - y.updated);
      let excess = this.#ids.length - remove.size - maxEntries;
      for (const { node } of candidates) {
        if (excess <= 0) break;
        remove.add(node);
        excess--;
      }
    }
    const removed: NodeId[] = [];
    const keptIds: NodeId[] = [];
    const keptCounts: number[] = [];
    for (let i = 0; i < this.#ids.length; i++) {
      const node = this.#ids[i]!;
      if (remove.has(node) && !protect.has(node)) removed.push(node);
      else {
        keptIds.push(node);
        keptCounts.push(this.#counts[i]!);
      }
    }
    if (removed.length > 0) {
      this.#ids = keptIds;
      this.#counts = keptCounts;
    }
    return removed;
  }

  /** The clock as a plain object, `{ node: counter }`, in node-id order. */
  toJSON(): VectorClockJson {
    const json: VectorClockJson = {};
    const ids = this.#ids;
    for (let i = 0; i < ids.length; i++) {
      const node = ids[i]!;
      if (node === '__proto__') Object.defineProperty(json, node, { value: this.#counts[i], enumerable: true, writable: true, configurable: true });
      else json[node] = this.#counts[i]!;
    }
    return json;
  }

  /** `JSON.stringify(this.toJSON())`, e.g. `{"a":2,"b":1}`. */
  toString(): string {
    return JSON.stringify(this.toJSON());
  }

  /**
   * Reads {@link VectorClock.toJSON}'s shape (a parsed object, or a JSON string).
   *
   * @throws `DecodeError` for anything else: non-objects, invalid node ids, counters that are
   *   negative, non-integer or above 2^53 - 1, or more than `maxEntries` entries.
   */
  static fromJSON(value: unknown, options?: VectorClockDecodeOptions): VectorClock {
    assertOptionalObject(options, 'options');
    let parsed = value;
    if (typeof value === 'string') {
      try {
        parsed = JSON.parse(value);
      } catch (cause) {
        throw new DecodeError('vector clock JSON does not parse', { cause });
      }
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new DecodeError('vector clock JSON must be an object');
    const keys = Object.keys(parsed);
    const maxEntries = options?.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (keys.length > maxEntries) throw new DecodeError(`vector clock has ${keys.length} entries, more than ${maxEntries}`);
    try {
      return VectorClock.from(keys.map((key) => [key, (parsed as Record<string, unknown>)[key] as number] as const));
    } catch (cause) {
      throw new DecodeError(`invalid vector clock JSON: ${(cause as Error).message}`, { cause });
    }
  }

  /**
   * Compact binary encoding: a format byte, the entry count, then per entry the UTF-8 node id
   * (length-prefixed) and the counter, as unsigned LEB128 varints, in node-id order.
   * A 4-entry clock with short ids and small counters takes about 17 bytes.
   */
  encode(): Uint8Array {
    const ids = this.#ids;
    const counts = this.#counts;
    // Fast path (ASCII node ids, the usual case): size the output exactly and write it in one pass.
    let size = 1 + varintSize(ids.length);
    let ascii = true;
    for (let i = 0; i < ids.length && ascii; i++) {
      const id = ids[i]!;
      for (let j = 0; j < id.length; j++) {
        if (id.charCodeAt(j) >= 0x80) {
          ascii = false;
          break;
        }
      }
      size += varintSize(id.length) + id.length + varintSize(counts[i]!);
    }
    if (ascii) {
      const out = new Uint8Array(size);
      out[0] = FORMAT_VERSION;
      let at = writeVarint(out, 1, ids.length);
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        at = writeVarint(out, at, id.length);
        for (let j = 0; j < id.length; j++) out[at++] = id.charCodeAt(j);
        at = writeVarint(out, at, counts[i]!);
      }
      return out;
    }
    return this.#encodeSlow();
  }

  #encodeSlow(): Uint8Array {
    const writer = new ByteWriter(8 + this.#ids.length * 12);
    writer.byte(FORMAT_VERSION);
    const ids = this.#ids;
    writer.uint(ids.length);
    for (let i = 0; i < ids.length; i++) {
      writer.string(ids[i]!);
      writer.uint(this.#counts[i]!);
    }
    return writer.finish();
  }

  /**
   * Decodes {@link VectorClock.encode}'s bytes.
   *
   * @throws `DecodeError` if the bytes are truncated, have trailing garbage, an unknown format
   *   byte, unsorted or duplicate entries, zero or oversized counters, or too many entries;
   *   `UnsupportedVersionError` on a newer format version.
   */
  static decode(bytes: Uint8Array, options?: VectorClockDecodeOptions): VectorClock {
    assertOptionalObject(options, 'options');
    const reader = new ByteReader(bytes, 'vector clock');
    const version = reader.byte();
    if (version > FORMAT_VERSION) throw new UnsupportedVersionError(version, FORMAT_VERSION, 'vector clock format');
    if (version !== FORMAT_VERSION) reader.fail(`unknown format ${version}`);
    const count = reader.uint();
    const maxEntries = options?.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (count > maxEntries) reader.fail(`${count} entries, more than ${maxEntries}`);
    const ids: NodeId[] = [];
    const counts: number[] = [];
    let previous: string | undefined;
    for (let i = 0; i < count; i++) {
      const node = readNodeId(reader);
      if (previous !== undefined && !(previous < node)) reader.fail('entries not in strictly increasing node-id order');
      const value = reader.uint();
      if (value === 0) reader.fail('zero counter');
      ids.push(node);
      counts.push(value);
      previous = node;
    }
    reader.end();
    return VectorClock.#of(ids, counts);
  }

  /** Index of `node`, or the bitwise complement of its insertion point. */
  #find(node: NodeId): number {
    const ids = this.#ids;
    const hint = this.#hint;
    if (ids[hint] === node) return hint;
    const length = ids.length;
    if (length <= LINEAR_SCAN_LIMIT) {
      for (let i = 0; i < length; i++) {
        if (ids[i] === node) {
          this.#hint = i;
          return i;
        }
      }
    }
    let low = 0;
    let high = length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const id = ids[mid]!;
      if (id === node) {
        this.#hint = mid;
        return mid;
      }
      if (id < node) low = mid + 1;
      else high = mid;
    }
    return ~low;
  }

  #insert(index: number, node: NodeId, count: number): void {
    const ids = this.#ids.slice();
    ids.splice(index, 0, node);
    this.#ids = ids;
    this.#counts.splice(index, 0, count);
    this.#hint = index;
  }

  #remove(index: number): void {
    const ids = this.#ids.slice();
    ids.splice(index, 1);
    this.#ids = ids;
    this.#counts.splice(index, 1);
    this.#hint = 0;
  }
}

/**
 * A version vector: the same structure and operations as a {@link VectorClock}, used to version
 * the replicas of a data item (one entry per replica that updated it) rather than to stamp
 * every event. {@link DottedVersionVectorSet} uses it as the causal context clients carry.
 *
 * @example
 * ```ts
 * const seen = VersionVector.from({ r1: 2, r2: 1 });
 * seen.descends(VersionVector.from({ r1: 1 })); // true
 * ```
 */
export const VersionVector: typeof VectorClock = VectorClock;
/** A version vector (see the {@link VersionVector} value). */
export type VersionVector = VectorClock;

/** Writes a clock's entry count and entries (no format byte), for the encodings of composite clocks. */
export function writeVectorClock(writer: ByteWriter, clock: VectorClock): void {
  const ids = clock.nodes();
  writer.uint(ids.length);
  for (const [node, count] of clock.entries()) {
    writer.string(node);
    writer.uint(count);
  }
}

/** Reads what {@link writeVectorClock} wrote; malformed input is a `DecodeError`. */
export function readVectorClock(reader: ByteReader, maxEntries = DEFAULT_MAX_ENTRIES): VectorClock {
  const count = reader.uint();
  if (count > maxEntries) reader.fail(`${count} entries, more than ${maxEntries}`);
  const pairs: [NodeId, number][] = [];
  let previous: string | undefined;
  for (let i = 0; i < count; i++) {
    const node = readNodeId(reader);
    if (previous !== undefined && !(previous < node)) reader.fail('entries not in strictly increasing node-id order');
    const value = reader.uint();
    if (value === 0) reader.fail('zero counter');
    pairs.push([node, value]);
    previous = node;
  }
  return VectorClock.from(pairs);
}

const EMPTY_IDS: readonly NodeId[] = Object.freeze([]);

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

function writeVarint(out: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[at++] = value;
  return at;
}

function sameIds(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function assertCounter(value: unknown, node: NodeId): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`vector clock entry ${JSON.stringify(node)} must be a safe integer >= 0, got ${String(value)}`);
  }
}
