/**
 * A hash set of (linearized set, state id) pairs stored in flat typed arrays, so millions of
 * visited configurations cost a few words each instead of an object each.
 *
 * A linearized set is a bitset whose words below `lo` are all ones and above `hi` all zeros
 * (operations are placed roughly in history order, so that window stays short however long
 * the history); only the window is stored. Record layout in the pool:
 * `[hash, stateId, nextRecord, lo, length, ...words lo..hi]`.
 */
export class VisitedSet {
  #pool: Int32Array;
  #used = 0;
  #table: Int32Array;
  #mask: number;
  #count = 0;

  constructor() {
    this.#pool = new Int32Array(8192);
    this.#table = new Int32Array(1024).fill(-1);
    this.#mask = 1023;
  }

  /** Number of stored pairs. */
  get size(): number {
    return this.#count;
  }

  /**
   * Adds (bits, stateId), where words of `bits` below `lo` are all ones and above `hi` zero;
   * `bitsHash` must be a hash of `bits`. Returns false if the pair was already present.
   */
  add(bits: Uint32Array, lo: number, hi: number, bitsHash: number, stateId: number): boolean {
    const hash = (bitsHash ^ Math.imul(stateId + 1, 0x27d4eb2f)) | 0;
    const length = Math.max(0, hi - lo + 1);
    const pool = this.#pool;
    let record = this.#table[(hash ^ (hash >>> 15)) & this.#mask]!;
    while (record >= 0) {
      if (pool[record] === hash && pool[record + 1] === stateId && pool[record + 3] === lo && pool[record + 4] === length) {
        let same = true;
        for (let w = 0; w < length; w++) {
          if (pool[record + 5 + w] !== (bits[lo + w]! | 0)) {
            same = false;
            break;
          }
        }
        if (same) return false;
      }
      record = pool[record + 2]!;
    }
    const size = 5 + length;
    if (this.#used + size > this.#pool.length) {
      let capacity = this.#pool.length * 2;
      while (capacity < this.#used + size) capacity *= 2;
      const bigger = new Int32Array(capacity);
      bigger.set(this.#pool);
      this.#pool = bigger;
    }
    if (this.#count >= this.#table.length * 0.75) this.#grow();
    const at = this.#used;
    const target = this.#pool;
    target[at] = hash;
    target[at + 1] = stateId;
    target[at + 3] = lo;
    target[at + 4] = length;
    for (let w = 0; w < length; w++) target[at + 5 + w] = bits[lo + w]! | 0;
    const slot = (hash ^ (hash >>> 15)) & this.#mask;
    target[at + 2] = this.#table[slot]!;
    this.#table[slot] = at;
    this.#used += size;
    this.#count++;
    return true;
  }

  #grow(): void {
    const size = this.#table.length * 2;
    const table = new Int32Array(size).fill(-1);
    const mask = size - 1;
    const pool = this.#pool;
    for (let at = 0; at < this.#used; at += 5 + pool[at + 4]!) {
      const hash = pool[at]!;
      const slot = (hash ^ (hash >>> 15)) & mask;
      pool[at + 2] = table[slot]!;
      table[slot] = at;
    }
    this.#table = table;
    this.#mask = mask;
  }
}
