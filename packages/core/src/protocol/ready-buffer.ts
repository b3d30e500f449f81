import type { Outbound, Ready } from './protocol-core.js';

/**
 * Where a protocol core gathers its outputs between two `ready()` calls: push messages,
 * records and effects as the core produces them, then `take()` hands them out as one
 * {@link Ready} and starts empty again (the arrays handed out are never touched afterwards).
 *
 * @example
 * ```ts
 * readonly #out = new ReadyBuffer<Msg, Rec, Eff>();
 * // while stepping:
 * this.#out.persist.push(record); this.#out.mustSync = true;
 * this.#out.messages.push({ to, message });
 * // ProtocolCore:
 * hasReady() { return !this.#out.empty; }
 * ready() { return this.#out.take(); }
 * ```
 */
export class ReadyBuffer<Message, Record, Effect> {
  sendEarly: Outbound<Message>[] = [];
  persist: Record[] = [];
  mustSync = false;
  messages: Outbound<Message>[] = [];
  effects: Effect[] = [];

  /** True when nothing has been gathered since the last `take()`. */
  get empty(): boolean {
    return this.sendEarly.length === 0 && this.persist.length === 0 && !this.mustSync && this.messages.length === 0 && this.effects.length === 0;
  }

  /** Everything gathered, as one `Ready`; the buffer starts empty again. */
  take(): Ready<Message, Record, Effect> {
    const ready = { sendEarly: this.sendEarly, persist: this.persist, mustSync: this.mustSync, messages: this.messages, effects: this.effects };
    this.sendEarly = [];
    this.persist = [];
    this.mustSync = false;
    this.messages = [];
    this.effects = [];
    return ready;
  }
}
