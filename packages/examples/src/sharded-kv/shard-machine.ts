/**
 * One shard's replicated state: a multi-version store keyed by HLC timestamps, with the locks
 * and prepare records of two-phase commit, as a deterministic Raft state machine. Every read,
 * write, prepare and decision is a command in the shard's Raft log, so a new leader knows every
 * lock, every prepared transaction and the newest timestamp any read was served at.
 */
import { LatticeError, type LatticeErrorOptions } from '@lattice/core';
import type { StateMachine } from '@lattice/raft';

/** Thrown when a shard command or snapshot does not decode. */
export class MalformedShardCommandError extends LatticeError {
  static readonly code = 'ERR_MALFORMED_SHARD_COMMAND';
  override readonly name = 'MalformedShardCommandError';
  constructor(message: string, options?: LatticeErrorOptions) {
    super(MalformedShardCommandError.code, message, options);
  }
}

/** A timestamp: `formatHlc` of an HLC timestamp, whose string order is the timestamps' order. */
export type Timestamp = string;

/** One committed version of a key. */
export interface Version {
  readonly ts: Timestamp;
  readonly value: string;
}

/** A command of a shard's Raft log. */
export type ShardCommand =
  /** Snapshot read at `ts`: the newest version at or before it of each key. */
  | { readonly t: 'read'; readonly keys: readonly string[]; readonly ts: Timestamp }
  /** Phase 1 of a cross-shard transaction: check, then lock the keys it writes. */
  | { readonly t: 'prepare'; readonly gid: string; readonly writes: readonly (readonly [string, string])[]; readonly readTs: Timestamp; readonly commitTs: Timestamp }
  | { readonly t: 'commit'; readonly gid: string }
  | { readonly t: 'abort'; readonly gid: string }
  /** A transaction on this shard alone: checked and installed in one command. */
  | { readonly t: 'txn'; readonly gid: string; readonly writes: readonly (readonly [string, string])[]; readonly readTs: Timestamp; readonly commitTs: Timestamp }
  /** Rebalancing, step 1 at the old owner: refuse the keys from now on (they belong to `to`) and hand over their versions. */
  | { readonly t: 'export'; readonly keys: readonly string[]; readonly to: string }
  /** Rebalancing, step 2 at the new owner: the versions, and the read marks (no commit may land below a read the old owner served). */
  | { readonly t: 'ingest'; readonly versions: readonly (readonly [string, readonly Version[]])[]; readonly marks: readonly (readonly [string, Timestamp])[] };

/** What applying a command returns (to the node that proposed it). */
export type ShardResult =
  /** `horizon`: the newest read mark or version of the keys read (a later commit timestamp must exceed it). */
  | { readonly type: 'values'; readonly values: Readonly<Record<string, Version | null>>; readonly horizon: Timestamp }
  /** A transaction prepared at or before the read's timestamp holds a key: retry once it is decided. */
  | { readonly type: 'blocked'; readonly key: string; readonly gid: string }
  /** A key was moved to another group by rebalancing. */
  | { readonly type: 'moved'; readonly key: string; readonly to: string }
  | { readonly type: 'vote'; readonly vote: 'yes' | 'no'; readonly reason: string }
  | { readonly type: 'committed' }
  | { readonly type: 'conflict'; readonly reason: string }
  | { readonly type: 'done' }
  | { readonly type: 'exported'; readonly versions: readonly (readonly [string, readonly Version[]])[]; readonly marks: readonly (readonly [string, Timestamp])[] }
  /** Keys to export are locked by a prepared transaction: retry. */
  | { readonly type: 'busy'; readonly gid: string }
  | { readonly type: 'invalid'; readonly reason: string };

/** Defects a test switches on to show the bank simulation catches them. */
export interface ShardDeliberateBugs {
  /** Serves a snapshot read without waiting for a transaction prepared at or below its timestamp. */
  readIgnoresPrepared?: boolean;
}

interface Prepared {
  readonly writes: readonly (readonly [string, string])[];
  readonly commitTs: Timestamp;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const encodeShardCommand = (command: ShardCommand): Uint8Array => encoder.encode(JSON.stringify(command));

/**
 * The rules that make snapshot reads exact: a read at `ts` waits for every transaction prepared
 * with a commit timestamp at or below `ts` on a key it reads, and records `ts` as the key's read
 * mark; a prepare (or single-shard transaction) is refused when a key it writes is locked, has a
 * version newer than the transaction's read timestamp (first committer wins), or was read at or
 * after its commit timestamp (that read did not wait for it). So once a read at `ts` returns,
 * no transaction can ever install a version at or below `ts` on the keys it read.
 */
export class ShardMachine implements StateMachine<ShardResult> {
  #versions = new Map<string, Version[]>();
  #readMark = new Map<string, Timestamp>();
  #locks = new Map<string, string>();
  #prepared = new Map<string, Prepared>();
  #done = new Map<string, 'committed' | 'aborted'>();
  #moved = new Map<string, string>();
  readonly #bugs: ShardDeliberateBugs;

