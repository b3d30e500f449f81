import { DecodeError, InvalidArgumentError, isLatticeError, ProtocolViolationError, type Ready, UnsupportedVersionError } from '@lattice/core';
import { codeOf } from '@lattice/test-kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeSagaMessage,
  decodeSagaRecord,
  encodeSagaMessage,
  encodeSagaRecord,
  InvalidGidError,
  SagaConflictError,
  SagaCore,
  type SagaEffect,
  type SagaMessage,
  type SagaRecord,
  type SagaStage,
} from '../src/index.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const TWO_STAGES: SagaStage[] = [
  { participant: 'a', action: bytes(1), compensation: bytes(2) },
  [
    { participant: 'b', action: bytes(3), compensation: bytes(4) },
    { participant: 'c', action: bytes(5), compensation: bytes(6), retriable: true },
  ],
];

type SagaReady = Ready<SagaMessage, SagaRecord, SagaEffect>;

function take(core: SagaCore): SagaReady {
  const ready = core.ready();
  core.advance(ready);
  return ready;
}

const invokes = (ready: SagaReady): string[] =>
  [...ready.sendEarly, ...ready.messages].map(({ to, message }) => `${to}:${message.type === 'invoke' ? `${message.op}#${message.step}` : message.type}`);

const reply = (core: SagaCore, from: string, step: number, op: 'action' | 'compensate', answer: 'succeeded' | 'failed', gid = 'g'): void =>
  core.step(from, { type: 'reply', gid, step, op, reply: answer });

describe('SagaCore forward and backward', () => {
  it('logs the saga (synced) before its first action, runs stages in order and a stage at once, syncs a stage before the next', () => {
    const core = new SagaCore({ now: 0 });
    expect(core.begin('g', TWO_STAGES)).toBe(true);
    const first = take(core);
    expect(first.persist.map((r) => r.type)).toEqual(['begun']);
    expect(first.mustSync).toBe(true);
    expect(first.sendEarly).toEqual([]);
    expect(invokes(first)).toEqual(['a:action#0']);
    reply(core, 'a', 0, 'action', 'succeeded');
    const second = take(core);
    expect(second.persist).toEqual([{ type: 'done', gid: 'g', step: 0, op: 'action' }]);
    expect(second.mustSync).toBe(true);
    expect(invokes(second)).toEqual(['b:action#1', 'c:action#2']);
    reply(core, 'c', 2, 'action', 'succeeded');
    reply(core, 'b', 1, 'action', 'succeeded');
    const last = take(core);
    expect(last.persist.map((r) => r.type)).toEqual(['done', 'done', 'finished']);
    expect(last.effects).toEqual([{ type: 'finished', gid: 'g', outcome: 'committed', reason: 'every step succeeded' }]);
    expect(core.state('g')).toBe('committed');
    expect(core.activeCount).toBe(0);
  });

  it('a definitive failure compensates the whole failed stage (even the step that failed) and then earlier stages, after a synced record', () => {
    const core = new SagaCore({ now: 0 });
    core.begin('g', TWO_STAGES);
    take(core);
    reply(core, 'a', 0, 'action', 'succeeded');
    take(core);
    reply(core, 'b', 1, 'action', 'failed');
    const turn = take(core);
    expect(turn.persist).toEqual([{ type: 'compensating', gid: 'g', step: 1, reason: 'step 1 ("b") failed' }]);
    expect(turn.mustSync).toBe(true);
    expect(turn.sendEarly).toEqual([]);
    expect(invokes(turn)).toEqual(['b:compensate#1', 'c:compensate#2']);
    expect(core.state('g')).toBe('compensating');
    // The late reply of c's action changes nothing.
    reply(core, 'c', 2, 'action', 'succeeded');
    expect(core.hasReady()).toBe(false);
    reply(core, 'b', 1, 'compensate', 'succeeded');
    expect(invokes(take(core))).toEqual([]);
    reply(core, 'c', 2, 'compensate', 'succeeded');
    expect(invokes(take(core))).toEqual(['a:compensate#0']);
    reply(core, 'a', 0, 'compensate', 'succeeded');
    expect(take(core).effects).toEqual([{ type: 'finished', gid: 'g', outcome: 'compensated', reason: 'step 1 ("b") failed' }]);
  });

  it('retries a retriable action that fails with backoff, and compensations until they succeed', () => {
    const core = new SagaCore({ now: 0, retry: { initialMs: 10, maxMs: 40 } });
    core.begin('g', [{ participant: 'a', action: bytes(1), compensation: bytes(2), retriable: true }]);
    take(core);
    const retriesAt: number[] = [];
    let now = 0;
    for (let i = 0; i < 4; i++) {
      reply(core, 'a', 0, 'action', 'failed');
      expect(take(core).effects[0]).toMatchObject({ type: 'retrying', op: 'action', attempt: i + 2 });
      now = core.wakeAt()!;
      retriesAt.push(now);
      core.tick(now);
      expect(invokes(take(core))).toEqual(['a:action#0']);
    }
    // Delays 10, 20, 40, 40 after each failure.
    expect(retriesAt).toEqual([10, 30, 70, 110]);
    expect(core.state('g')).toBe('running');
    reply(core, 'a', 0, 'action', 'succeeded');
    expect(core.state('g')).toBe('committed');
  });

  it('a step that is not retriable compensates after maxAttempts unanswered tries; a retriable one never does', () => {
    const core = new SagaCore({ now: 0, replyTimeoutMs: 100, retry: { initialMs: 10, maxMs: 10 }, maxAttempts: 2 });
    core.begin('g', [{ participant: 'a', action: bytes(1), compensation: bytes(2) }]);
    core.begin('h', [{ participant: 'a', action: bytes(1), compensation: bytes(2), retriable: true }]);
    take(core);
    for (let now = 0; now < 2000; now += 5) core.tick(now);
    expect(core.state('g')).toBe('compensating');
    expect(core.state('h')).toBe('running');
    const sent = invokes(take(core));
    expect(sent.filter((s) => s === 'a:action#0').length).toBeGreaterThan(10);
    expect(sent).toContain('a:compensate#0');
  });

  it('is idempotent by saga id, and refuses the id of another saga', () => {
    const core = new SagaCore({ now: 0 });
    core.begin('g', TWO_STAGES);
    take(core);
    expect(core.begin('g', TWO_STAGES)).toBe(false);
    expect(core.hasReady()).toBe(false);
    expect(codeOf(() => core.begin('g', [{ participant: 'a', action: bytes(9), compensation: bytes(2) }]))).toBe(SagaConflictError.code);
  });

  it('resumes every unfinished saga from its records, in its direction', () => {
    const steps = [
      { participant: 'a', action: bytes(1), compensation: bytes(2), retriable: false, stage: 0 },
      { participant: 'b', action: bytes(3), compensation: bytes(4), retriable: false, stage: 1 },
    ];
    const stored: SagaRecord[] = [
      { type: 'begun', gid: 'forward', steps },
      { type: 'done', gid: 'forward', step: 0, op: 'action' },
      { type: 'begun', gid: 'backward', steps },
      { type: 'done', gid: 'backward', step: 0, op: 'action' },
      { type: 'compensating', gid: 'backward', step: 1, reason: 'x' },
      { type: 'done', gid: 'backward', step: 1, op: 'compensate' },
      { type: 'begun', gid: 'over', steps },
      { type: 'finished', gid: 'over', outcome: 'committed', reason: 'every step succeeded' },
    ];
    const core = new SagaCore({ now: 0, stored });
    expect(core.unfinished().sort()).toEqual(['backward', 'forward']);
    expect(core.outcome('over')).toEqual({ outcome: 'committed', reason: 'every step succeeded' });
    const ready = take(core);
    expect(ready.messages.map(({ to, message }) => `${message.gid}:${to}:${message.type === 'invoke' ? message.op : ''}`).sort()).toEqual(['backward:a:compensate', 'forward:b:action']);
  });
});

describe('SagaCore bad input', () => {
  it('refuses bad options and bad sagas with typed errors, changing nothing', () => {
    expect(codeOf(() => new SagaCore(null as never))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => new SagaCore({ now: Number.NaN }))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => new SagaCore({ now: 0, maxAttempts: 0 }))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => new SagaCore({ now: 0, retry: { initialMs: -1, maxMs: 5 } }))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => new SagaCore({ now: 0, replyTimeoutMs: 0 }))).toBe(InvalidArgumentError.code);
    const core = new SagaCore({ now: 0 });
    const ok = { participant: 'a', action: bytes(1), compensation: bytes(2) };
    expect(codeOf(() => core.begin('', [ok]))).toBe(InvalidGidError.code);
    expect(codeOf(() => core.begin('x'.repeat(201), [ok]))).toBe(InvalidGidError.code);
    expect(codeOf(() => core.begin('g', []))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => core.begin('g', [[]]))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => core.begin('g', 'steps' as never))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => core.begin('g', [null as never]))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => core.begin('g', [{ ...ok, participant: '' }]))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => core.begin('g', [{ ...ok, action: 'x' as never }]))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => core.begin('g', [{ ...ok, compensation: undefined as never }]))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => core.begin('g', [{ ...ok, retriable: 'yes' as never }]))).toBe(InvalidArgumentError.code);
    expect(codeOf(() => core.begin('g', Array.from({ length: 1025 }, () => ok)))).toBe(InvalidArgumentError.code);
    expect(core.hasReady()).toBe(false);
    expect(core.state('g')).toBe('unknown');
    expect(codeOf(() => core.tick(Number.NaN))).toBe(InvalidArgumentError.code);
  });

  it('a forged or malformed reply is a ProtocolViolationError and changes nothing', () => {
    const core = new SagaCore({ now: 0 });
    core.begin('g', TWO_STAGES);
    take(core);
    const forged: [string, unknown][] = [
      ['b', { type: 'reply', gid: 'g', step: 0, op: 'action', reply: 'succeeded' }], // not its step
      ['a', { type: 'reply', gid: 'g', step: 7, op: 'action', reply: 'succeeded' }], // no such step
      ['a', { type: 'invoke', gid: 'g', step: 0, op: 'action', payload: bytes() }],
      ['a', { type: 'reply', gid: 'g', step: -1, op: 'action', reply: 'succeeded' }],
      ['a', { type: 'reply', gid: 'g', step: 0, op: 'undo', reply: 'succeeded' }],
      ['a', { type: 'reply', gid: 'g', step: 0, op: 'action', reply: 'maybe' }],
      ['a', { type: 'reply', gid: '', step: 0, op: 'action', reply: 'succeeded' }],
      ['a', { type: 'other', gid: 'g' }],
      ['a', null],
    ];
    for (const [from, message] of forged) expect(codeOf(() => core.step(from, message as SagaMessage))).toBe(ProtocolViolationError.code);
    expect(core.hasReady()).toBe(false);
    expect(core.state('g')).toBe('running');
    // A reply for a saga this core does not know is ignored (a late duplicate after it finished).
    core.step('a', { type: 'reply', gid: 'other', step: 0, op: 'action', reply: 'succeeded' });
    expect(core.hasReady()).toBe(false);
  });
});

