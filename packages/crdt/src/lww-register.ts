import { type HlcTimestamp, HybridLogicalClock, compareHlc } from '@lattice/clocks';
import { type Clock, DecodeError, InvalidArgumentError, type NodeId } from '@lattice/core';
import type { Reader, Writer } from './binary.js';
import { type Crdt, type CrdtTypeDescriptor, joinMismatch } from './crdt.js';
import { checkNode } from './dot-context.js';
import { ReadOnlyReplicaError } from './errors.js';
import { expect, type JsonValue, readJsonValue, toStoredValue, writeJsonValue } from './values.js';

/** Options of the last-writer-wins types. */
export interface LwwOptions {
  /** The hybrid logical clock stamping writes (its node must be the replica's). Default: a new one on `clock`. */
  hlc?: HybridLogicalClock;
  /** Physical time for the default HLC. Default `systemClock`. */
  clock?: Clock;
}

/** A timestamped write; `value` undefined marks a deletion (LWW-Map tombstone). */
export interface Stamped<T> {
  readonly value: T | undefined;
  readonly timestamp: HlcTimestamp;
}

/** @internal Creates the HLC of an LWW replica. */
export function lwwClock(node: NodeId | undefined, options: LwwOptions): HybridLogicalClock | undefined {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('the options of an LWW type must be an object ({ clock } or { hlc })');
  const hlc = options.hlc as Partial<HybridLogicalClock> | null | undefined;
  // By shape, not instanceof: the HLC may come from another installed copy of @lattice/clocks.
  if (hlc !== undefined && (typeof hlc !== 'object' || hlc === null || typeof hlc.now !== 'function' || typeof hlc.update !== 'function' || typeof hlc.node !== 'string')) {
    throw new InvalidArgumentError('options.hlc must be a HybridLogicalClock');
  }
  if (options.clock !== undefined && (typeof options.clock !== 'object' || options.clock === null || typeof options.clock.now !== 'function')) {
    throw new InvalidArgumentError('options.clock must be a Clock (with now())');
  }
  if (options.hlc !== undefined) {
    if (node !== undefined && options.hlc.node !== node) {
      throw new InvalidArgumentError(`the HLC's node "${options.hlc.node}" differs from the replica's node "${node}"`);
    }
    return options.hlc;
  }
  if (node === undefined) return undefined;
  return new HybridLogicalClock(options.clock === undefined ? { node } : { node, clock: options.clock });
}

/**
 * True if write `b` beats write `a`: later HLC timestamp (ties broken by node id inside the
 * timestamp order); a same-timestamp conflict (only possible through misuse of one HLC by two
 * writers) is settled by the encoded value so every replica picks alike.
 * @internal
 */
export function wins<T>(a: Stamped<T> | undefined, b: Stamped<T>): boolean {
  if (a === undefined) return true;
  const order = compareHlc(a.timestamp, b.timestamp);
  if (order !== 0) return order < 0;
  return (JSON.stringify(b.value) ?? '') > (JSON.stringify(a.value) ?? '');
}

/** Lets the HLC observe a remote timestamp; a timestamp too far ahead is not adopted (the write still merges). @internal */
export function observe(hlc: HybridLogicalClock | undefined, timestamp: HlcTimestamp): void {
  if (hlc === undefined) return;
  try {
    hlc.update(timestamp);
  } catch {
    // A remote clock far ahead is refused by the HLC (ClockOffsetError); the join itself must stay total.
  }
}

/** Checks the shape of a stamped write handed to a constructor (an internal parameter). @internal */
export function checkStamped(entry: unknown, tombstoneAllowed: boolean, type: string): void {
  const fields = entry as { timestamp?: { wallTime?: unknown; logical?: unknown; node?: unknown }; value?: unknown } | null;
  const timestamp = fields?.timestamp;
  if (
    typeof entry !== 'object' ||
    entry === null ||
    typeof timestamp !== 'object' ||
    timestamp === null ||
    !Number.isSafeInteger(timestamp.wallTime) ||
    !Number.isSafeInteger(timestamp.logical) ||
    typeof timestamp.node !== 'string' ||
    (!tombstoneAllowed && fields?.value === undefined)
  ) {
    throw new InvalidArgumentError(`${type}: a stamped write must be { value, timestamp } as the package builds it`);
  }
}

/** @internal */
export function writeTimestamp(w: Writer, timestamp: HlcTimestamp): void {
  w.uint(timestamp.wallTime);
  w.uint(timestamp.logical);
  w.ref(timestamp.node);
}

/** @internal */
export function readTimestamp(r: Reader): HlcTimestamp {
  const wallTime = r.uint();
  const logical = r.uint();
  if (logical > 0xffff) throw new DecodeError(`HLC logical counter ${logical} out of range`);
  return { wallTime, logical, node: r.ref() };
}

