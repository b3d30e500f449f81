import { describeValue as describe, InvalidArgumentError } from '@lattice/core';

/**
 * A NATS subject token may not contain `.`, `*`, `>` or whitespace, and several clusters share
 * one deployment, so every node id and cluster name is escaped into a token of its own that no
 * other string maps to: ASCII letters, digits and `-` stay as they are; every other character
 * (including `_` itself) becomes `_` followed by two upper-case hex digits per UTF-8 byte. So
 * `node-1` stays `node-1`, `db.eu/1` becomes `db_2Eeu_2F1`, `_x` becomes `_5Fx`. Because an
 * escaped token never holds `_` followed by anything but two hex digits, the reserved token
 * `_probe` can never be a node's.
 */
export function subjectToken(value: string): string {
  if (typeof value !== 'string') throw new InvalidArgumentError(`subjectToken needs a string, got ${describe(value)}`);
  let plain = true;
  for (let i = 0; i < value.length; i++) {
    if (!isPlain(value.charCodeAt(i))) {
      plain = false;
      break;
    }
  }
  if (plain) return value;
  let token = '';
  for (const byte of new TextEncoder().encode(value)) {
    token += isPlain(byte) ? String.fromCharCode(byte) : `_${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return token;
}

function isPlain(unit: number): boolean {
  return (unit >= 0x30 && unit <= 0x39) || (unit >= 0x41 && unit <= 0x5a) || (unit >= 0x61 && unit <= 0x7a) || unit === 0x2d;
}

/** The token that separates probe subjects from node subjects (see {@link subjectToken}: no node id escapes to it). */
const PROBE_TOKEN = '_probe';

/** Where the subjects of one cluster live: `<prefix>.<cluster>.<node>` for messages, `<prefix>.<cluster>._probe.<node>` for presence probes. */
export class SubjectScheme {
  readonly base: string;

  constructor(prefix: string, cluster: string) {
    this.base = `${prefix}.${subjectToken(cluster)}`;
  }

  /** The subject node `id` receives its messages on. */
  node(id: string): string {
    return `${this.base}.${subjectToken(id)}`;
  }

  /** The subject node `id` answers presence probes on. */
  probe(id: string): string {
    return `${this.base}.${PROBE_TOKEN}.${subjectToken(id)}`;
  }
}

const SUBJECT_PREFIX = /^[^\s.*>]+(\.[^\s.*>]+)*$/;

/** Throws `InvalidArgumentError` unless `prefix` is a literal NATS subject (dot-separated non-empty tokens, no wildcards or whitespace). */
export function assertSubjectPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || !SUBJECT_PREFIX.test(prefix)) {
    throw new InvalidArgumentError(`subjectPrefix must be a NATS subject of dot-separated tokens without wildcards or whitespace, got ${describe(prefix)}`);
  }
}
