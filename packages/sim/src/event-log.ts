import type { SimEvent, SimEventKind } from './events.js';

const KINDS: readonly SimEventKind[] = ['start', 'crash', 'send', 'deliver', 'drop', 'lost', 'fault', 'invoke', 'ok', 'fail', 'info', 'note', 'error'];
const KIND_CODE: Readonly<Record<SimEventKind, number>> = Object.freeze(Object.fromEntries(KINDS.map((kind, i) => [kind, i])) as Record<SimEventKind, number>);
const STRIDE = 6;
const NONE = -1;

/**
 * The event log as one growing `Float64Array` of fixed-size records (time, kind, node, peer,
 * message id, bytes) rather than one object per event: a long run records millions of events,
 * and small objects that live for the whole run are what makes garbage collection expensive.
 * Names are stored as indices into a table, texts in a side map. {@link EventLog.toEvents}
 * builds the plain records on demand.
 */
export class EventLog {
  #records = new Float64Array(STRIDE * 4096);
  #length = 0;
  readonly #texts = new Map<number, string>();
  readonly #names: string[] = [];
  readonly #nameIndex = new Map<string, number>();
  #cache: SimEvent[] | undefined;

  /** `names` get the indices 0, 1, 2, … in order, for {@link EventLog.addIndexed}. */
  constructor(names: readonly string[] = []) {
    for (const name of names) this.#name(name);
  }

  /** Events recorded. */
  get length(): number {
    return this.#length;
  }

  /** Appends one event; `msg` and `bytes` are NaN when absent. */
  add(time: number, kind: SimEventKind, node: string | undefined, peer: string | undefined, msg: number, bytes: number, text: string | undefined): void {
    this.addIndexed(time, kind, node === undefined ? NONE : this.#name(node), peer === undefined ? NONE : this.#name(peer), msg, bytes, text);
  }

  /** {@link EventLog.add} with names given as their indices (-1: none), for the hot paths. */
  addIndexed(time: number, kind: SimEventKind, node: number, peer: number, msg: number, bytes: number, text: string | undefined): void {
    let records = this.#records;
    const at = this.#length * STRIDE;
    if (at + STRIDE > records.length) {
      const grown = new Float64Array(records.length * 2);
      grown.set(records);
      this.#records = records = grown;
    }
    records[at] = time;
    records[at + 1] = KIND_CODE[kind];
    records[at + 2] = node;
    records[at + 3] = peer;
    records[at + 4] = msg;
    records[at + 5] = bytes;
    if (text !== undefined) this.#texts.set(this.#length, text);
    this.#length++;
    this.#cache = undefined;
  }

  /** The sends whose message id satisfies `keep` (for the end-of-run scan for lost messages). */
  sends(keep: (msg: number) => boolean): { node: string; peer: string; msg: number }[] {
    const out: { node: string; peer: string; msg: number }[] = [];
    const records = this.#records;
    const send = KIND_CODE.send;
    for (let at = 0; at < this.#length * STRIDE; at += STRIDE) {
      if (records[at + 1] !== send) continue;
      const msg = records[at + 4]!;
      if (keep(msg)) out.push({ node: this.#names[records[at + 2]!]!, peer: this.#names[records[at + 3]!]!, msg });
    }
    return out;
  }

  /** The events as plain records (built once, then cached until the next `add`). */
  toEvents(): SimEvent[] {
    if (this.#cache !== undefined) return this.#cache;
    const records = this.#records;
    const events: SimEvent[] = new Array(this.#length);
    for (let i = 0; i < this.#length; i++) {
      const at = i * STRIDE;
      const event: { -readonly [K in keyof SimEvent]: SimEvent[K] } = { time: records[at]!, kind: KINDS[records[at + 1]!]! };
      const node = records[at + 2]!;
      if (node !== NONE) event.node = this.#names[node]!;
      const peer = records[at + 3]!;
      if (peer !== NONE) event.peer = this.#names[peer]!;
      const msg = records[at + 4]!;
      if (!Number.isNaN(msg)) event.msg = msg;
      const bytes = records[at + 5]!;
      if (!Number.isNaN(bytes)) event.bytes = bytes;
      const text = this.#texts.get(i);
      if (text !== undefined) event.text = text;
      events[i] = event;
    }
    this.#cache = events;
    return events;
  }

  #name(name: string): number {
    let index = this.#nameIndex.get(name);
    if (index === undefined) {
      index = this.#names.length;
      this.#names.push(name);
      this.#nameIndex.set(name, index);
    }
    return index;
  }
}
