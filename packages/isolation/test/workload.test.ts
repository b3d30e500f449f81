import { isLatticeError, seededRandom } from '@lattice/core';
import { describe, expect, it } from 'vitest';
import { check, createWorkload, HistoryRecorder, InvalidCheckOptionsError } from '../src/index.js';
import { serializableHistory } from '../bench/generate.js';

describe('createWorkload', () => {
  it('replays from its seed, writes each value once per key, and retires keys after maxWritesPerKey', () => {
    const make = () => createWorkload({ random: seededRandom(5), keys: 2, maxWritesPerKey: 3, readFraction: 0.3 });
    const a = make();
    const b = make();
    const txns = Array.from({ length: 50 }, () => a.next());
    expect(Array.from({ length: 50 }, () => b.next())).toEqual(txns);
    const written = new Map<number | string, number[]>();
    for (const ops of txns) {
      expect(ops.length).toBeGreaterThanOrEqual(1);
      expect(ops.length).toBeLessThanOrEqual(4);
      for (const op of ops) {
        if (op[0] === 'r') expect(op[2]).toBeNull();
        else written.set(op[1], [...(written.get(op[1]) ?? []), op[2] as number]);
      }
    }
    for (const values of written.values()) {
      expect(new Set(values).size).toBe(values.length);
      expect(values.length).toBeLessThanOrEqual(3);
    }
    expect(written.size).toBeGreaterThan(2);
  });

  it('rw-register workloads write with w', () => {
    const w = createWorkload({ model: 'rw-register', random: seededRandom(1), readFraction: 0 });
    expect(w.next().every((op) => op[0] === 'w')).toBe(true);
  });

  it('refuses bad options with a typed error', () => {
    for (const options of [{ keys: 0 }, { minLength: 3, maxLength: 2 }, { readFraction: 2 }, { maxWritesPerKey: 1.5 }, { model: 'kv' }]) {
      try {
        createWorkload({ random: seededRandom(1), ...(options as object) });
        throw new Error(`accepted ${JSON.stringify(options)}`);
      } catch (error) {
        expect(isLatticeError(error, InvalidCheckOptionsError.code)).toBe(true);
      }
    }
  });
});

describe('HistoryRecorder', () => {
  it('records outcomes; what is still in flight is info with unknown reads', () => {
    const recorder = new HistoryRecorder();
    const a = recorder.invoke(0, [['append', 'x', 1]], 0);
    const b = recorder.invoke(1, [['r', 'x', null]], 1);
    recorder.complete(a, 'ok', 2);
    recorder.invoke(0, [['r', 'x', null]], 3);
    recorder.complete(b, 'ok', 4, [['r', 'x', [1]]]);
    expect(recorder.history()).toEqual([
      { process: 0, type: 'ok', call: 0, return: 2, ops: [['append', 'x', 1]] },
      { process: 1, type: 'ok', call: 1, return: 4, ops: [['r', 'x', [1]]] },
      { process: 0, type: 'info', call: 3, ops: [['r', 'x', null]] },
    ]);
    expect(() => recorder.invoke(0, [], 5)).toThrow(/already has a transaction in flight/);
    expect(() => recorder.complete(a, 'ok', 6)).toThrow(/not in flight/);
    const c = recorder.invoke(7, [['r', 'x', null]], 7);
    expect(() => recorder.complete(c, 'ok', 8)).toThrow(/pass what they returned/);
  });
});

describe('scale', () => {
  it('a strictly serializable history of 20,000 transactions is not flagged', () => {
    const history = serializableHistory('list-append', 20_000, 3);
    const result = check(history, { consistency: 'strict-serializable', session: true });
    expect(result.anomalies).toEqual([]);
    expect(result.stats.edges).toBeGreaterThan(100_000);
  });
});
