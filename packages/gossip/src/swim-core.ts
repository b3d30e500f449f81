import { assertNodeId, emptyReady, InvalidArgumentError, type NodeId, type Outbound, type ProtocolCore, ProtocolViolationError, type Random, type Ready } from '@lattice/core';
import { Awareness } from './awareness.js';
import { MemberLeftError } from './errors.js';
import { checkSwimMessage, MAX_META_BYTES } from './message-check.js';
import { LAN_PROFILE, retransmitLimit, type SwimProfile, suspicionTimeoutMs } from './profiles.js';
import { Suspicion } from './suspicion.js';
import type { Member, MemberEvent, MemberState, SwimEffect, SwimMessage, Update } from './types.js';

/** Options of {@link SwimCore}. */
export interface SwimCoreOptions {
  id: NodeId;
  /** Monotonic time (ms) of creation. */
  now: number;
  /** Seeded randomness: the probe order, ping-req helpers, gossip targets. */
  random: Random;
  /** Timing and fan-out; default {@link LAN_PROFILE}. Fields given override the profile's. */
  profile?: Partial<SwimProfile>;
  /** Lifeguard (local health, dogpile suspicion, buddy system). Default true; false is plain SWIM. */
  lifeguard?: boolean;
  /** This member's metadata (at most 512 bytes). */
  meta?: Uint8Array;
  /** Piggybacked updates per message, at most (a datagram's worth). Default 1,400 bytes' worth. */
  maxPiggybackBytes?: number;
}

/** Counters of a {@link SwimCore}. */
export interface SwimStats {
  incarnation: number;
  /** Lifeguard's local health score (0 is healthy). */
  health: number;
  alive: number;
  suspect: number;
  dead: number;
  probes: number;
  probesFailed: number;
  indirectProbes: number;
  suspicionsRaised: number;
  refutations: number;
  messagesSent: number;
  updatesSent: number;
}

interface MemberRecord {
  id: NodeId;
  incarnation: number;
  state: MemberState;
  meta: Uint8Array;
  changedAt: number;
  /** Position in the member list (what random picks draw from). */
  slot: number;
}

interface Broadcast {
  update: Update;
  transmits: number;
  /** False once newer news replaced it or it was sent often enough; its slot in a bucket is skipped. */
  queued: boolean;
}

interface Probe {
  seq: number;
  target: NodeId;
  directDeadline: number;
  end: number;
  acked: boolean;
  indirectSent: boolean;
  expectedNacks: number;
  nacks: number;
}

interface Relay {
  origin: NodeId;
  originSeq: number;
  target: NodeId;
  deadline: number;
}

type Report = Extract<Update, { readonly from: NodeId }>;

const EMPTY = new Uint8Array(0);
/** memberlist: push/pull slows down beyond this many members so its cost stays flat. */
const PUSH_PULL_SCALE_THRESHOLD = 32;

/**
 * SWIM (Das, Gupta, Motivala 2002) with Lifeguard (Dadgar et al. 2017) as a pure
 * {@link ProtocolCore}, following hashicorp/memberlist's behaviour: each protocol period probes
 * one member (round-robin over a shuffled list), directly and then through `indirectChecks`
 * members; a member that misses both is suspected, and declared dead when its suspicion times
 * out unrefuted; updates ride on every message, each piggybacked a bounded number of times; a
 * periodic push/pull exchanges full state, which also re-merges the sides of a healed partition.
 *
 * @example
 * ```ts
 * const core = new SwimCore({ id: 'a', now: clock.monotonic(), random: seededRandom(1) });
 * core.join(['seed-1']);
 * ```
 */
