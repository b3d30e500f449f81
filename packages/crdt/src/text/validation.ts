import { assertNodeId, describeValue, InvalidArgumentError } from '@lattice/core';
import { codePointLength } from './code-points.js';
import type { TextDelete, TextId, TextInsert, TextUpdate, TextVersion } from './types.js';

/*
 * Checks of what callers hand the text API. A wrong value is refused where it is passed, with an
 * `InvalidArgumentError` naming it, before anything changes: left alone it would fail later,
 * deep inside, as a `TypeError` (or, worse, be half applied).
 */

/**
 * Most characters one agent can insert into a document: its text is kept in one string, and
 * this bound also stops a hostile update from making a replica allocate without limit.
 */
export const MAX_AGENT_CHARS = 2 ** 28;

/** A short description of a wrong value for an error message: core's, under the name this folder uses. */
export const describe: (value: unknown) => string = describeValue;

export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function checkId(id: unknown, what: string): TextId | null {
  if (id === null || id === undefined) return null;
  if (!Array.isArray(id) || id.length !== 2 || !isCount(id[1])) throw new InvalidArgumentError(`${what} must be null or [agent, seq], got ${describe(id)}`);
  assertNodeId(id[0], `${what} agent`);
  return [id[0], id[1]];
}

/**
 * Checks that `update` is a well-formed {@link TextUpdate} and returns it with absent origins and
 * content spelled as `null`. Throws `InvalidArgumentError` naming the first bad part.
 */
export function checkTextUpdate(update: unknown, what = 'update'): TextUpdate {
  if (typeof update !== 'object' || update === null) throw new InvalidArgumentError(`${what} must be { inserts: [], deletes: [] }, got ${describe(update)}`);
  const { inserts, deletes } = update as Partial<TextUpdate>;
  if (!Array.isArray(inserts) || !Array.isArray(deletes)) throw new InvalidArgumentError(`${what} must be { inserts: [], deletes: [] }`);
  const checkedInserts = (inserts as unknown[]).map((value, k): TextInsert => {
    const where = `${what}.inserts[${k}]`;
    if (typeof value !== 'object' || value === null) throw new InvalidArgumentError(`${where} must be an object, got ${describe(value)}`);
    const i = value as Partial<TextInsert>;
    assertNodeId(i.agent, `${where}.agent`);
    if (!isCount(i.seq) || !isCount(i.length) || i.length === 0) throw new InvalidArgumentError(`${where} needs an integer seq >= 0 and length >= 1`);
    if (i.seq + i.length > MAX_AGENT_CHARS) throw new InvalidArgumentError(`${where} goes beyond the ${MAX_AGENT_CHARS} characters one agent can have`);
    const left = checkId(i.left, `${where}.left`);
    const right = checkId(i.right, `${where}.right`);
    const content = i.content ?? null;
    if (content !== null && (typeof content !== 'string' || codePointLength(content) !== i.length)) {
      throw new InvalidArgumentError(`${where}.content must be a string of \`length\` code points, or null`);
    }
    if (left !== null && right !== null && left[0] === right[0] && left[1] === right[1]) throw new InvalidArgumentError(`${where}: left and right origin are the same character`);
    for (const origin of [left, right]) {
      if (origin !== null && origin[0] === i.agent && origin[1] >= i.seq) throw new InvalidArgumentError(`${where}: an origin by the same agent must precede the run`);
    }
    return left === i.left && right === i.right && content === i.content ? (i as TextInsert) : { agent: i.agent, seq: i.seq, length: i.length, left, right, content };
  });
  const checkedDeletes = (deletes as unknown[]).map((value, k): TextDelete => {
    const where = `${what}.deletes[${k}]`;
    if (typeof value !== 'object' || value === null) throw new InvalidArgumentError(`${where} must be an object, got ${describe(value)}`);
    const d = value as Partial<TextDelete>;
    assertNodeId(d.agent, `${where}.agent`);
    if (!isCount(d.seq) || !isCount(d.length) || d.length === 0) throw new InvalidArgumentError(`${where} needs an integer seq >= 0 and length >= 1`);
    return d as TextDelete;
  });
  return { inserts: checkedInserts, deletes: checkedDeletes };
}

/** Checks a {@link TextVersion}: an object of agent ids to character counts. */
export function checkTextVersion(version: unknown, what = 'version'): TextVersion {
  if (typeof version !== 'object' || version === null || Array.isArray(version)) throw new InvalidArgumentError(`${what} must be an object of agent → count, got ${describe(version)}`);
  for (const [agent, count] of Object.entries(version)) {
    if (!isCount(count)) throw new InvalidArgumentError(`${what}[${JSON.stringify(agent)}] must be an integer >= 0, got ${describe(count)}`);
  }
  return version as TextVersion;
}
