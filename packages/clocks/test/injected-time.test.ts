import { ManualClock } from '@lattice/core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppliedWatermark, ClientSession, HybridLogicalClock, MatrixClock, ShivizLog } from '../src/index.js';

describe('time is injected', () => {
  afterEach(() => vi.restoreAllMocks());

  it('never reads the system clock or timers when given a Clock and Timers', async () => {
    const forbidden = () => {
      throw new Error('read the system clock');
    };
    vi.spyOn(Date, 'now').mockImplementation(forbidden);
    vi.spyOn(performance, 'now').mockImplementation(forbidden);
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const clock = new ManualClock({ wallStart: 1_700_000_000_000 });
    const a = new HybridLogicalClock({ node: 'a', clock, timers: clock, maxLogical: 1 });
    const b = new HybridLogicalClock({ node: 'b', clock, timers: clock });
    const write = b.update(a.now());
    a.now();
    const pending = a.nowAsync(); // overflow: waits on the injected timers
    await clock.advanceAsync(1);
    await pending;
    const watermark = new AppliedWatermark({ timers: clock });
    const session = new ClientSession();
    session.observe(write);
    const read = watermark.waitFor(session.token, { timeoutMs: 50 });
    await clock.advanceAsync(10);
    watermark.advance(write);
    await expect(read).resolves.toEqual(write);
    new MatrixClock('m').tick();
    new ShivizLog().process('p').event('e');
    expect(setTimeoutSpy).not.toHaveBeenCalled();
  });
});
