import { assertFunction, assertObject, InvalidArgumentError, isLatticeError, ClosedError, type NodeId, type Unsubscribe } from '@lattice/core';
import type { DistributedLimiter } from './distributed-limiter.js';

/** A member as a membership service reports it (the shape of `@lattice/gossip`'s `Member`). */
export interface MembershipMember {
  readonly id: NodeId;
  /** `alive`, `suspect`, `dead` or `left` (SWIM's states). */
  readonly state: string;
}

/**
 * What {@link followMembership} needs from a membership service: the members now, and an event
 * on every change. `@lattice/gossip`'s `Swim` has exactly this shape; nothing here depends on it.
 */
export interface MembershipSource {
  members(): readonly MembershipMember[];
  on(event: 'member', listener: (event: { readonly member: MembershipMember }) => void): Unsubscribe;
}

/** Options of {@link followMembership}. */
export interface FollowMembershipOptions {
  /**
   * What a member declared dead does to the peer set. `'remove'` (default): it leaves the set,
   * so the survivors share the whole limit — but in a partition each side declares the other
   * dead, and each side then admits up to the whole limit. `'keep'`: it stays a peer that is not
   * heard from, so the survivors keep to their share (⌊limit × reachable / N⌋) until it is back
   * or leaves gracefully — safer under partitions, stingier after real crashes.
   */
  failed?: 'remove' | 'keep';
  /** Only members this accepts are peers (e.g. those whose metadata says they run the limiter). Default: all. */
  accept?: (member: MembershipMember) => boolean;
}

/**
 * Drives a {@link DistributedLimiter}'s peer set from a membership service such as SWIM
 * (`@lattice/gossip`'s `Swim`): alive and suspected members are peers, members that left are
 * not, and failed ones per `options.failed`. The limiter's node set is replaced at once, then on
 * every membership event that changes it. Returns a function that stops following (it also stops
 * by itself at the first event after the limiter was closed).
 *
 * @example
 * ```ts
 * const swim = new Swim({ endpoint: gossipEndpoint });
 * const limiter = new DistributedLimiter({ endpoint, nodes: [endpoint.id], limit: 1000, windowMs: 60_000 });
 * const stop = followMembership(limiter, swim);
 * swim.join(['seed-1']);
 * ```
 */
export function followMembership(limiter: DistributedLimiter, membership: MembershipSource, options: FollowMembershipOptions = {}): Unsubscribe {
  if (typeof limiter?.setNodes !== 'function') throw new InvalidArgumentError('limiter must be a DistributedLimiter');
  if (typeof membership?.members !== 'function' || typeof membership.on !== 'function') throw new InvalidArgumentError('membership must have members() and on("member", listener), as Swim does');
  assertObject(options, 'followMembership options');
  const failed = options.failed ?? 'remove';
  if (failed !== 'remove' && failed !== 'keep') throw new InvalidArgumentError(`options.failed must be "remove" or "keep", got ${String(failed)}`);
  const accept = options.accept;
  if (accept !== undefined) assertFunction(accept, 'options.accept');
  let current = '';
  const sync = (): void => {
    const nodes = membership
      .members()
      .filter((m) => (m.state === 'alive' || m.state === 'suspect' || (m.state === 'dead' && failed === 'keep')) && (accept === undefined || accept(m)))
      .map((m) => m.id)
      .sort();
    const key = nodes.join('\u0000');
    if (key === current) return;
    current = key;
    limiter.setNodes(nodes);
  };
  sync();
  let stopped = false;
  const unsubscribe = membership.on('member', () => {
    if (stopped) return;
    try {
      sync();
    } catch (error) {
      if (!isLatticeError(error, ClosedError.code)) throw error;
      stop();
    }
  });
  const stop = (): void => {
    stopped = true;
    unsubscribe();
  };
  return stop;
}
