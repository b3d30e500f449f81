import { type NodeId, type Random, seededRandom } from '@lattice/core';
import { decodeSwimMessage, encodeSwimMessage, type MemberEvent, type SwimMessage, type SwimProfile, SwimCore } from '../src/index.js';

/** A whole SWIM cluster in one synchronous event loop: virtual time, message loss, crashes, pauses, partitions. */
export interface ClusterOptions {
  seed: number;
  size: number;
  profile?: Partial<SwimProfile>;
  lifeguard?: boolean;
  /** Probability that a message is lost. */
  loss?: number;
  /** Round every message through the binary codec (slower; proves the codec on real traffic). */
  wire?: boolean;
}

interface Node {
  core: SwimCore;
  crashed: boolean;
  pausedUntil: number | undefined;
  held: { from: NodeId; message: SwimMessage }[];
  wakeAt: number | undefined;
}

type Pending = { at: number; to: NodeId } & ({ kind: 'deliver'; from: NodeId; message: SwimMessage } | { kind: 'wake' });
type Event = Pending & { seq: number };

/** A binary min-heap of events ordered by (time, sequence). */
class EventQueue {
  readonly #heap: Event[] = [];
  get size(): number {
    return this.#heap.length;
  }
  push(event: Event): void {
    const h = this.#heap;
    h.push(event);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (before(h[p]!, h[i]!)) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }
  peek(): Event | undefined {
    return this.#heap[0];
  }
  pop(): Event | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Event, b: Event): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export class Cluster {
  readonly ids: NodeId[];
  readonly nodes = new Map<NodeId, Node>();
  readonly events: { at: number; at_node: NodeId; event: MemberEvent }[] = [];
  readonly #queue = new EventQueue();
  readonly #random: Random;
  readonly #options: ClusterOptions;
  #loss: number;
  readonly #cut = new Set<string>();
  #seq = 0;
  now = 0;
  messages = 0;
  /** Time a ping first went to each member (what "detection" of a crashed member starts with). */
  readonly firstPingAt = new Map<NodeId, number>();
  /** Members whose processing lags: each message waits up to this many ms before they handle it. */
  readonly slowness = new Map<NodeId, number>();
  onMessage: ((from: NodeId, to: NodeId, message: SwimMessage, at: number) => void) | undefined;

  constructor(options: ClusterOptions) {
    this.#options = options;
    this.#loss = options.loss ?? 0;
    this.#random = seededRandom(options.seed * 7919 + 17);
    this.ids = Array.from({ length: options.size }, (_, i) => `n${i}`);
    for (const [i, id] of this.ids.entries()) this.add(id, options.seed * 1_000_003 + i);
  }

  add(id: NodeId, seed: number): SwimCore {
    const core = new SwimCore({
      id,
      now: this.now,
      random: seededRandom(seed),
      ...(this.#options.profile === undefined ? {} : { profile: this.#options.profile }),
      ...(this.#options.lifeguard === undefined ? {} : { lifeguard: this.#options.lifeguard }),
    });
    this.nodes.set(id, { core, crashed: false, pausedUntil: undefined, held: [], wakeAt: undefined });
    if (!this.ids.includes(id)) this.ids.push(id);
    this.#settle(id);
    return core;
  }

  core(id: NodeId): SwimCore {
    return this.nodes.get(id)!.core;
  }

  /** Every member joins through `n0`, one after another; returns when all see all alive (or at `limitMs`). */
  bootstrap(limitMs = 120_000): number {
    for (const id of this.ids.slice(1)) this.run(id, (core) => core.join(['n0']));
    const start = this.now;
    this.runUntil(() => this.converged(), start + limitMs, 100);
    return this.now - start;
  }

  converged(): boolean {
    const live = this.ids.filter((id) => !this.nodes.get(id)!.crashed);
    return live.every((id) => {
      const s = this.core(id).stats();
      return s.alive === live.length && s.suspect === 0;
    });
  }

  run(id: NodeId, request: (core: SwimCore) => void): void {
    request(this.core(id));
    this.#settle(id);
  }

  crash(id: NodeId): void {
    this.nodes.get(id)!.crashed = true;
  }

  /** The process stops for `ms` (a GC pause, a stalled VM): nothing in, nothing out, then it carries on. */
  pause(id: NodeId, ms: number): void {
    this.nodes.get(id)!.pausedUntil = this.now + ms;
    this.#push({ at: this.now + ms, to: id, kind: 'wake' });
  }

  /** Changes the probability that a message is lost. */
  setLoss(loss: number): void {
    this.#loss = loss;
  }

  /** Ends a pause early. */
  resume(id: NodeId): void {
    this.nodes.get(id)!.pausedUntil = this.now;
    this.#push({ at: this.now, to: id, kind: 'wake' });
  }

  partition(sides: readonly (readonly NodeId[])[]): void {
    for (const a of sides) for (const b of sides) if (a !== b) for (const x of a) for (const y of b) this.#cut.add(`${x}>${y}`);
  }

  heal(): void {
    this.#cut.clear();
  }

  runFor(ms: number): void {
    this.runUntil(() => false, this.now + ms);
  }

  /** Runs events until `done()` holds (checked every `checkEveryMs`) or time `until`. */
  runUntil(done: () => boolean, until: number, checkEveryMs = 10): boolean {
    let nextCheck = this.now;
    for (;;) {
      if (this.now >= nextCheck) {
        if (done()) return true;
        nextCheck = this.now + checkEveryMs;
      }
      const next = this.#queue.peek();
      if (next === undefined || next.at > until) {
        this.now = until;
        return done();
      }
      this.#queue.pop();
      this.now = next.at;
      this.#handle(next);
    }
  }

  #handle(event: Event): void {
    const node = this.nodes.get(event.to)!;
    if (node.crashed) return;
    if (node.pausedUntil !== undefined) {
      if (this.now < node.pausedUntil) {
        if (event.kind === 'deliver') node.held.push({ from: event.from, message: event.message });
        return;
      }
      node.pausedUntil = undefined;
      node.core.tick(this.now);
      for (const held of node.held.splice(0)) this.#step(event.to, node, held.from, held.message);
      this.#settle(event.to);
    }
    if (event.kind === 'wake') {
      if (node.wakeAt !== event.at) return;
      node.wakeAt = undefined;
      node.core.tick(this.now);
    } else this.#step(event.to, node, event.from, event.message);
    this.#settle(event.to);
  }

  #step(to: NodeId, node: Node, from: NodeId, message: SwimMessage): void {
    node.core.tick(this.now);
    node.core.step(from, message);
    void to;
  }

  #settle(id: NodeId): void {
    const node = this.nodes.get(id)!;
    if (node.crashed || node.pausedUntil !== undefined) return;
    while (node.core.hasReady()) {
      const ready = node.core.ready();
      for (const { to, message } of ready.messages) this.#transmit(id, to, message);
      for (const effect of ready.effects) if (effect.type === 'member') this.events.push({ at: this.now, at_node: id, event: effect.event });
      node.core.advance(ready);
    }
    const at = node.core.wakeAt();
    if (at !== undefined && at !== node.wakeAt) {
      node.wakeAt = Math.max(at, this.now);
      this.#push({ at: node.wakeAt, to: id, kind: 'wake' });
    }
  }

  #transmit(from: NodeId, to: NodeId, message: SwimMessage): void {
    this.messages++;
    this.onMessage?.(from, to, message, this.now);
    if (message.type === 'ping' && !this.firstPingAt.has(to)) this.firstPingAt.set(to, this.now);
    if (this.#cut.has(`${from}>${to}`)) return;
    if (this.#random.next() < this.#loss) return;
    if (!this.nodes.has(to)) return;
    const delivered = this.#options.wire ? decodeSwimMessage(encodeSwimMessage(message)) : message;
    const lag = this.slowness.get(to) ?? 0;
    this.#push({ at: this.now + 1 + this.#random.int(5) + (lag > 0 ? this.#random.int(lag) : 0), to, kind: 'deliver', from, message: delivered });
  }

  #push(event: Pending): void {
    this.#queue.push({ ...event, seq: this.#seq++ });
  }
}
