import { InvalidArgumentError } from '@lattice/core';

/**
 * A least-recently-used cache of at most `capacity` entries: a `Map` keeps insertion order, so
 * touching an entry re-inserts it at the end and the first entry is always the eldest.
 */
export class LruCache<V> {
  readonly capacity: number;
  readonly #entries = new Map<string, V>();
  /** Entries pushed out to make room. */
  evictions = 0;

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new InvalidArgumentError(`capacity must be an integer >= 1, got ${String(capacity)}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The value, marked most recently used; undefined on a miss. */
  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** The value without marking it used (rebalancing reads every key; that is not use). */
  peek(key: string): V | undefined {
    return this.#entries.get(key);
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.capacity) {
      const eldest = this.#entries.keys().next().value as string;
      this.#entries.delete(eldest);
      this.evictions++;
    }
  }

  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  /** Keys, least recently used first. */
  keys(): string[] {
    return [...this.#entries.keys()];
  }
}