  constructor(bugs: ShardDeliberateBugs = {}) {
    this.#bugs = bugs;
  }

  /** Keys this shard holds (not moved away). */
  keys(): string[] {
    return [...this.#versions.keys()].filter((key) => !this.#moved.has(key));
  }

  /** Gids prepared here and not yet decided (the shard is in doubt about them). */
  inDoubt(): string[] {
    return [...this.#prepared.keys()];
  }

  /** The newest version of `key` (tests and the demo read it directly). */
  latest(key: string): Version | undefined {
    return this.#versions.get(key)?.at(-1);
  }

  apply(bytes: Uint8Array): ShardResult {
    let command: ShardCommand;
    try {
      command = decodeShardCommand(bytes);
    } catch (error) {
      return { type: 'invalid', reason: (error as Error).message };
    }
    switch (command.t) {
      case 'read':
        return this.#read(command.keys, command.ts);
      case 'prepare': {
        const done = this.#done.get(command.gid);
        if (done !== undefined) return { type: 'vote', vote: done === 'committed' ? 'yes' : 'no', reason: `already ${done}` };
        if (this.#prepared.has(command.gid)) return { type: 'vote', vote: 'yes', reason: 'already prepared' };
        const refusal = this.#check(command.gid, command.writes, command.readTs, command.commitTs);
        if (refusal !== undefined) {
          // Remembered, so a prepare that arrives again (a duplicate) is refused the same way.
          this.#done.set(command.gid, 'aborted');
          return { type: 'vote', vote: 'no', reason: refusal };
        }
        for (const [key] of command.writes) this.#locks.set(key, command.gid);
        this.#prepared.set(command.gid, { writes: command.writes, commitTs: command.commitTs });
        return { type: 'vote', vote: 'yes', reason: 'prepared' };
      }
      case 'commit': {
        const prepared = this.#prepared.get(command.gid);
        if (prepared === undefined) {
          if (this.#done.get(command.gid) === 'committed') return { type: 'done' };
          return { type: 'invalid', reason: `commit of ${command.gid}, which is not prepared here` };
        }
        this.#install(prepared.writes, prepared.commitTs);
        this.#release(command.gid, prepared);
        this.#done.set(command.gid, 'committed');
        return { type: 'done' };
      }
      case 'abort': {
        const prepared = this.#prepared.get(command.gid);
        if (prepared !== undefined) this.#release(command.gid, prepared);
        // An abort that overtakes its prepare: the prepare, when it comes, is refused.
        if (!this.#done.has(command.gid)) this.#done.set(command.gid, 'aborted');
        return { type: 'done' };
      }
      case 'txn': {
        if (this.#done.has(command.gid)) return this.#done.get(command.gid) === 'committed' ? { type: 'committed' } : { type: 'conflict', reason: 'already refused' };
        for (const [key] of command.writes) {
          const to = this.#moved.get(key);
          if (to !== undefined) return { type: 'moved', key, to };
        }
        const refusal = this.#check(command.gid, command.writes, command.readTs, command.commitTs);
        if (refusal !== undefined) {
          this.#done.set(command.gid, 'aborted');
          return { type: 'conflict', reason: refusal };
        }
        this.#install(command.writes, command.commitTs);
        this.#done.set(command.gid, 'committed');
        return { type: 'committed' };
      }
      case 'export': {
        for (const key of command.keys) {
          const gid = this.#locks.get(key);
          if (gid !== undefined) return { type: 'busy', gid };
        }
        // The versions stay (refused from now on), so an export retried after a lost answer hands over the same ones.
        const versions: [string, Version[]][] = [];
        const marks: [string, Timestamp][] = [];
        for (const key of command.keys) {
          versions.push([key, this.#versions.get(key) ?? []]);
          const mark = this.#readMark.get(key);
          if (mark !== undefined) marks.push([key, mark]);
          this.#moved.set(key, command.to);
        }
        return { type: 'exported', versions, marks };
      }
      case 'ingest': {
        for (const [key, versions] of command.versions) {
          // Ingesting twice (a retried step) keeps one copy.
          if (!this.#versions.has(key)) this.#versions.set(key, [...versions]);
          this.#moved.delete(key);
        }
        for (const [key, mark] of command.marks) {
          const current = this.#readMark.get(key);
          if (current === undefined || current < mark) this.#readMark.set(key, mark);
        }
        return { type: 'done' };
      }
    }
  }

  #read(keys: readonly string[], ts: Timestamp): ShardResult {
    for (const key of keys) {
      const to = this.#moved.get(key);
      if (to !== undefined) return { type: 'moved', key, to };
      const gid = this.#locks.get(key);
      if (gid !== undefined && !this.#bugs.readIgnoresPrepared && this.#prepared.get(gid)!.commitTs <= ts) return { type: 'blocked', key, gid };
    }
    const values: Record<string, Version | null> = {};
    let horizon = ts;
    for (const key of keys) {
      const mark = this.#readMark.get(key);
      if (mark === undefined || mark < ts) this.#readMark.set(key, ts);
      else if (mark > horizon) horizon = mark;
      const versions = this.#versions.get(key) ?? [];
      const newest = versions.at(-1)?.ts;
      if (newest !== undefined && newest > horizon) horizon = newest;
      let found: Version | null = null;
      for (let i = versions.length - 1; i >= 0; i--) {
        if (versions[i]!.ts <= ts) {
          found = versions[i]!;
          break;
        }
      }
      values[key] = found;
    }
    return { type: 'values', values, horizon };
  }

  #check(gid: string, writes: readonly (readonly [string, string])[], readTs: Timestamp, commitTs: Timestamp): string | undefined {
    if (commitTs <= readTs) return 'commit timestamp not after the read timestamp';
    for (const [key] of writes) {
      const to = this.#moved.get(key);
      if (to !== undefined) return `"${key}" moved to ${to}`;
      const holder = this.#locks.get(key);
      if (holder !== undefined && holder !== gid) return `"${key}" is locked by ${holder}`;
      const latest = this.#versions.get(key)?.at(-1);
      if (latest !== undefined && latest.ts > readTs) return `"${key}" has a version newer than the snapshot read`;
      const mark = this.#readMark.get(key);
      if (mark !== undefined && mark >= commitTs) return `"${key}" was read at or after the commit timestamp`;
    }
    return undefined;
  }

  #install(writes: readonly (readonly [string, string])[], ts: Timestamp): void {
    for (const [key, value] of writes) {
      const versions = this.#versions.get(key) ?? [];
      versions.push({ ts, value });
      versions.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
      this.#versions.set(key, versions);
    }
  }

  #release(gid: string, prepared: Prepared): void {
    for (const [key] of prepared.writes) if (this.#locks.get(key) === gid) this.#locks.delete(key);
    this.#prepared.delete(gid);
  }

  snapshot(): Uint8Array {
    return encoder.encode(
      JSON.stringify({
        versions: [...this.#versions],
        readMark: [...this.#readMark],
        locks: [...this.#locks],
        prepared: [...this.#prepared],
        done: [...this.#done],
        moved: [...this.#moved],
      }),
    );
  }

  restore(snapshot: Uint8Array): void {
    let state: Record<string, [string, never][]>;
    try {
      state = JSON.parse(decoder.decode(snapshot)) as Record<string, [string, never][]>;
    } catch (cause) {
      throw new MalformedShardCommandError('A shard snapshot is not JSON', { cause });
    }
    this.#versions = new Map(state.versions);
    this.#readMark = new Map(state.readMark);
    this.#locks = new Map(state.locks);
    this.#prepared = new Map(state.prepared);
    this.#done = new Map(state.done);
    this.#moved = new Map(state.moved);
  }
}

const KINDS = new Set(['read', 'prepare', 'commit', 'abort', 'txn', 'export', 'ingest']);

/** Decodes a shard command; throws `MalformedShardCommandError` for anything else. */
export function decodeShardCommand(bytes: Uint8Array): ShardCommand {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch (cause) {
    throw new MalformedShardCommandError('A shard command is not JSON', { cause });
  }
  const t = (parsed as { t?: unknown } | null)?.t;
  if (typeof t !== 'string' || !KINDS.has(t)) throw new MalformedShardCommandError(`Unknown shard command ${JSON.stringify(t)}`);
  const c = parsed as Record<string, unknown>;
  const strings = (value: unknown): boolean => Array.isArray(value) && value.every((v) => typeof v === 'string');
  const pairs = (value: unknown): boolean => Array.isArray(value) && value.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string');
  const ok =
    t === 'read'
      ? strings(c.keys) && typeof c.ts === 'string'
      : t === 'commit' || t === 'abort'
        ? typeof c.gid === 'string'
        : t === 'prepare' || t === 'txn'
          ? typeof c.gid === 'string' && pairs(c.writes) && typeof c.readTs === 'string' && typeof c.commitTs === 'string'
          : t === 'export'
            ? strings(c.keys) && typeof c.to === 'string'
            : Array.isArray(c.versions) && Array.isArray(c.marks);
  if (!ok) throw new MalformedShardCommandError(`A malformed "${t}" command`);
  return parsed as ShardCommand;
}
