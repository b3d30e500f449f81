import { assertNodeId, assertObject, describeValue, InvalidArgumentError, type NodeId } from '@lattice/core';
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

/**
 * Throws `InvalidArgumentError` unless `conf` is a `ConfState`: node-id lists `voters`,
 * `learners`, `outgoing` and `learnersNext`, and a boolean `autoLeave`. For the public helpers
 * (the core's own configurations are not checked on every use).
 */
export function checkConfState(conf: unknown, what = 'conf'): asserts conf is ConfState {
  assertObject(conf, what);
  const c = conf as Record<string, unknown>;
  for (const name of ['voters', 'learners', 'outgoing', 'learnersNext']) checkNodeIds(c[name], `${what}.${name}`);
  if (typeof c['autoLeave'] !== 'boolean') throw new InvalidArgumentError(`${what}.autoLeave must be true or false, got ${describeValue(c['autoLeave'])}`);
}

function checkNodeIds(ids: unknown, what: string): void {
  if (!Array.isArray(ids)) throw new InvalidArgumentError(`${what} must be an array of node ids, got ${describeValue(ids)}`);
  for (const [i, id] of ids.entries()) assertNodeId(id, `${what}[${i}]`);
}

/** True when `node` can vote in `conf`. A `conf` that is not a `ConfState` or a `node` that is not a node id is an `InvalidArgumentError`. */
export function isVoterChecked(conf: ConfState, node: NodeId): boolean {
  checkConfState(conf);
  assertNodeId(node, 'node');
  return isVoter(conf, node);
}

/** True when the configuration is joint. A `conf` that is not a `ConfState` is an `InvalidArgumentError`. */
export function isJointChecked(conf: ConfState): boolean {
  checkConfState(conf);
  return isJoint(conf);
}

/** A configuration of voters only (and learners). Lists that are not node ids are an `InvalidArgumentError`. */
export function confOfChecked(voters: readonly NodeId[], learners: readonly NodeId[] = []): ConfState {
  checkNodeIds(voters, 'voters');
  checkNodeIds(learners, 'learners');
  return confOf(voters, learners);
}