const gid = fc.string({ minLength: 1, maxLength: 60 });
const node = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/);
const payload = fc.uint8Array({ maxLength: 40 });
const op = fc.constantFrom('action' as const, 'compensate' as const);
const step = fc.nat({ max: 1023 });
const message: fc.Arbitrary<SagaMessage> = fc.oneof(
  fc.record({ type: fc.constant('invoke' as const), gid, step, op, payload }),
  fc.record({ type: fc.constant('reply' as const), gid, step, op, reply: fc.constantFrom('succeeded' as const, 'failed' as const) }),
);
const steps = fc
  .array(fc.record({ participant: node, action: payload, compensation: payload, retriable: fc.boolean(), concurrent: fc.boolean() }), { minLength: 1, maxLength: 6 })
  .map((list) => {
    let stage = 0;
    return list.map(({ concurrent, ...rest }, i) => ({ ...rest, stage: i > 0 && !concurrent ? ++stage : stage }));
  });
const record: fc.Arbitrary<SagaRecord> = fc.oneof(
  fc.record({ type: fc.constant('begun' as const), gid, steps }),
  fc.record({ type: fc.constant('done' as const), gid, step, op }),
  fc.record({ type: fc.constant('compensating' as const), gid, step, reason: fc.string() }),
  fc.record({ type: fc.constant('finished' as const), gid, outcome: fc.constantFrom('committed' as const, 'compensated' as const), reason: fc.string() }),
);

