import { InvalidArgumentError } from '@lattice/core';
import { EdnKeyword, type EdnValue, ednText } from './edn.js';
import { MalformedHistoryError } from './errors.js';
import type { MultiRegisterInput, MultiRegisterKey, MultiRegisterMicroOp, MultiRegisterOutput } from './models/multi-register.js';
import type { MutexInput } from './models/mutex.js';
import { show } from './models/operation-shapes.js';
import type { QueueInput, QueueOutput } from './models/queue-operations.js';
import type { RegisterValue } from './models/register.js';
import type { SetInput, SetOutput } from './models/set.js';
import type { JepsenEvent } from './pair-events.js';
import type { Operation } from './types.js';

/** The built-in models of Knossos's that the Jepsen parsers read beyond registers and kv. */
export type KnossosModelName = 'mutex' | 'multi-register' | 'set' | 'unordered-queue' | 'fifo-queue';

/** Every built-in model, by its CLI and parser name. */
export type BuiltInModelName = 'register' | 'cas-register' | 'kv' | KnossosModelName;

/** The names of {@link KnossosModelName}. */
export const KNOSSOS_MODEL_NAMES: readonly KnossosModelName[] = ['mutex', 'multi-register', 'set', 'unordered-queue', 'fifo-queue'];

/** The input and output types of each Knossos model, as the parsers return them. */
export interface KnossosOperations {
  mutex: { input: MutexInput; output: unknown };
  'multi-register': { input: MultiRegisterInput; output: MultiRegisterOutput };
  set: { input: SetInput; output: SetOutput };
  'unordered-queue': { input: QueueInput; output: QueueOutput };
  'fifo-queue': { input: QueueInput; output: QueueOutput };
}

/** The operations of a history of Knossos model `M`. */
export type KnossosHistory<M extends KnossosModelName> = Operation<KnossosOperations[M]['input'], KnossosOperations[M]['output']>[];

/**
 * What a register read that completed with `nil` means: `'absent'` (the default: the register
 * held no value, as the register models read `null`) or `'unknown'` (Knossos's reading: the
 * answer constrains nothing, as `undefined` does).
 */
export type NilReads = 'absent' | 'unknown';

/** Checks `options.nilReads` and returns it (default `'absent'`). */
export function nilReadsOption(value: unknown): NilReads {
  if (value === undefined || value === 'absent' || value === 'unknown') return value ?? 'absent';
  throw new InvalidArgumentError(`options.nilReads must be 'absent' or 'unknown', got ${show(value)}`);
}

/** A register value read, with `nil` meaning what `nilReads` says. */
export function readValue(value: RegisterValue, nilReads: NilReads): RegisterValue | undefined {
  return value === null && nilReads === 'unknown' ? undefined : value;
}

/** How a Jepsen event becomes an input (from the invocation) and an output (from the `:ok`). */
export interface JepsenOperationReader<I, O> {
  input(event: JepsenEvent, source: string): I;
  output(event: JepsenEvent, input: I, source: string, nilReads: NilReads): O | undefined;
}

function fail(source: string, event: JepsenEvent, message: string): never {
  throw new MalformedHistoryError(source, event.line, message);
}

function unknownF(source: string, event: JepsenEvent, model: string, expected: string): never {
  return fail(source, event, `unknown ${model} operation :${event.f} (expected ${expected})`);
}

/** A register value from EDN; keywords stand for their text (`:a` is `":a"`), as kv keys do. */
function ednRegisterValue(value: EdnValue | undefined, source: string, event: JepsenEvent, what: string): RegisterValue {
  if (value === undefined) return fail(source, event, `missing :value for ${what}`);
  if (value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'bigint') return value;
  if (value instanceof EdnKeyword) return value.toString();
  return fail(source, event, `unsupported value ${ednText(value).slice(0, 60)} for ${what}`);
}

function ednElements(value: EdnValue | undefined, source: string, event: JepsenEvent, what: string): RegisterValue[] {
  if (value === null) return []; // Clojure's nil is the empty collection
  if (value instanceof Set || Array.isArray(value)) return [...value].map((element) => ednRegisterValue(element, source, event, what));
  return fail(source, event, `${what} needs a set or vector of elements, got ${value === undefined ? 'none' : ednText(value).slice(0, 60)}`);
}

const mutex: JepsenOperationReader<MutexInput, unknown> = {
  input(event, source) {
    if (event.f === 'acquire' || event.f === 'release') return { op: event.f };
    return unknownF(source, event, 'mutex', ':acquire or :release');
  },
  output: () => undefined,
};