export class SwimCore implements ProtocolCore<SwimMessage, never, SwimEffect> {
  readonly id: NodeId;
  readonly profile: SwimProfile;
  readonly lifeguard: boolean;
  readonly #random: Random;
  readonly #awareness: Awareness;
  readonly #maxPiggybackBytes: number;
  readonly #members = new Map<NodeId, MemberRecord>();
  readonly #suspicions = new Map<NodeId, Suspicion>();
  /** Every member record, in no order: random picks draw an index instead of scanning a map. */
  readonly #memberList: MemberRecord[] = [];
  /** Members alive or suspect, kept as states change (the retransmit limit reads it per message). */
  #live = 0;
  /** Members that left, until they are forgotten. */
  readonly #leaving = new Set<NodeId>();
  readonly #broadcasts = new Map<NodeId, Broadcast>();
  /** The full state as last sent in a push/pull, until anything in it changes (a quiet cluster sends the same one). */
  #snapshotCache: readonly Member[] | undefined;
  /** The queued broadcasts by how often each was sent: the least-sent go first without sorting per message. */
  readonly #byTransmits: Broadcast[][] = [];
  /** Where each bucket's unsent part starts: a datagram takes a prefix of a bucket, so no removal from the middle. */
  readonly #bucketHeads: number[] = [];
  readonly #relays = new Map<number, Relay>();
  #probeOrder: NodeId[] = [];
  #probeIndex = 0;
  #probe: Probe | undefined;
  #incarnation = 0;
  #meta: Uint8Array;
  #left = false;
  #leaveReported = false;
  #seq = 0;
  #now: number;
  #nextProbeAt: number;
  #nextGossipAt: number;
  #nextPushPullAt: number;
  #messages: Outbound<SwimMessage>[] = [];
  #effects: SwimEffect[] = [];
  readonly #stats = { probes: 0, probesFailed: 0, indirectProbes: 0, suspicionsRaised: 0, refutations: 0, messagesSent: 0, updatesSent: 0 };

  constructor(options: SwimCoreOptions) {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('SwimCore needs an options object');
    assertNodeId(options.id, 'options.id');
    if (!Number.isFinite(options.now)) throw new InvalidArgumentError('options.now must be a finite number of ms');
    if (typeof options.random?.next !== 'function' || typeof options.random.int !== 'function') {
      throw new InvalidArgumentError('options.random must be a Random (next, int)');
    }
    const profile = { ...LAN_PROFILE, ...(options.profile ?? {}) };
    for (const [key, value] of Object.entries(profile)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new InvalidArgumentError(`options.profile.${key} must be a non-negative number`);
    }
    if (profile.probeIntervalMs <= 0 || profile.gossipIntervalMs <= 0 || profile.probeTimeoutMs <= 0) {
      throw new InvalidArgumentError('probeIntervalMs, probeTimeoutMs and gossipIntervalMs must be positive');
    }
    if (profile.probeTimeoutMs > profile.probeIntervalMs) throw new InvalidArgumentError('probeTimeoutMs must not exceed probeIntervalMs');
    if (profile.awarenessMaxMultiplier < 1) throw new InvalidArgumentError('awarenessMaxMultiplier must be at least 1');
    const meta = options.meta ?? EMPTY;
    checkOwnMeta(meta);
    this.id = options.id;
    this.profile = Object.freeze(profile);
    this.lifeguard = options.lifeguard ?? true;
    this.#random = options.random;
    this.#awareness = new Awareness(this.lifeguard ? profile.awarenessMaxMultiplier : 1);
    this.#maxPiggybackBytes = options.maxPiggybackBytes ?? 1_400;
    this.#meta = meta;
    this.#now = options.now;
    // Members start their periods at random offsets, as independent processes do.
    this.#nextProbeAt = options.now + this.#random.int(profile.probeIntervalMs);
    this.#nextGossipAt = options.now + this.#random.int(profile.gossipIntervalMs);
    this.#nextPushPullAt = options.now + this.#pushPullInterval();
  }

  // ---- local requests ----

