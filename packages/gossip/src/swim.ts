import { type Clock, type Endpoint, InvalidArgumentError, type NodeId, Observable, type BaseEvents, ProtocolDriver, type ProtocolDriverStats, type Random, systemClock, systemRandom, type Timers, type AbortOptions, raceAbort } from '@lattice/core';
import { type SwimEncryption, isSwimTraffic, swimCodec } from './encryption.js';
import type { SwimProfile } from './profiles.js';
import { SwimCore, type SwimStats } from './swim-core.js';
import type { Member, MemberEvent, SwimEffect, SwimMessage } from './types.js';

/** Options of {@link Swim}. */
export interface SwimOptions {
  /** This member's endpoint (its `id` is the member's id); the caller owns it. */
  endpoint: Endpoint;
  /** Timing; default memberlist's LAN profile. */
  profile?: Partial<SwimProfile>;
  /** Lifeguard on (default) or plain SWIM. */
  lifeguard?: boolean;
  meta?: Uint8Array;
  clock?: Clock;
  timers?: Timers;
  /** Default `systemRandom`; pass a seeded one for reproducible runs. */
  random?: Random;
  /**
   * Encrypt and authenticate every message with a keyring (AES-GCM). Messages that do not open
   * under an installed key are `error` events and change nothing. Default: plaintext.
   */
  encryption?: SwimEncryption;
}

/** Events of {@link Swim}. */
export interface SwimEvents extends BaseEvents {
  member: MemberEvent;
}

/** Counters of {@link Swim}: the protocol's and the driver's. */
export interface SwimNodeStats extends SwimStats {
  driver: ProtocolDriverStats;
}

/**
 * A SWIM member on a `Transport` endpoint: {@link SwimCore} run by core's `ProtocolDriver`.
 *
 * @example
 * ```ts
 * const swim = new Swim({ endpoint });
 * swim.on('member', (e) => console.log(e.kind, e.member.id));
 * swim.join(['seed-1']);
 * ```
 */
export class Swim extends Observable<SwimEvents> {
  readonly #driver: ProtocolDriver<SwimMessage, never, SwimEffect>;
  readonly #core: SwimCore;
  #leaveWaiters: (() => void)[] = [];
  #leaveDone = false;

  constructor(options: SwimOptions) {
    super();
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('Swim needs an options object');
    const endpoint = options.endpoint;
    if (typeof endpoint?.send !== 'function') throw new InvalidArgumentError('options.endpoint must be an Endpoint');
    const clock = options.clock ?? systemClock;
    this.#core = new SwimCore({
      id: endpoint.id,
      now: clock.monotonic(),
      random: options.random ?? systemRandom,
      ...(options.profile === undefined ? {} : { profile: options.profile }),
      ...(options.lifeguard === undefined ? {} : { lifeguard: options.lifeguard }),
      ...(options.meta === undefined ? {} : { meta: options.meta }),
    });
    this.#driver = new ProtocolDriver({
      core: this.#core,
      endpoint,
      codec: swimCodec(options.encryption),
      accepts: isSwimTraffic,
      apply: (effect) => this.#apply(effect),
      clock,
      ...(options.timers === undefined ? {} : { timers: options.timers }),
    });
    this.#driver.on('error', (error) => this.emit('error', error));
  }

  get id(): NodeId {
    return this.#core.id;
  }

  /** Every member known, this one first. */
  members(): Member[] {
    return this.#core.members();
  }

  /** Contacts the seeds; membership then spreads by gossip. */
  join(seeds: readonly NodeId[]): void {
    this.#driver.run(() => this.#core.join(seeds));
  }

  /** Publishes new metadata (at most 512 bytes). */
  updateMetadata(meta: Uint8Array): void {
    this.#driver.run(() => this.#core.updateMetadata(meta));
  }

  /** Announces a graceful leave; resolves once it has been gossiped out (or on abort). */
  async leave(options?: AbortOptions): Promise<void> {
    if (!this.#core.left) this.#driver.run(() => this.#core.leave());
    if (this.#leaveDone) return;
    await raceAbort(new Promise<void>((resolve) => this.#leaveWaiters.push(resolve)), options?.signal);
  }

  stats(): SwimNodeStats {
    return { ...this.#core.stats(), driver: this.#driver.stats() };
  }

  /** Stops the node (without a leave: others will find it dead). */
  stop(): Promise<void> {
    return this.#driver.stop();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  #apply(effect: SwimEffect): void {
    if (effect.type === 'member') {
      this.emit('member', effect.event);
      return;
    }
    this.#leaveDone = true;
    for (const resolve of this.#leaveWaiters.splice(0)) resolve();
  }
}