/** @internal */
export function timestampToJSON(timestamp: HlcTimestamp): [number, number, NodeId] {
  return [timestamp.wallTime, timestamp.logical, timestamp.node];
}

/** @internal */
export function timestampFromJSON(json: unknown): HlcTimestamp {
  const [wallTime, logical, node] = expect.array(json, 'timestamp');
  const parsedLogical = expect.natural(logical, 'timestamp logical');
  if (parsedLogical > 0xffff) throw new DecodeError(`HLC logical counter ${parsedLogical} out of range`);
  return { wallTime: expect.natural(wallTime, 'timestamp wall time'), logical: parsedLogical, node: expect.node(node, 'timestamp node') };
}

/**
 * Last-writer-wins register: the write with the greatest hybrid-logical-clock timestamp wins,
 * ties broken by node id. Concurrent writes are lost by design: only one survives. A local
 * write is always stamped after every write to this register the replica has seen, even if its
 * wall clock lags (the HLC observes the current winner before stamping).
 *
 * @example
 * ```ts
 * const a = new LWWRegister<string>('a');
 * const b = new LWWRegister<string>('b');
 * const first = a.set('draft');
 * const second = b.join(first).set('final'); // b has seen 'draft', so its write is later
 * a.join(second).value();                     // 'final'
 * ```
 */
export class LWWRegister<T extends JsonValue = JsonValue> implements Crdt<T | undefined> {
  readonly node: NodeId | undefined;
  /** @internal */
  entry: Stamped<T> | undefined;
  readonly #hlc: HybridLogicalClock | undefined;
  readonly #options: LwwOptions;

  /**
   * @param node - this replica's node id (needed to write; omit for a read-only state).
   * @param options - the clock of the writes.
   * @param entry - @internal the write to wrap.
   */
  constructor(node?: NodeId, options: LwwOptions = {}, entry?: Stamped<T>) {
    checkNode(node);
    if (entry !== undefined) checkStamped(entry, false, 'LWWRegister');
    this.node = node;
    this.#options = options;
    this.#hlc = lwwClock(node, options);
    this.entry = entry;
  }

  get type(): CrdtTypeDescriptor {
    return { name: 'lww-register' };
  }

  /** Writes `value` with a fresh HLC timestamp; returns the delta. */
  set(value: T): LWWRegister<T> {
    const stored = toStoredValue(value);
    if (this.node === undefined || this.#hlc === undefined) throw new ReadOnlyReplicaError('LWWRegister.set');
    if (this.entry !== undefined) observe(this.#hlc, this.entry.timestamp);
    this.entry = { value: stored, timestamp: this.#hlc.now() };
    return new LWWRegister<T>(undefined, {}, this.entry);
  }

  /** The timestamp of the winning write, or undefined if never written. */
  get timestamp(): HlcTimestamp | undefined {
    return this.entry?.timestamp;
  }

  value(): T | undefined {
    return this.entry?.value;
  }

  join(other: this): this {
    if (!(other instanceof LWWRegister)) joinMismatch(this, other);
    // The HLC observes the winning timestamp lazily, at the next local write (see set()).
    if (other.entry !== undefined && wins(this.entry, other.entry)) this.entry = other.entry;
    return this;
  }

  clone(): this {
    return new LWWRegister<T>(this.node, this.#hlc === undefined ? this.#options : { hlc: this.#hlc }, this.entry) as this;
  }

  empty(): this {
    return new LWWRegister<T>() as this;
  }

  /** @internal */
  writeState(w: Writer): void {
    if (this.entry === undefined) {
      w.byte(0);
      return;
    }
    w.byte(1);
    writeTimestamp(w, this.entry.timestamp);
    writeJsonValue(w, this.entry.value as JsonValue);
  }

  /** @internal */
  stateToJSON(): unknown {
    return this.entry === undefined ? null : { timestamp: timestampToJSON(this.entry.timestamp), value: this.entry.value };
  }

  /** @internal */
  static readState(r: Reader): LWWRegister {
    const present = r.byte();
    if (present === 0) return new LWWRegister();
    if (present !== 1) throw new DecodeError(`Invalid register presence flag ${present}`);
    const timestamp = readTimestamp(r);
    return new LWWRegister(undefined, {}, { timestamp, value: readJsonValue(r) });
  }

  /** @internal */
  static stateFromJSON(json: unknown): LWWRegister {
    if (json === null) return new LWWRegister();
    const fields = expect.object(json, 'lww-register');
    return new LWWRegister(undefined, {}, { timestamp: timestampFromJSON(fields['timestamp']), value: expect.json(fields['value'], 'register value') });
  }
}
