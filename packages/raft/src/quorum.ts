import type { NodeId } from '@lattice/core';
import type { ConfState } from './types.js';

/** Outcome of counting votes. */
export type VoteResult = 'won' | 'lost' | 'pending';

/** The highest index acknowledged by a majority of `voters` (`match` of each); Infinity with no voters. */
function majorityIndex(voters: readonly NodeId[], match: (node: NodeId) => number): number {
  if (voters.length === 0) return Number.POSITIVE_INFINITY;
  const indexes = voters.map(match).sort((a, b) => b - a);
  return indexes[(voters.length >> 1)] ?? 0;
}

function majorityVote(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.length === 0) return 'won';
  let granted = 0;
  let rejected = 0;
  for (const voter of voters) {
    const vote = votes.get(voter);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  const quorum = (voters.length >> 1) + 1;
  if (granted >= quorum) return 'won';
  if (voters.length - rejected < quorum) return 'lost';
  return 'pending';
}

/**
 * The index a (possibly joint) configuration has committed: a majority of the incoming voters
 * and, while joint, of the outgoing ones too.
 */
export function committedIndex(conf: ConfState, match: (node: NodeId) => number): number {
  const incoming = majorityIndex(conf.voters, match);
  const outgoing = majorityIndex(conf.outgoing, match);
  const index = Math.min(incoming, outgoing);
  return index === Number.POSITIVE_INFINITY ? 0 : index;
}

/** Counts an election in a (possibly joint) configuration: both halves must be won. */
export function voteResult(conf: ConfState, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const incoming = majorityVote(conf.voters, votes);
  const outgoing = majorityVote(conf.outgoing, votes);
  if (incoming === 'won' && outgoing === 'won') return 'won';
  if (incoming === 'lost' || outgoing === 'lost') return 'lost';
  return 'pending';
}

/** Every voter of either half of the configuration. */
export function allVoters(conf: ConfState): NodeId[] {
  return [...new Set([...conf.voters, ...conf.outgoing])];
}

/** Every member the leader replicates to: voters of both halves and learners. */
export function allMembers(conf: ConfState): NodeId[] {
  return [...new Set([...conf.voters, ...conf.outgoing, ...conf.learners, ...conf.learnersNext])];
}

/** True when `node` can vote in `conf`. */
export function isVoter(conf: ConfState, node: NodeId): boolean {
  return conf.voters.includes(node) || conf.outgoing.includes(node);
}

/** True when the configuration is joint. */
export function isJoint(conf: ConfState): boolean {
  return conf.outgoing.length > 0;
}

/** A configuration of voters only. */
export function confOf(voters: readonly NodeId[], learners: readonly NodeId[] = []): ConfState {
  return { voters: [...voters], learners: [...learners], outgoing: [], learnersNext: [], autoLeave: false };
}