function typedFailure(decode: () => unknown): boolean {
  try {
    decode();
    return true; // some garbage happens to be a valid encoding
  } catch (error) {
    return isLatticeError(error, DecodeError.code) || isLatticeError(error, UnsupportedVersionError.code);
  }
}

describe('saga codec', () => {
  it('round-trips every message and record', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(decodeSagaMessage(encodeSagaMessage(m))).toEqual(m);
      }),
    );
    fc.assert(
      fc.property(record, (r) => {
        expect(decodeSagaRecord(encodeSagaRecord(r))).toEqual(r);
      }),
    );
  });

  it('garbage, truncation and flipped bytes give DecodeError or UnsupportedVersionError only', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (junk) => typedFailure(() => decodeSagaMessage(junk)) && typedFailure(() => decodeSagaRecord(junk))));
    fc.assert(
      fc.property(record, fc.nat(), fc.nat({ max: 255 }), (r, at, value) => {
        const encoded = encodeSagaRecord(r);
        const flipped = encoded.slice();
        flipped[at % flipped.length] = value;
        return typedFailure(() => decodeSagaRecord(encoded.subarray(0, at % encoded.length))) && typedFailure(() => decodeSagaRecord(flipped));
      }),
    );
  });

  it('refuses a newer format version with UnsupportedVersionError', () => {
    const encoded = encodeSagaMessage({ type: 'reply', gid: 'g', step: 0, op: 'action', reply: 'failed' });
    encoded[0] = 9;
    expect(codeOf(() => decodeSagaMessage(encoded))).toBe(UnsupportedVersionError.code);
  });
});
