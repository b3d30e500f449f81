import { InvalidArgumentError, isLatticeError } from '@lattice/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareLamport, LamportClock, type LamportTimestamp } from '../src/index.js';
import { execute, happenedBefore, runArbitrary } from './runs.js';

describe('LamportClock', () => {
  it('ticks, sends and receives with max + 1', () => {
    const a = new LamportClock('a');
    const b = new LamportClock('b', 10);
    expect(a.tick()).toEqual({ time: 1, node: 'a' });
    const message = a.send();
    expect(message).toEqual({ time: 2, node: 'a' });
    expect(b.receive(message)).toEqual({ time: 11, node: 'b' });
    expect(a.receive(b.send())).toEqual({ time: 13, node: 'a' });
    expect(a.receive(1)).toEqual({ time: 14, node: 'a' });
    expect(a.time).toBe(14);
  });

  it('breaks ties by node id for a total order', () => {
    expect(compareLamport({ time: 3, node: 'b' }, { time: 3, node: 'a' })).toBe(1);
    expect(compareLamport({ time: 3, node: 'a' }, { time: 3, node: 'a' })).toBe(0);
    expect(compareLamport({ time: 2, node: 'z' }, { time: 3, node: 'a' })).toBe(-1);
  });

  it('rejects bad input with a typed error and leaves the clock unchanged', () => {
    const a = new LamportClock('a', 5);
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53, '3', null]) {
      let error: unknown;
      try {
        a.receive(bad as unknown as number);
      } catch (e) {
        error = e;
      }
      expect(isLatticeError(error, InvalidArgumentError.code)).toBe(true);
    }
    expect(() => new LamportClock('')).toThrow(/node id/);
    expect(() => a.receive(Number.MAX_SAFE_INTEGER)).toThrow(/exhausted/);
    expect(a.time).toBe(5);
  });

  it('property: e → f implies ts(e) < ts(f)', () => {
    fc.assert(
      fc.property(runArbitrary(4, 80), (steps) => {
        const clocks = [0, 1, 2, 3].map((i) => new LamportClock(`n${i}`));
        const events = execute<LamportTimestamp, LamportTimestamp>(4, steps, {
          local: (i) => clocks[i]!.tick(),
          send: (i) => {
            const stamp = clocks[i]!.send();
            return { stamp, message: stamp };
          },
          receive: (i, message) => clocks[i]!.receive(message),
        });
        for (const e of events) {
          for (const f of events) if (happenedBefore(e, f)) expect(compareLamport(e.stamp, f.stamp)).toBe(-1);
          // Distinct events get distinct timestamps: the order is total.
          for (const f of events) if (e !== f) expect(compareLamport(e.stamp, f.stamp)).not.toBe(0);
        }
      }),
    );
  });
});
