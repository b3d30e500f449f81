/**
 * The pieces of one write, merged where one directly follows another in memory (consecutive
 * appends framed in one slab), so a batch becomes a few long ranges.
 */
export class Gather {
  #pieces: Uint8Array[] = [];
  #buffer: ArrayBufferLike | undefined;
  #start = 0;
  #end = 0;

  /** Adds `bytes[start, end)`. */
  add(bytes: Uint8Array, start: number, end: number): void {
    const from = bytes.byteOffset + start;
    if (bytes.buffer === this.#buffer && from === this.#end) {
      this.#end += end - start;
      return;
    }
    this.#close();
    this.#buffer = bytes.buffer;
    this.#start = from;
    this.#end = from + (end - start);
  }

  /** The pieces added since the last take, and starts afresh. */
  take(): Uint8Array[] {
    this.#close();
    const pieces = this.#pieces;
    this.#pieces = [];
    return pieces;
  }

  #close(): void {
    if (this.#buffer !== undefined && this.#end > this.#start) {
      this.#pieces.push(new Uint8Array(this.#buffer, this.#start, this.#end - this.#start));
    }
    this.#buffer = undefined;
  }
}
