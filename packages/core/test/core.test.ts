import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AbortError,
  assertNodeId,
  ClosedError,
  DecodeError,
  HandlerError,
  Inbox,
  InvalidArgumentError,
  isLatticeError,
  isNodeId,
  jsonCodec,
  MAX_NODE_ID_LENGTH,
  LatticeError,
  MessageTooLargeError,
  raceAbort,
  seededRandom,
  sleep,
  throwIfAborted,
} from '../src/index.js';
import { ManualClock } from '../src/testing/index.js';

describe('typed errors', () => {
  it('carry name, stable code and cause, and are recognised without instanceof', () => {
    const cause = new Error('root');
    const error = new DecodeError('bad bytes', { cause });
    expect(error.name).toBe('DecodeError');
    expect(error.code).toBe(DecodeError.code);
    expect(error.cause).toBe(cause);
    expect(isLatticeError(error)).toBe(true);
    expect(isLatticeError(error, DecodeError.code)).toBe(true);
    expect(isLatticeError(error, ClosedError.code)).toBe(false);
    // A structurally identical error from a second copy of the package is still recognised.
    const foreign = Object.assign(new Error('x'), { code: ClosedError.code, [Symbol.for('@lattice/error')]: true });
    expect(isLatticeError(foreign, ClosedError.code)).toBe(true);
    expect(isLatticeError(new Error('plain'))).toBe(false);
    expect(isLatticeError(null)).toBe(false);
  });

  it('subclasses keep their own details', () => {
    const error = new MessageTooLargeError(11, 10);
    expect(error).toBeInstanceOf(LatticeError);
    expect([error.size, error.limit, error.code]).toEqual([11, 10, MessageTooLargeError.code]);
    expect(new ClosedError('gone').name).toBe('ClosedError');
  });
});

describe('node ids', () => {
  it('accepts ordinary ids and rejects empty, overlong and control-character ids', () => {
    expect(() => assertNodeId('node-1')).not.toThrow();
    for (const bad of ['', 'a'.repeat(256), 'a\nb', 42, undefined]) {
      expect(() => assertNodeId(bad)).toThrow(InvalidArgumentError);
    }
  });

  it('isNodeId agrees with the rule at every length, short ids (checked by a loop) and long ones alike', () => {
    const controlCharacter = fc.constantFrom(...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)), '\u007f');
    fc.assert(
      fc.property(fc.string({ maxLength: MAX_NODE_ID_LENGTH + 5, unit: 'grapheme-ascii' }), fc.nat(), controlCharacter, (text, at, control) => {
        const printable = text.replace(/[\u0000-\u001f\u007f]/g, 'x');
        expect(isNodeId(printable)).toBe(printable.length > 0 && printable.length <= MAX_NODE_ID_LENGTH);
        if (printable.length === 0) return;
        const position = at % printable.length;
        const withControl = printable.slice(0, position) + control + printable.slice(position + 1);
        expect(isNodeId(withControl)).toBe(false);
        expect(() => assertNodeId(withControl)).toThrow(InvalidArgumentError);
      }),
      { numRuns: 300 },
    );
  });
});

describe('abort helpers', () => {
  it('throwIfAborted and raceAbort reject with AbortError carrying the reason', async () => {
    const controller = new AbortController();
    expect(() => throwIfAborted(controller.signal)).not.toThrow();
    const pending = raceAbort(new Promise(() => undefined), controller.signal);
    controller.abort('stop');
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as AbortError).cause).toBe('stop');
    expect(() => throwIfAborted(controller.signal)).toThrow(AbortError);
    await expect(raceAbort(Promise.resolve(5), undefined)).resolves.toBe(5);
  });
});

