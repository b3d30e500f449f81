import type { HybridLogicalClock } from '@lattice/clocks';
import { DecodeError, InvalidArgumentError, type NodeId } from '@lattice/core';
import type { Reader, Writer } from './binary.js';
import { type Crdt, type CrdtTypeDescriptor, joinMismatch } from './crdt.js';
import { checkNode } from './dot-context.js';
import { ReadOnlyReplicaError } from './errors.js';
import {
  type LwwOptions,
  lwwClock,
  observe,
  readTimestamp,
  type Stamped,
  timestampFromJSON,
  timestampToJSON,
  wins,
  writeTimestamp,
} from './lww-register.js';
import { assertKey, compareKeys, expect, type JsonValue, type Key, readJsonValue, readKey, toStoredValue, writeJsonValue, writeKey } from './values.js';

/**
 * Last-writer-wins map: every key is an LWW register; deletions are timestamped tombstones, so
 * a delete beats an older concurrent write and loses to a newer one. Concurrent writes to the
 * same key lose all but one by design, and tombstones are kept (one timestamp per deleted key).
 *
 * @example
 * ```ts
 * const a = new LWWMap<string, number>('a');
 * const b = new LWWMap<string, number>('b');
 * b.join(a.set('x', 1));
 * b.join(b.delete('x'));
 * b.has('x'); // false
 * ```
 */
export class LWWMap<K extends Key = Key, V extends JsonValue = JsonValue> implements Crdt<Map<K, V>> {
  readonly node: NodeId | undefined;
  /** @internal */
  readonly entries: Map<K, Stamped<V>>;
  readonly #hlc: HybridLogicalClock | undefined;
  readonly #options: LwwOptions;

  /**
   * @param node - this replica's node id (needed to write; omit for a read-only state).
   * @param options - the clock of the writes.
   * @param entries - @internal the writes to wrap.
   */
  constructor(node?: NodeId, options: LwwOptions = {}, entries: Map<K, Stamped<V>> = new Map()) {
    checkNode(node);
    if (!(entries instanceof Map)) throw new InvalidArgumentError('LWWMap: the writes to wrap must be a Map as the package builds it');
    this.node = node;
    this.#options = options;
    this.#hlc = lwwClock(node, options);
    this.entries = entries;
  }

  get type(): CrdtTypeDescriptor {
    return { name: 'lww-map' };
  }

  /** Writes `value` at `key`; returns the delta. */
  set(key: K, value: V): LWWMap<K, V> {
    assertKey(key);
    return this.#write(key, toStoredValue(value), 'LWWMap.set');
  }

  /** Deletes `key` (a timestamped tombstone); returns the delta. */
  delete(key: K): LWWMap<K, V> {
    assertKey(key);
    return this.#write(key, undefined, 'LWWMap.delete');
  }

  #write(key: K, value: V | undefined, operation: string): LWWMap<K, V> {
    if (this.#hlc === undefined) throw new ReadOnlyReplicaError(operation);
    const previous = this.entries.get(key);
    if (previous !== undefined) observe(this.#hlc, previous.timestamp);
    const entry: Stamped<V> = { value, timestamp: this.#hlc.now() };
    this.entries.set(key, entry);
    return new LWWMap<K, V>(undefined, {}, new Map([[key, entry]]));
  }

  get(key: K): V | undefined {
    assertKey(key);
    return this.entries.get(key)?.value;
  }

  has(key: K): boolean {
    assertKey(key);
    return this.entries.get(key)?.value !== undefined;
  }

  /** Number of tombstones (deleted keys whose deletion timestamp is kept). */
  get tombstones(): number {
    let count = 0;
    for (const entry of this.entries.values()) if (entry.value === undefined) count++;
    return count;
  }

  value(): Map<K, V> {
    const result = new Map<K, V>();
    for (const [key, entry] of this.entries) if (entry.value !== undefined) result.set(key, entry.value);
    return result;
  }

  join(other: this): this {
    if (!(other instanceof LWWMap)) joinMismatch(this, other);
    for (const [key, entry] of other.entries) {
      // The HLC observes a key's winning timestamp lazily, at the next local write of that key.
      if (wins(this.entries.get(key), entry)) this.entries.set(key, entry);
    }
    return this;
  }

  clone(): this {
    return new LWWMap<K, V>(this.node, this.#hlc === undefined ? this.#options : { hlc: this.#hlc }, new Map(this.entries)) as this;
  }

  empty(): this {
    return new LWWMap<K, V>() as this;
  }

  /** @internal */
  writeState(w: Writer): void {
    w.uint(this.entries.size);
    for (const [key, entry] of this.entries) {
      writeKey(w, key);
      writeTimestamp(w, entry.timestamp);
      if (entry.value === undefined) w.byte(0);
      else {
        w.byte(1);
        writeJsonValue(w, entry.value);
      }
    }
  }

  /** @internal */
  stateToJSON(): unknown {
    return [...this.entries]
      .sort(([a], [b]) => compareKeys(a, b))
      .map(([key, entry]) => (entry.value === undefined ? [key, timestampToJSON(entry.timestamp)] : [key, timestampToJSON(entry.timestamp), entry.value]));
  }

  /** @internal */
  static readState(r: Reader): LWWMap {
    const entries = new Map<Key, Stamped<JsonValue>>();
    const count = r.count(5);
    for (let i = 0; i < count; i++) {
      const key = readKey(r);
      const timestamp = readTimestamp(r);
      const present = r.byte();
      if (present > 1) throw new DecodeError(`Invalid presence flag ${present}`);
      const entry = { timestamp, value: present === 1 ? readJsonValue(r) : undefined };
      if (wins(entries.get(key), entry)) entries.set(key, entry);
    }
    return new LWWMap(undefined, {}, entries);
  }

  /** @internal */
  static stateFromJSON(json: unknown): LWWMap {
    const entries = new Map<Key, Stamped<JsonValue>>();
    for (const item of expect.array(json, 'lww-map')) {
      const fields = expect.array(item, 'lww-map entry');
      const entry = { timestamp: timestampFromJSON(fields[1]), value: fields.length > 2 ? expect.json(fields[2], 'map value') : undefined };
      const key = expect.key(fields[0], 'lww-map key');
      if (wins(entries.get(key), entry)) entries.set(key, entry);
    }
    return new LWWMap(undefined, {}, entries);
  }
}
