import { assertNodeId, DecodeError, type NodeId } from '@lattice/core';
import { ConfChangeError } from './errors.js';
import { checkConfState, isJoint } from './quorum.js';
import type { ConfChange, ConfChangeStep, ConfState } from './types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const STEP_TYPES = new Set(['addVoter', 'addLearner', 'remove']);
const TRANSITIONS = new Set(['auto', 'explicit', 'joint']);

/** The bytes a config entry carries; a malformed change is a `ConfChangeError`. */
export function encodeConfChange(change: ConfChange): Uint8Array {
  checkConfChange(change);
  return encoder.encode(JSON.stringify({ steps: change.steps.map((s) => ({ type: s.type, node: s.node })), transition: change.transition ?? 'auto' }));
}

/** Reads a config entry's bytes; throws `DecodeError` on anything but a well-formed change. */
export function decodeConfChange(bytes: Uint8Array): ConfChange {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (cause) {
    throw new DecodeError('Config entry is not a valid membership change', { cause });
  }
  return checkConfChange(value, DecodeError);
}

/** Checks the shape of a change given by a caller or a peer. */
export function checkConfChange(value: unknown, ErrorClass: new (message: string) => Error = ConfChangeError): ConfChange {
  if (typeof value !== 'object' || value === null) throw new ErrorClass('A membership change must be an object { steps, transition? }');
  const { steps, transition } = value as { steps?: unknown; transition?: unknown };
  if (!Array.isArray(steps) || steps.length > 64) throw new ErrorClass('A membership change needs steps: an array of at most 64');
  if (transition !== undefined && !TRANSITIONS.has(transition as string)) throw new ErrorClass(`Unknown transition ${String(transition)}`);
  const checked: ConfChangeStep[] = [];
  for (const step of steps as unknown[]) {
    const { type, node } = (step ?? {}) as { type?: unknown; node?: unknown };
    if (!STEP_TYPES.has(type as string)) throw new ErrorClass(`Unknown membership step type ${String(type)}`);
    try {
      assertNodeId(node);
    } catch {
      throw new ErrorClass(`Invalid node id in a membership step: ${String(node)}`);
    }
    checked.push({ type: type as ConfChangeStep['type'], node: node as NodeId });
  }
  return transition === undefined ? { steps: checked } : { steps: checked, transition: transition as 'auto' | 'explicit' | 'joint' };
}

/**
 * The configuration `change` leads to from `conf`, or a `ConfChangeError` explaining why it is
 * not allowed: entering a joint configuration while joint, leaving one that is not joint,
 * changing more than one voter without joint consensus, or leaving no voter.
 */
export function applyConfChange(conf: ConfState, change: ConfChange): ConfState {
  checkConfState(conf);
  checkConfChange(change);
  if (change.steps.length === 0) {
    if (!isJoint(conf)) throw new ConfChangeError('Not in a joint configuration: there is nothing to leave');
    return {
      voters: conf.voters,
      learners: [...new Set([...conf.learners, ...conf.learnersNext])],
      outgoing: [],
      learnersNext: [],
      autoLeave: false,
    };
  }
  if (isJoint(conf)) throw new ConfChangeError('A joint configuration must be left before the next change');
  const voters = new Set(conf.voters);
  const learners = new Set(conf.learners);
  const learnersNext = new Set<NodeId>();
  const votersBefore = new Set(conf.voters);
  for (const { type, node } of change.steps) {
    if (type === 'addVoter') {
      voters.add(node);
      learners.delete(node);
      learnersNext.delete(node);
    } else if (type === 'addLearner') {
      voters.delete(node);
      // A voter demoted through a joint configuration stays a voter of the outgoing half until it is left.
      if (votersBefore.has(node)) learnersNext.add(node);
      else learners.add(node);
    } else {
      if (!voters.has(node) && !learners.has(node) && !learnersNext.has(node)) {
        throw new ConfChangeError(`Node "${node}" is not a member`);
      }
      voters.delete(node);
      learners.delete(node);
      learnersNext.delete(node);
    }
  }
  if (voters.size === 0) throw new ConfChangeError('A configuration needs at least one voter');
  const changedVoters = symmetricDifference(votersBefore, voters);
  const joint = change.transition === 'joint' || change.transition === 'explicit' || changedVoters > 1;
  if (!joint) {
    return { voters: [...voters], learners: [...learners, ...learnersNext], outgoing: [], learnersNext: [], autoLeave: false };
  }
  return {
    voters: [...voters],
    learners: [...learners],
    outgoing: conf.voters,
    learnersNext: [...learnersNext],
    autoLeave: change.transition !== 'explicit',
  };
}

function symmetricDifference(a: ReadonlySet<NodeId>, b: ReadonlySet<NodeId>): number {
  let count = 0;
  for (const x of a) if (!b.has(x)) count++;
  for (const x of b) if (!a.has(x)) count++;
  return count;
}
