import { hasSurrogate } from './code-points.js';
import type { PendingOp } from './integrate.js';
import type { Item } from './item-list.js';

/** A parked operation: ready once the agent's version exceeds `need`. */
interface Waiting {
  readonly need: number;
  readonly op: PendingOp;
}

/**
 * Everything a replica keeps per agent: its version (how many of its characters are here), the
 * id index from its sequence numbers to the fragments holding them, the text it inserted, and
 * the received operations waiting for more of its characters.
 *
 * The id index lists where each run the agent inserted starts and the run's first fragment;
 * fragments of one agent are chained by `next` in sequence order, so finding the fragment of a
 * character is a binary search over runs and a short walk along the chain.
 */
export class Agent {
  version = 0;
  /** Sequence number where each indexed run starts (ascending) and its first fragment. */
  runSeqs: number[] = [];
  runItems: Item[] = [];
  /** Fragment holding the highest sequence number. */
  last: Item | null = null;
  /** Every code point this agent inserted, in sequence order (deleted ones may be filler). */
  text = '';
  pieces: string[] = [];
  /** Sequence numbers of astral (two UTF-16 unit) code points, ascending; null when none. */
  astral: number[] | null = null;
  /** Operations waiting for this agent's version, sorted by `need` descending. */
  waiting: Waiting[] = [];
  constructor(readonly name: string) {}

  // ---------------------------------------------------------------------------------------
  // The id index.

  /** Records a freshly integrated run (the fragment with the agent's highest sequence numbers). */
  indexRun(item: Item): void {
    this.runSeqs.push(item.seq);
    this.runItems.push(item);
    if (this.last !== null) this.last.next = item;
    this.last = item;
  }

  /** The fragment holding this agent's character `seq`; it must exist. */
  find(seq: number): Item {
    const seqs = this.runSeqs;
    let lo = 0;
    let hi = seqs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (seqs[mid]! <= seq) lo = mid;
      else hi = mid - 1;
    }
    let item = this.runItems[lo]!;
    while (item.seq + item.len <= seq) item = item.next!;
    return item;
  }

  /** Keeps the index right after fragment `tail` was merged into `head`, its chain predecessor. */
  absorbed(head: Item, tail: Item): void {
    if (this.last === tail) this.last = head;
    // Every index entry whose run start lies inside `tail` points at `tail` (the fragment
    // holding it), and there can be several: an earlier absorb hands entries down to a fragment
    // that starts before them. All of them move to `head`, which now holds those starts.
    const seqs = this.runSeqs;
    const end = tail.seq + tail.len;
    let lo = 0;
    let hi = seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seqs[mid]! < tail.seq) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < seqs.length && seqs[k]! < end; k++) this.runItems[k] = head;
  }

  /** Indexes `fragments`, this agent's items in sequence order, as one run each, and chains them. */
  indexFragments(fragments: Item[]): void {
    this.runSeqs = fragments.map((it) => it.seq);
    this.runItems = fragments;
    for (let j = 0; j + 1 < fragments.length; j++) fragments[j]!.next = fragments[j + 1]!;
    this.last = fragments[fragments.length - 1] ?? null;
  }

  // ---------------------------------------------------------------------------------------
  // Content.

  appendContent(content: string, len: number): void {
    if (content.length !== len) {
      const astral = (this.astral ??= []);
      let seq = this.version;
      for (let i = 0; i < content.length; i++, seq++) {
        const c = content.charCodeAt(i);
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < content.length && (content.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
          astral.push(seq);
          i++;
        }
      }
    }
    this.pieces.push(content);
    // Keep the piece list short: a long list of tiny strings costs more heap than the text.
    if (this.pieces.length >= 512) this.flatten();
  }

  private flatten(): void {
    this.text += this.pieces.join('');
    this.pieces = [];
  }

  /** Replaces the content with `text` (the agent's whole history, in sequence order). */
  setContent(text: string): void {
    this.text = text;
    this.pieces = [];
    this.astral = null;
    if (!hasSurrogate(text)) return;
    const astral: number[] = [];
    for (let i = 0, seq = 0; i < text.length; i++, seq++) {
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        astral.push(seq);
        i++;
      }
    }
    this.astral = astral.length > 0 ? astral : null;
  }

  /** Copies `source`'s version and content (not its index or waiting operations). */
  copyContent(source: Agent): void {
    this.version = source.version;
    this.text = source.text + source.pieces.join('');
    this.astral = source.astral === null ? null : source.astral.slice();
  }

  content(seq: number, len: number): string {
    if (this.pieces.length > 0) this.flatten();
    if (this.astral === null) return this.text.slice(seq, seq + len);
    return this.text.slice(this.unit(seq), this.unit(seq + len));
  }

  private unit(seq: number): number {
    const astral = this.astral!;
    let lo = 0;
    let hi = astral.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (astral[mid]! < seq) lo = mid + 1;
      else hi = mid;
    }
    return seq + lo;
  }

  // ---------------------------------------------------------------------------------------
  // Operations waiting for this agent's characters.

  /** Parks `op` until the version exceeds `need`. */
  park(need: number, op: PendingOp): void {
    const waiting = this.waiting;
    let lo = 0;
    let hi = waiting.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (waiting[mid]!.need > need) lo = mid + 1;
      else hi = mid;
    }
    waiting.splice(lo, 0, { need, op });
  }

  /** Moves the parked operations the version now satisfies onto `queue`; returns `queue`. */
  released(queue: PendingOp[]): PendingOp[] {
    const waiting = this.waiting;
    while (waiting.length > 0 && waiting[waiting.length - 1]!.need < this.version) queue.push(waiting.pop()!.op);
    return queue;
  }
}