function microF(value: EdnValue | undefined): 'read' | 'write' | undefined {
  if (!(value instanceof EdnKeyword)) return undefined;
  if (value.name === 'r' || value.name === 'read') return 'read';
  if (value.name === 'w' || value.name === 'write') return 'write';
  return undefined;
}

function microKey(value: EdnValue | undefined, source: string, event: JepsenEvent): MultiRegisterKey {
  if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) return value;
  if (value instanceof EdnKeyword) return value.toString();
  return fail(source, event, `a micro-operation's key must be a keyword, a string or a number, got ${value === undefined ? 'none' : ednText(value)}`);
}

function microOps(event: JepsenEvent, source: string): EdnValue[][] {
  const txn = event.value;
  if (!Array.isArray(txn)) return fail(source, event, `:txn needs :value [[:r k v] [:w k v] ...], got ${txn === undefined ? 'none' : ednText(txn).slice(0, 60)}`);
  return txn.map((micro) => {
    if (!Array.isArray(micro) || micro.length !== 3 || microF(micro[0]) === undefined) {
      return fail(source, event, `a micro-operation must be [:r k v] or [:w k v], got ${ednText(micro).slice(0, 60)}`);
    }
    return micro;
  });
}

const multiRegister: JepsenOperationReader<MultiRegisterInput, MultiRegisterOutput> = {
  input(event, source) {
    if (event.f !== 'txn') return unknownF(source, event, 'multi-register', ':txn');
    const ops = microOps(event, source).map((micro): MultiRegisterMicroOp => {
      const key = microKey(micro[1], source, event);
      if (microF(micro[0]) === 'read') return { f: 'read', key };
      return { f: 'write', key, value: ednRegisterValue(micro[2], source, event, 'a write') };
    });
    return { op: 'txn', ops };
  },
  output(event, input, source, nilReads) {
    const completed = microOps(event, source);
    if (completed.length !== input.ops.length) fail(source, event, `the completed :txn has ${completed.length} micro-operations, its invocation ${input.ops.length}`);
    return completed.map((micro, i) => {
      const asked = input.ops[i]!;
      if (microF(micro[0]) !== asked.f || microKey(micro[1], source, event) !== asked.key) {
        fail(source, event, `micro-operation ${i} of the completed :txn, ${ednText(micro)}, is not the one invoked`);
      }
      return asked.f === 'read' ? readValue(ednRegisterValue(micro[2], source, event, 'a read'), nilReads) : undefined;
    });
  },
};

const set: JepsenOperationReader<SetInput, SetOutput> = {
  input(event, source) {
    if (event.f === 'add') return { op: 'add', value: ednRegisterValue(event.value, source, event, ':add') };
    if (event.f === 'read') return { op: 'read' };
    return unknownF(source, event, 'set', ':add or :read');
  },
  output: (event, input, source) => (input.op === 'read' ? ednElements(event.value, source, event, 'a :read') : undefined),
};

const queue: JepsenOperationReader<QueueInput, QueueOutput> = {
  input(event, source) {
    if (event.f === 'dequeue') return { op: 'dequeue' };
    if (event.f !== 'enqueue') return unknownF(source, event, 'queue', ':enqueue or :dequeue');
    const value = ednRegisterValue(event.value, source, event, ':enqueue');
    if (value === null) return fail(source, event, ':enqueue of nil: a :dequeue answers nil when the queue is empty');
    return { op: 'enqueue', value };
  },
  output: (event, input, source) => (input.op === 'dequeue' ? ednRegisterValue(event.value, source, event, ':dequeue') : undefined),
};

/** The reader of each Knossos model's Jepsen operations. */
export const JEPSEN_READERS: Readonly<Record<KnossosModelName, JepsenOperationReader<unknown, unknown>>> = {
  mutex: mutex as JepsenOperationReader<unknown, unknown>,
  'multi-register': multiRegister as JepsenOperationReader<unknown, unknown>,
  set: set as JepsenOperationReader<unknown, unknown>,
  'unordered-queue': queue as JepsenOperationReader<unknown, unknown>,
  'fifo-queue': queue as JepsenOperationReader<unknown, unknown>,
};

/** Whether `name` is one of {@link KNOSSOS_MODEL_NAMES}. */
export function isKnossosModelName(name: unknown): name is KnossosModelName {
  return typeof name === 'string' && (KNOSSOS_MODEL_NAMES as readonly string[]).includes(name);
}