  /** Contacts `seeds` with a push/pull join; members learnt from them are gossiped on. */
  join(seeds: readonly NodeId[]): void {
    if (this.#left) throw new MemberLeftError('This member left the cluster; create a new one to rejoin');
    if (!Array.isArray(seeds)) throw new InvalidArgumentError('seeds must be an array of node ids');
    for (const seed of seeds) assertNodeId(seed, 'seed');
    for (const seed of seeds) if (seed !== this.id) this.#send(seed, { type: 'pushPull', join: true, reply: false, members: this.#snapshot() });
  }

  /** Publishes new metadata: raises the incarnation so every member replaces the old one. */
  updateMetadata(meta: Uint8Array): void {
    if (this.#left) throw new MemberLeftError('This member left the cluster');
    checkOwnMeta(meta);
    this.#meta = meta.slice();
    this.#incarnation++;
    this.#announceSelf();
  }

  /** Announces a graceful leave; `leaveComplete` follows once it has been gossiped out. */
  leave(): void {
    if (this.#left) return;
    this.#left = true;
    this.#probe = undefined;
    this.#queue({ kind: 'dead', id: this.id, incarnation: this.#incarnation, from: this.id });
    if (this.#liveCount() === 0) this.#reportLeft();
  }

  /** True once {@link SwimCore.leave} was called. */
  get left(): boolean {
    return this.#left;
  }

  /** Every member known, this one included. */
  members(): Member[] {
    const self: Member = { id: this.id, incarnation: this.#incarnation, state: this.#left ? 'left' : 'alive', meta: this.#meta };
    return [self, ...[...this.#members.values()].map(freeze)];
  }

  /** One member as seen here, if known. */
  member(id: NodeId): Member | undefined {
    if (id === this.id) return this.members()[0];
    const record = this.#members.get(id);
    return record === undefined ? undefined : freeze(record);
  }

  stats(): SwimStats {
    let alive = 1;
    let suspect = 0;
    let dead = 0;
    for (const m of this.#members.values()) {
      if (m.state === 'alive') alive++;
      else if (m.state === 'suspect') suspect++;
      else dead++;
    }
    return { incarnation: this.#incarnation, health: this.#awareness.score, alive, suspect, dead, ...this.#stats };
  }

  // ---- ProtocolCore ----

  step(from: NodeId, message: SwimMessage): void {
    checkSwimMessage(message, from);
    if (message.type === 'ping' && message.target !== this.id) {
      throw new ProtocolViolationError(`A ping for "${message.target}" reached "${this.id}"`, { peer: from });
    }
    if (this.#left && message.type !== 'pushPull') return;
    switch (message.type) {
      case 'ping':
        this.#applyAll(message.updates);
        this.#send(from, { type: 'ack', seq: message.seq, updates: this.#piggyback(from) });
        return;
      case 'ack':
        this.#applyAll(message.updates);
        this.#onAck(message.seq);
        return;
      case 'nack':
        if (this.#probe?.seq === message.seq) this.#probe.nacks++;
        return;
      case 'pingReq': {
        this.#applyAll(message.updates);
        if (message.target === this.id) {
          this.#send(from, { type: 'ack', seq: message.seq, updates: this.#piggyback(from) });
          return;
        }
        const seq = ++this.#seq;
        this.#relays.set(seq, { origin: from, originSeq: message.seq, target: message.target, deadline: this.#now + Math.floor(this.profile.probeTimeoutMs * 0.8) });
        this.#send(message.target, { type: 'ping', seq, target: message.target, updates: this.#piggyback(message.target) });
        return;
      }
      case 'gossip':
        this.#applyAll(message.updates);
        return;
      case 'pushPull':
        if (this.#left) return;
        this.#merge(message.members);
        if (!message.reply) this.#send(from, { type: 'pushPull', join: false, reply: true, members: this.#snapshot() });
        return;
    }
  }

  tick(now: number): void {
    if (now > this.#now) this.#now = now;
    now = this.#now;
    for (const [seq, relay] of this.#relays) {
      if (now < relay.deadline) continue;
      this.#relays.delete(seq);
      if (this.lifeguard) this.#send(relay.origin, { type: 'nack', seq: relay.originSeq });
    }
    for (const [id, suspicion] of this.#suspicions) {
      if (now < suspicion.deadline()) continue;
      this.#suspicions.delete(id);
      const member = this.#members.get(id);
      if (member !== undefined && member.state === 'suspect') {
        this.#applyDead({ kind: 'dead', id, incarnation: suspicion.incarnation, from: this.id });
      }
    }
    const probe = this.#probe;
    if (probe !== undefined && !probe.acked) {
      if (!probe.indirectSent && now >= probe.directDeadline) this.#sendIndirect(probe);
      if (now >= probe.end) this.#probeFailed(probe);
    }
    if (probe !== undefined && now >= probe.end) this.#probe = undefined;
    if (!this.#left && now >= this.#nextProbeAt) {
      this.#startProbe();
      this.#nextProbeAt = now + this.#awareness.scale(this.profile.probeIntervalMs);
    }
    if (now >= this.#nextGossipAt) {
      this.#gossip();
      this.#nextGossipAt = now + this.profile.gossipIntervalMs;
    }
    if (!this.#left && this.profile.pushPullIntervalMs > 0 && now >= this.#nextPushPullAt) {
      this.#pushPull();
      this.#nextPushPullAt = now + this.#pushPullInterval();
    }
    this.#reap();
    if (this.#left && this.#broadcasts.size === 0) this.#reportLeft();
  }

  wakeAt(): number | undefined {
    // A gossip round with nothing queued sends nothing: no wake-up for it (5 a second per member
    // on the LAN profile). Every input ticks the core, so the round is due again within one
    // interval of the next update being queued.
    let at = this.#left || this.#broadcasts.size > 0 ? this.#nextGossipAt : Number.POSITIVE_INFINITY;
    if (!this.#left) at = Math.min(at, this.#nextProbeAt);
    if (!this.#left && this.profile.pushPullIntervalMs > 0) at = Math.min(at, this.#nextPushPullAt);
    const probe = this.#probe;
    if (probe !== undefined && !probe.acked) at = Math.min(at, probe.indirectSent ? probe.end : probe.directDeadline);
    for (const relay of this.#relays.values()) at = Math.min(at, relay.deadline);
    for (const suspicion of this.#suspicions.values()) at = Math.min(at, suspicion.deadline());
    if (this.#left && this.#leaveReported) return undefined;
    return at;
  }

  hasReady(): boolean {
    return this.#messages.length > 0 || this.#effects.length > 0;
  }

  ready(): Ready<SwimMessage, never, SwimEffect> {
    return { ...emptyReady<SwimMessage, never, SwimEffect>(), messages: this.#messages, effects: this.#effects };
  }

  advance(ready: Ready<SwimMessage, never, SwimEffect>): void {
    if (ready.messages === this.#messages) this.#messages = [];
    else this.#messages = this.#messages.filter((m) => !ready.messages.includes(m));
    if (ready.effects === this.#effects) this.#effects = [];
    else this.#effects = this.#effects.filter((e) => !ready.effects.includes(e));
  }

  // ---- probing ----

  #startProbe(): void {
    const target = this.#nextProbeTarget();
    if (target === undefined) return;
    const seq = ++this.#seq;
    this.#stats.probes++;
    this.#probe = {
      seq,
      target,
      directDeadline: this.#now + this.#awareness.scale(this.profile.probeTimeoutMs),
      end: this.#now + this.#awareness.scale(this.profile.probeIntervalMs),
      acked: false,
      indirectSent: false,
      expectedNacks: 0,
      nacks: 0,
    };
    this.#send(target, { type: 'ping', seq, target, updates: this.#piggyback(target) });
  }

  /** Round-robin over a list shuffled afresh each pass (the SWIM paper's bounded detection time). */
  #nextProbeTarget(): NodeId | undefined {
    for (let attempts = 0; attempts < 2; attempts++) {
      while (this.#probeIndex < this.#probeOrder.length) {
        const id = this.#probeOrder[this.#probeIndex++]!;
        const member = this.#members.get(id);
        if (member !== undefined && (member.state === 'alive' || member.state === 'suspect')) return id;
      }
      this.#probeOrder = shuffle([...this.#members.keys()], this.#random);
      this.#probeIndex = 0;
    }
    return undefined;
  }

  #sendIndirect(probe: Probe): void {
    probe.indirectSent = true;
    const helpers = this.#pick(this.profile.indirectChecks, (m) => m.state === 'alive' && m.id !== probe.target);
    probe.expectedNacks = this.lifeguard ? helpers.length : 0;
    this.#stats.indirectProbes += helpers.length;
    for (const helper of helpers) this.#send(helper, { type: 'pingReq', seq: probe.seq, target: probe.target, updates: this.#piggyback(helper) });
  }

  #onAck(seq: number): void {
    const probe = this.#probe;
    if (probe !== undefined && probe.seq === seq) {
      if (!probe.acked) {
        probe.acked = true;
        this.#awareness.applyDelta(-1);
      }
      return;
    }
    const relay = this.#relays.get(seq);
    if (relay === undefined) return; // late or duplicate: nothing waits for it any more
    this.#relays.delete(seq);
    this.#send(relay.origin, { type: 'ack', seq: relay.originSeq, updates: this.#piggyback(relay.origin) });
  }

  #probeFailed(probe: Probe): void {
    this.#stats.probesFailed++;
    // Lifeguard: missing nacks from helpers mean the fault is more likely local than remote.
    if (probe.expectedNacks > 0) this.#awareness.applyDelta(Math.max(0, probe.expectedNacks - probe.nacks));
    else this.#awareness.applyDelta(1);
    const member = this.#members.get(probe.target);
    if (member === undefined || (member.state !== 'alive' && member.state !== 'suspect')) return;
    this.#applySuspect({ kind: 'suspect', id: member.id, incarnation: member.incarnation, from: this.id });
  }

  // ---- updates ----

  #applyAll(updates: readonly Update[]): void {
    for (const update of updates) {
      if (update.kind === 'alive') this.#applyAlive(update);
      else if (update.kind === 'suspect') this.#applySuspect(update);
      else this.#applyDead(update);
    }
  }

  #applyAlive(update: Extract<Update, { kind: 'alive' }>): void {
    if (update.id === this.id) {
      // Someone gossips a newer us than we are (a previous life of this id): outbid it.
      if (update.incarnation > this.#incarnation && !this.#left) this.#refute(update.incarnation);
      return;
    }
    const member = this.#members.get(update.id);
    if (member === undefined) {
      const record: MemberRecord = { id: update.id, incarnation: update.incarnation, state: 'alive', meta: update.meta, changedAt: this.#now, slot: this.#memberList.length };
      this.#members.set(update.id, record);
      this.#memberList.push(record);
      this.#live++;
      // A newcomer goes to a random place in the rest of the current pass, so it is probed within
      // one pass (memberlist appends and swaps with a random slot: O(1), where a splice is O(n)).
      const order = this.#probeOrder;
      const slot = this.#probeIndex + this.#random.int(order.length - this.#probeIndex + 1);
      order.push(update.id);
      const last = order.length - 1;
      [order[slot], order[last]] = [order[last]!, order[slot]!];
      this.#queue(update);
      this.#event('join', record);
      return;
    }
    if (update.incarnation <= member.incarnation) return;
    const previous = member.state;
    const metaChanged = !sameBytes(member.meta, update.meta);
    if (previous === 'dead' || previous === 'left') this.#live++;
    if (previous === 'left') this.#leaving.delete(member.id);
    member.incarnation = update.incarnation;
    member.meta = update.meta;
    member.state = 'alive';
    member.changedAt = this.#now;
    this.#suspicions.delete(member.id);
    this.#queue(update);
    if (previous === 'dead' || previous === 'left') this.#event('join', member);
    else if (metaChanged) this.#event('update', member);
    else if (previous === 'suspect') this.#event('alive', member);
  }

  #applySuspect(update: Report): void {
    if (update.id === this.id) {
      if (update.incarnation >= this.#incarnation && !this.#left) this.#refute(update.incarnation);
      return;
    }
    const member = this.#members.get(update.id);
    if (member === undefined || update.incarnation < member.incarnation) return;
    if (member.state === 'dead' || member.state === 'left') return;
    const existing = this.#suspicions.get(member.id);
    if (member.state === 'suspect' && existing !== undefined && update.incarnation === existing.incarnation) {
      // Lifeguard's dogpile: an independent confirmation shortens the timeout; pass it on.
      if (this.lifeguard && existing.confirm(update.from)) this.#queue(update);
      return;
    }
    member.incarnation = update.incarnation;
    member.state = 'suspect';
    member.changedAt = this.#now;
    this.#stats.suspicionsRaised++;
    const n = this.#liveCount() + 1;
    const min = suspicionTimeoutMs(this.profile.suspicionMult, n, this.profile.probeIntervalMs);
    const max = this.lifeguard ? this.profile.suspicionMaxTimeoutMult * min : min;
    // memberlist expects suspicionMult − 2 confirmations, none in clusters too small to give them.
    let expected = this.lifeguard ? this.profile.suspicionMult - 2 : 0;
    if (n - 2 < expected) expected = 0;
    this.#suspicions.set(member.id, new Suspicion(update.incarnation, update.from, Math.max(0, expected), min, max, this.#now));
    this.#queue(update);
    this.#event('suspect', member);
  }

  #applyDead(update: Report): void {
    if (update.id === this.id) {
      if (!this.#left && update.incarnation >= this.#incarnation) this.#refute(update.incarnation);
      return;
    }
    const member = this.#members.get(update.id);
    if (member === undefined || update.incarnation < member.incarnation) return;
    if (member.state === 'dead' || member.state === 'left') return;
    member.incarnation = update.incarnation;
    member.state = update.from === update.id ? 'left' : 'dead';
    member.changedAt = this.#now;
    this.#live--;
    if (member.state === 'left') this.#leaving.add(member.id);
    this.#suspicions.delete(member.id);
    this.#queue(update);
    this.#event(member.state === 'left' ? 'leave' : 'dead', member);
  }

  #refute(incarnation: number): void {
    this.#incarnation = Math.max(this.#incarnation, incarnation) + 1;
    this.#stats.refutations++;
    // Lifeguard: being suspected means others could not hear us in time, likely our fault.
    this.#awareness.applyDelta(1);
    this.#announceSelf();
  }

  #announceSelf(): void {
    this.#queue({ kind: 'alive', id: this.id, incarnation: this.#incarnation, meta: this.#meta });
  }

  #merge(members: readonly Member[]): void {
    for (const m of members) {
      // Most of a full state is already known here: skip it before building an update.
      if (m.state === 'alive' && m.incarnation <= (this.#members.get(m.id)?.incarnation ?? -1)) continue;
      if (m.state === 'alive') this.#applyAlive({ kind: 'alive', id: m.id, incarnation: m.incarnation, meta: m.meta });
      else if (m.state === 'left') this.#applyDead({ kind: 'dead', id: m.id, incarnation: m.incarnation, from: m.id });
      // memberlist: a remote "dead" is only a suspicion here, so the member gets a chance to refute.
      else this.#applySuspect({ kind: 'suspect', id: m.id, incarnation: m.incarnation, from: this.id });
    }
  }

  // ---- dissemination ----

  /** Newer news about a member replaces older news still queued (memberlist's invalidation). */
  #queue(update: Update): void {
    // Every change of a member's state, this member's included, is queued news: the snapshot is stale.
    this.#snapshotCache = undefined;
    const replaced = this.#broadcasts.get(update.id);
    if (replaced !== undefined) replaced.queued = false;
    const broadcast: Broadcast = { update, transmits: 0, queued: true };
    this.#broadcasts.set(update.id, broadcast);
    (this.#byTransmits[0] ??= []).push(broadcast);
  }

  /** The least-sent updates that fit one datagram; the buddy system puts news about `to` first. */
  #piggyback(to: NodeId): Update[] {
    const chosen: Update[] = [];
    let bytes = 0;
    const target = this.#members.get(to);
    // Lifeguard's buddy system: a suspect always hears of its suspicion from whoever probes it.
    const buddy = this.lifeguard && target?.state === 'suspect';
    if (buddy) {
      const update: Update = { kind: 'suspect', id: to, incarnation: target.incarnation, from: this.id };
      chosen.push(update);
      bytes += updateSize(update);
    }
    if (this.#broadcasts.size > 0) {
      const limit = retransmitLimit(this.profile.retransmitMult, this.#live + 1);
      const buckets = this.#byTransmits;
      const heads = this.#bucketHeads;
      const sent: Broadcast[] = [];
      fill: for (let transmits = 0; transmits < buckets.length; transmits++) {
        const bucket = buckets[transmits];
        if (bucket === undefined) continue;
        let head = heads[transmits] ?? 0;
        for (; head < bucket.length; head++) {
          const broadcast = bucket[head]!;
          if (!broadcast.queued) continue;
          // The buddy update at the front already carries a suspicion of `to`: it counts as this one's transmission.
          if (!(buddy && broadcast.update.id === to && broadcast.update.kind === 'suspect')) {
            const size = updateSize(broadcast.update);
            if (bytes + size > this.#maxPiggybackBytes) {
              this.#advanceHead(transmits, head);
              break fill;
            }
            bytes += size;
            chosen.push(broadcast.update);
          }
          sent.push(broadcast);
        }
        this.#advanceHead(transmits, head);
      }
      // Moved after the walk: a broadcast moved into a later bucket mid-walk would be sent twice.
      for (const broadcast of sent) {
        if (++broadcast.transmits >= limit) {
          broadcast.queued = false;
          this.#broadcasts.delete(broadcast.update.id);
        } else (buckets[broadcast.transmits] ??= []).push(broadcast);
      }
    }
    this.#stats.updatesSent += chosen.length;
    return chosen;
  }

  /** Marks a bucket sent up to `head`, and drops its sent prefix once it is most of the array. */
  #advanceHead(transmits: number, head: number): void {
    const bucket = this.#byTransmits[transmits]!;
    if (head >= bucket.length) {
      bucket.length = 0;
      this.#bucketHeads[transmits] = 0;
    } else if (head > 256 && head * 2 > bucket.length) {
      bucket.splice(0, head);
      this.#bucketHeads[transmits] = 0;
    } else this.#bucketHeads[transmits] = head;
  }

  #gossip(): void {
    if (this.#broadcasts.size === 0) return;
    const targets = this.#pick(this.profile.gossipNodes, (m) => m.state === 'alive' || m.state === 'suspect' || (m.state === 'dead' && this.#now - m.changedAt < this.profile.gossipToTheDeadMs));
    for (const to of targets) {
      const updates = this.#piggyback(to);
      if (updates.length > 0) this.#send(to, { type: 'gossip', updates });
    }
  }

  #pushPull(): void {
    const [peer] = this.#pick(1, (m) => m.state === 'alive');
    if (peer !== undefined) this.#send(peer, { type: 'pushPull', join: false, reply: false, members: this.#snapshot() });
    // Also try one member believed dead: this is how the sides of a healed partition find each other again.
    const [lost] = this.#pick(1, (m) => m.state === 'dead');
    if (lost !== undefined) this.#send(lost, { type: 'pushPull', join: false, reply: false, members: this.#snapshot() });
  }

  #pushPullInterval(): number {
    const n = this.#liveCount() + 1;
    const base = this.profile.pushPullIntervalMs;
    if (n <= PUSH_PULL_SCALE_THRESHOLD) return base;
    return base * (Math.ceil(Math.log2(n) - Math.log2(PUSH_PULL_SCALE_THRESHOLD)) + 1);
  }

  /** Frozen, and the same array while nothing changes, so a codec may reuse its encoding. */
  #snapshot(): readonly Member[] {
    if (this.#snapshotCache !== undefined) return this.#snapshotCache;
    const snapshot: Member[] = [Object.freeze({ id: this.id, incarnation: this.#incarnation, state: this.#left ? 'left' : 'alive', meta: this.#meta })];
    for (const record of this.#memberList) snapshot.push(freeze(record));
    this.#snapshotCache = Object.freeze(snapshot);
    return this.#snapshotCache;
  }

  // ---- helpers ----

  #pick(count: number, accept: (member: MemberRecord) => boolean): NodeId[] {
    const list = this.#memberList;
    if (count > 0 && list.length > 4 * count) {
      // Draw random slots until `count` distinct members qualify: O(count) when most do (the
      // usual case), with a full scan only when too few qualify. Each accepted draw is uniform
      // over the qualifying members not yet drawn, so the pick is uniform either way.
      const drawn: NodeId[] = [];
      for (let tries = 0; tries < 4 * count + 8 && drawn.length < count; tries++) {
        const member = list[this.#random.int(list.length)]!;
        if (accept(member) && !drawn.includes(member.id)) drawn.push(member.id);
      }
      if (drawn.length === count) return drawn;
    }
    const candidates: NodeId[] = [];
    for (const m of list) if (accept(m)) candidates.push(m.id);
    if (candidates.length <= count) return shuffle(candidates, this.#random);
    // Partial Fisher–Yates: `count` distinct picks without shuffling the rest.
    for (let i = 0; i < count; i++) {
      const j = i + this.#random.int(candidates.length - i);
      [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
    }
    return candidates.slice(0, count);
  }

  #liveCount(): number {
    return this.#live;
  }

  /** Members that left are forgotten once no longer gossiped to; dead ones are kept for re-merging. */
  #reap(): void {
    if (this.#leaving.size === 0) return;
    for (const id of this.#leaving) {
      const member = this.#members.get(id)!;
      if (this.#now - member.changedAt < this.profile.gossipToTheDeadMs) continue;
      this.#leaving.delete(id);
      this.#members.delete(id);
      this.#snapshotCache = undefined;
      // Swap-remove from the list; the record moved into the hole learns its new slot.
      const list = this.#memberList;
      const moved = list.pop()!;
      if (moved !== member) {
        list[member.slot] = moved;
        moved.slot = member.slot;
      }
    }
  }

  #send(to: NodeId, message: SwimMessage): void {
    this.#stats.messagesSent++;
    this.#messages.push({ to, message });
  }

  #event(kind: MemberEvent['kind'], member: MemberRecord): void {
    this.#effects.push({ type: 'member', event: { kind, member: freeze(member) } });
  }

  #reportLeft(): void {
    if (this.#leaveReported) return;
    this.#leaveReported = true;
    this.#effects.push({ type: 'leaveComplete' });
  }
}

function freeze(record: MemberRecord): Member {
  return Object.freeze({ id: record.id, incarnation: record.incarnation, state: record.state, meta: record.meta });
}

function checkOwnMeta(meta: unknown): asserts meta is Uint8Array {
  if (!(meta instanceof Uint8Array)) throw new InvalidArgumentError('metadata must be a Uint8Array');
  if (meta.length > MAX_META_BYTES) throw new InvalidArgumentError(`metadata must be at most ${MAX_META_BYTES} bytes, got ${meta.length}`);
}

function shuffle<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function updateSize(update: Update): number {
  return 8 + update.id.length + (update.kind === 'alive' ? update.meta.length : update.from.length);
}
