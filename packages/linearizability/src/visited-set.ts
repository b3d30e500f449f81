/**
 * A hash set of (bitset, state id) pairs stored in flat typed arrays, so millions of visited
 * configurations cost a few words each instead of one object each.
 *
 * Record layout in the pool: [hash, stateId, nextRecord, ...bitset words].
 */
export class VisitedSet {
  readonly #words: number;
  readonly #stride: number;
  #pool: Int32Array;
  #used = 0;
  #table: Int32Array;
  #mask: number;
  #count = 0;

  constructor(words: number) {
    this.#words = words;
    this.#stride = words + 3;
    this.#pool = new Int32Array(this.#stride * 1024);
    this.#table = new Int32Array(1024).fill(-1);
    this.#mask = 1023;
  }

  /** Number of stored pairs. */
  get size(): number {
    return this.#count;
  }

  /** Adds (bits, stateId); `bitsHash` must be a hash of `bits`. Returns false if already present. */
  add(bits: Uint32Array, bitsHash: number, stateId: number): boolean {
    const hash = (bitsHash ^ Math.imul(stateId + 1, 0x27d4eb2f)) | 0;
    const words = this.#words;
    const pool = this.#pool;
    let record = this.#table[(hash ^ (hash >>> 15)) & this.#mask]!;
    while (record >= 0) {
      if (pool[record] === hash && pool[record + 1] === stateId) {
        let same = true;
        for (let w = 0; w < words; w++) {
          if (pool[record + 3 + w] !== (bits[w]! | 0)) {
            same = false;
            break;
          }
        }
        if (same) return false;
      }
      record = pool[record + 2]!;
    }
    if (this.#used + this.#stride > pool.length) {
      const bigger = new Int32Array(pool.length * 2);
      bigger.set(pool);
      this.#pool = bigger;
    }
    if (this.#count >= this.#table.length * 0.75) this.#grow();
    const at = this.#used;
    const target = this.#pool;
    target[at] = hash;
    target[at + 1] = stateId;
    for (let w = 0; w < words; w++) target[at + 3 + w] = bits[w]! | 0;
    const slot = (hash ^ (hash >>> 15)) & this.#mask;
    target[at + 2] = this.#table[slot]!;
    this.#table[slot] = at;
    this.#used += this.#stride;
    this.#count++;
    return true;
  }

  #grow(): void {
    const size = this.#table.length * 2;
    const table = new Int32Array(size).fill(-1);
    const mask = size - 1;
    const pool = this.#pool;
    for (let at = 0; at < this.#used; at += this.#stride) {
      const hash = pool[at]!;
      const slot = (hash ^ (hash >>> 15)) & mask;
      pool[at + 2] = table[slot]!;
      table[slot] = at;
    }
    this.#table = table;
    this.#mask = mask;
  }
}
