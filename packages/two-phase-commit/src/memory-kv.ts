import { assertOptionalObject, ByteReader, ByteWriter, describeValue, InvalidArgumentError, isLatticeError } from '@lattice/core';
import type { ParticipantResource } from './resource.js';
import type { Gid, Vote } from './types.js';

/** One operation on a {@link MemoryKv}: add to an integer (never below zero), or set it. */
export type KvOp = { readonly op: 'add'; readonly key: string; readonly amount: number } | { readonly op: 'set'; readonly key: string; readonly value: number };

/** Encodes operations for `enlist`/`transaction`. */
export function encodeKvOps(ops: readonly KvOp[]): Uint8Array {
  if (!Array.isArray(ops)) throw new InvalidArgumentError(`encodeKvOps needs an array of KV ops, got ${describeValue(ops)}`);
  const w = new ByteWriter();
  w.uint(ops.length);
  for (const op of ops) {
    if (typeof op?.key !== 'string') throw new InvalidArgumentError('A KV op needs a string key');
    if (op.op !== 'add' && op.op !== 'set') throw new InvalidArgumentError(`A KV op is 'add' or 'set', got ${describeValue(op.op)}`);
    const n = op.op === 'add' ? op.amount : op.value;
    if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`A KV op needs a safe integer, got ${String(n)}`);
    w.byte(op.op === 'add' ? 0 : 1);
    w.string(op.key);
    w.int(n);
  }
  return w.finish();
}

/** Decodes operations; throws `DecodeError` on garbage. */
export function decodeKvOps(bytes: Uint8Array): KvOp[] {
  const r = new ByteReader(bytes, 'KV operations');
  const count = r.uint();
  if (count > r.remaining) r.fail(`${count} operations claimed`);
  const ops: KvOp[] = [];
  for (let i = 0; i < count; i++) {
    const tag = r.byte();
    if (tag > 1) r.fail(`unknown KV op ${tag}`);
    const key = r.string();
    const n = r.int();
    ops.push(tag === 0 ? { op: 'add', key, amount: n } : { op: 'set', key, value: n });
  }
  r.end();
  return ops;
}

/**
 * An in-memory key-value store of integers as a {@link ParticipantResource}: `prepare` takes
 * every key's lock without waiting (a key locked by another transaction, or an `add` that would
 * go below zero, votes no) and keeps the operations until `commit` applies them. It keeps nothing
 * durable itself: after a crash, build a fresh one with the same `initial` values and the
 * participant rebuilds it from its log (`restore` and `commit` of every logged transaction).
 */
export class MemoryKv implements ParticipantResource {
  readonly #values: Map<string, number>;
  readonly #locks = new Map<string, Set<Gid>>();
  readonly #prepared = new Map<Gid, KvOp[]>();

  constructor(initial: Readonly<Record<string, number>> = {}) {
    assertOptionalObject(initial, 'MemoryKv initial values');
    for (const [key, value] of Object.entries(initial)) {
      if (!Number.isSafeInteger(value)) throw new InvalidArgumentError(`MemoryKv initial value of "${key}" must be a safe integer, got ${describeValue(value)}`);
    }
    this.#values = new Map(Object.entries(initial));
  }

  /** The committed value of `key` (0 when never written). */
  get(key: string): number {
    return this.#values.get(key) ?? 0;
  }

  /** Every committed value. */
  entries(): [string, number][] {
    return [...this.#values];
  }

  /** Gids prepared and not yet committed or aborted. */
  preparedGids(): Gid[] {
    return [...this.#prepared.keys()];
  }

  prepare(gid: Gid, bytes: Uint8Array): Vote {
    if (this.#prepared.has(gid)) return 'yes';
    let ops: KvOp[];
    try {
      ops = decodeKvOps(bytes);
    } catch (error) {
      if (isLatticeError(error)) return 'no';
      throw error;
    }
    const after = new Map<string, number>();
    for (const op of ops) {
      if ((this.#locks.get(op.key)?.size ?? 0) > 0) return 'no';
      const value = op.op === 'add' ? (after.get(op.key) ?? this.get(op.key)) + op.amount : op.value;
      if (value < 0) return 'no';
      after.set(op.key, value);
    }
    this.#hold(gid, ops);
    return 'yes';
  }

  commit(gid: Gid): void {
    const ops = this.#prepared.get(gid);
    if (ops === undefined) return;
    for (const op of ops) this.#values.set(op.key, op.op === 'add' ? this.get(op.key) + op.amount : op.value);
    this.#release(gid, ops);
  }

  abort(gid: Gid): void {
    const ops = this.#prepared.get(gid);
    if (ops !== undefined) this.#release(gid, ops);
  }

  recover(): Gid[] {
    return this.preparedGids();
  }

  restore(gid: Gid, bytes: Uint8Array): void {
    // The log said yes to it already: hold its locks even where another restored transaction holds
    // them too (an earlier one whose unsynced abort was lost in the crash; it is aborted again).
    if (!this.#prepared.has(gid)) this.#hold(gid, decodeKvOps(bytes));
  }

  #hold(gid: Gid, ops: KvOp[]): void {
    this.#prepared.set(gid, ops);
    for (const op of ops) {
      let holders = this.#locks.get(op.key);
      if (holders === undefined) this.#locks.set(op.key, (holders = new Set()));
      holders.add(gid);
    }
  }

  #release(gid: Gid, ops: KvOp[]): void {
    this.#prepared.delete(gid);
    for (const op of ops) {
      const holders = this.#locks.get(op.key);
      holders?.delete(gid);
      if (holders?.size === 0) this.#locks.delete(op.key);
    }
  }
}
