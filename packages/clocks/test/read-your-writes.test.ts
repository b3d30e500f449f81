import { AbortError, ClosedError, DecodeError } from '@lattice/core';
import { ManualClock } from '@lattice/core/testing';
import { describe, expect, it } from 'vitest';
import { AppliedWatermark, ClientSession, formatHlc, type HlcTimestamp, HybridLogicalClock, NotCaughtUpError } from '../src/index.js';

const START = 1_700_000_000_000;

describe('read your writes', () => {
  it('the client token carries the highest timestamp seen', () => {
    const session = new ClientSession();
    expect(session.token).toBe('');
    session.observe({ wallTime: START + 5, logical: 0, node: 'p' });
    session.observe({ wallTime: START + 1, logical: 9, node: 'p' });
    expect(session.highest).toEqual({ wallTime: START + 5, logical: 0, node: 'p' });
    const resumed = new ClientSession(session.token);
    expect(resumed.highest).toEqual(session.highest);
    resumed.observe(formatHlc({ wallTime: START + 6, logical: 0, node: 'q' }));
    expect(resumed.highest?.wallTime).toBe(START + 6);
    expect(() => new ClientSession('garbage')).toThrow(expect.objectContaining({ code: DecodeError.code }));
  });

  it('a replica answers at once when caught up, else waits for the write to be applied', async () => {
    const clock = new ManualClock({ wallStart: START });
    const primary = new HybridLogicalClock({ node: 'primary', clock });
    const watermark = new AppliedWatermark({ timers: clock });
    const session = new ClientSession();
    expect(watermark.check('').caughtUp).toBe(true);
    await expect(watermark.waitFor('')).resolves.toBeUndefined();

    const write1 = primary.now();
    watermark.advance(write1);
    session.observe(write1);
    await expect(watermark.waitFor(session.token)).resolves.toEqual(write1);

    const write2 = primary.now();
    session.observe(write2);
    expect(watermark.check(session.token)).toEqual({ caughtUp: false, required: write2, applied: write1 });
    let answered: HlcTimestamp | undefined;
    const pending = watermark.waitFor(session.token, { timeoutMs: 100 }).then((applied) => {
      answered = applied;
    });
    await clock.advanceAsync(50);
    expect(answered).toBeUndefined();
    expect(watermark.waiting).toBe(1);
    watermark.advance(write2);
    await pending;
    expect(answered).toEqual(write2);
    expect(watermark.waiting).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('reports NotCaughtUpError after the timeout, AbortError on abort and ClosedError on close', async () => {
    const clock = new ManualClock({ wallStart: START });
    const watermark = new AppliedWatermark({ timers: clock, applied: { wallTime: START, logical: 0, node: 'p' } });
    const ahead = formatHlc({ wallTime: START + 10, logical: 0, node: 'p' });
    const timedOut = watermark.waitFor(ahead, { timeoutMs: 100 });
    const assertion = expect(timedOut).rejects.toMatchObject({ code: NotCaughtUpError.code, required: { wallTime: START + 10 } });
    await clock.advanceAsync(100);
    await assertion;
    await expect(watermark.waitFor(ahead, { timeoutMs: 0 })).rejects.toMatchObject({ code: NotCaughtUpError.code });

    const controller = new AbortController();
    const aborted = watermark.waitFor(ahead, { signal: controller.signal });
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: AbortError.code });

    const closed = watermark.waitFor(ahead);
    await watermark[Symbol.asyncDispose]();
    await expect(closed).rejects.toMatchObject({ code: ClosedError.code });
    await expect(watermark.waitFor(ahead)).rejects.toMatchObject({ code: ClosedError.code });
    await expect(watermark.waitFor('nonsense')).rejects.toMatchObject({ code: DecodeError.code });
    expect(watermark.waiting).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});