describe('ManualClock', () => {
  it('fires timers in due order, then scheduling order, including timers armed while firing', () => {
    const clock = new ManualClock();
    const log: string[] = [];
    clock.setTimeout(() => log.push('b@20'), 20);
    clock.setTimeout(() => {
      log.push('a@10');
      clock.setTimeout(() => log.push('c@15'), 5);
    }, 10);
    clock.setTimeout(() => log.push('b2@20'), 20);
    const cleared = clock.setTimeout(() => log.push('never'), 12);
    clock.clearTimeout(cleared);
    clock.advance(9);
    expect(log).toEqual([]);
    clock.advance(11);
    expect(log).toEqual(['a@10', 'c@15', 'b@20', 'b2@20']);
    expect(clock.monotonic()).toBe(20);
    expect(clock.pendingTimers).toBe(0);
  });

  it('moves the wall clock independently of monotonic time', () => {
    const clock = new ManualClock({ wallStart: 1000 });
    clock.advance(5);
    clock.jumpWall(-500);
    expect(clock.now()).toBe(505);
    expect(clock.monotonic()).toBe(5);
    expect(() => clock.advance(-1)).toThrow(InvalidArgumentError);
  });

  it('sleep resolves on virtual time and can be aborted', async () => {
    const clock = new ManualClock();
    let done = false;
    const slept = sleep(clock, 100).then(() => {
      done = true;
    });
    await clock.advanceAsync(99);
    expect(done).toBe(false);
    await clock.advanceAsync(1);
    await slept;
    expect(done).toBe(true);
    const controller = new AbortController();
    const aborted = sleep(clock, 1000, { signal: controller.signal });
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: AbortError.code });
    await Promise.resolve();
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('seededRandom', () => {
  it('is deterministic per seed and stays in range', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 1_000_000 }), (seed, max) => {
        const a = seededRandom(seed);
        const b = seededRandom(seed);
        for (let i = 0; i < 20; i++) {
          const x = a.int(max);
          expect(x).toBe(b.int(max));
          expect(x >= 0 && x < max).toBe(true);
          const f = a.next();
          expect(f).toBe(b.next());
          expect(f >= 0 && f < 1).toBe(true);
        }
      }),
    );
    expect(seededRandom(1).next()).not.toBe(seededRandom(2).next());
    expect(() => seededRandom(1).int(0)).toThrow(InvalidArgumentError);
  });

  it('is roughly uniform', () => {
    const random = seededRandom(7);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[random.int(10)]!++;
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });
});

describe('jsonCodec', () => {
  it('round-trips JSON values', () => {
    const codec = jsonCodec<unknown>();
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(codec.decode(codec.encode(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('rejects garbage and wrong shapes with DecodeError', () => {
    const codec = jsonCodec({ validate: (v): v is { n: number } => typeof (v as { n?: unknown })?.n === 'number' });
    expect(() => codec.decode(new Uint8Array([0xff, 0xfe]))).toThrow(DecodeError);
    expect(() => codec.decode(new TextEncoder().encode('{"n":'))).toThrow(DecodeError);
    expect(() => codec.decode(new TextEncoder().encode('{"n":"x"}'))).toThrow(DecodeError);
    expect(codec.decode(new TextEncoder().encode('{"n":3}'))).toEqual({ n: 3 });
  });
});

describe('Inbox', () => {
  const message = (text: string) => ({ from: 'a', to: 'b', payload: new TextEncoder().encode(text) });

  it('drops messages nobody listens to, and counts them', () => {
    const inbox = new Inbox();
    expect(inbox.deliver(message('x'))).toBe(false);
    expect(inbox.dropped).toBe(1);
  });

  it('bounds iterator buffers and ends iterators on close', async () => {
    const inbox = new Inbox({ iteratorBufferLimit: 2 });
    const iterator = inbox[Symbol.asyncIterator]();
    inbox.deliver(message('1'));
    inbox.deliver(message('2'));
    inbox.deliver(message('3'));
    expect(inbox.dropped).toBe(1);
    expect((await iterator.next()).done).toBe(false);
    expect((await iterator.next()).done).toBe(false);
    const pending = iterator.next();
    inbox.close();
    expect((await pending).done).toBe(true);
    expect(inbox.deliver(message('4'))).toBe(false);
  });

  it('reports a throwing handler as ERR_HANDLER and keeps delivering', () => {
    const inbox = new Inbox();
    const codes: string[] = [];
    let received = 0;
    inbox.onError((error) => codes.push(error.code));
    inbox.onMessage(() => {
      throw new Error('bug');
    });
    const off = inbox.onMessage(() => received++);
    inbox.deliver(message('x'));
    off();
    inbox.deliver(message('y'));
    expect(received).toBe(1);
    expect(codes).toEqual([HandlerError.code, HandlerError.code]);
  });
});
