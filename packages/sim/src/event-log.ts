import type { SimEvent, SimEventKind } from './events.js';

/**
 * The event log as parallel columns rather than one object per event: a long run records
 * millions of events, and small objects that live for the whole run are what makes garbage
 * collection expensive. Numbers are stored unboxed, names and texts as references to strings
 * that exist anyway. {@link EventLog.toEvents} builds the plain records on demand.
 */
export class EventLog {
  readonly #times: number[] = [];
  readonly #kinds: SimEventKind[] = [];
  readonly #nodes: (string | undefined)[] = [];
  readonly #peers: (string | undefined)[] = [];
  readonly #msgs: number[] = [];
  readonly #bytes: number[] = [];
  readonly #texts: (string | undefined)[] = [];
  #cache: SimEvent[] | undefined;

  /** Events recorded. */
  get length(): number {
    return this.#times.length;
  }

  /** Appends one event; `msg` and `bytes` are NaN when absent. */
  add(time: number, kind: SimEventKind, node: string | undefined, peer: string | undefined, msg: number, bytes: number, text: string | undefined): void {
    this.#times.push(time);
    this.#kinds.push(kind);
    this.#nodes.push(node);
    this.#peers.push(peer);
    this.#msgs.push(msg);
    this.#bytes.push(bytes);
    this.#texts.push(text);
    this.#cache = undefined;
  }

  /** The sends whose message id satisfies `keep` (for the end-of-run scan for lost messages). */
  sends(keep: (msg: number) => boolean): { node: string; peer: string; msg: number }[] {
    const out: { node: string; peer: string; msg: number }[] = [];
    for (let i = 0; i < this.#times.length; i++) {
      if (this.#kinds[i] !== 'send') continue;
      const msg = this.#msgs[i]!;
      if (keep(msg)) out.push({ node: this.#nodes[i]!, peer: this.#peers[i]!, msg });
    }
    return out;
  }

  /** The events as plain records (built once, then cached until the next `add`). */
  toEvents(): SimEvent[] {
    if (this.#cache !== undefined) return this.#cache;
    const length = this.#times.length;
    const events: SimEvent[] = new Array(length);
    for (let i = 0; i < length; i++) {
      const event: { -readonly [K in keyof SimEvent]: SimEvent[K] } = { time: this.#times[i]!, kind: this.#kinds[i]! };
      const node = this.#nodes[i];
      if (node !== undefined) event.node = node;
      const peer = this.#peers[i];
      if (peer !== undefined) event.peer = peer;
      const msg = this.#msgs[i]!;
      if (!Number.isNaN(msg)) event.msg = msg;
      const bytes = this.#bytes[i]!;
      if (!Number.isNaN(bytes)) event.bytes = bytes;
      const text = this.#texts[i];
      if (text !== undefined) event.text = text;
      events[i] = event;
    }
    this.#cache = events;
    return events;
  }
}
