import { seededRandom } from '@lattice/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { check, createWorkload, type DataModel, type MicroOp, type Transaction, type Value } from '../src/index.js';

interface Planned {
  process: number;
  call: number;
  ret: number;
  point: number;
  ops: MicroOp[];
  fate: 'ok' | 'fail' | 'info-applied' | 'info-lost';
}

/** Executes transactions one at a time in `point` order against a correct store. */
function runSerially(model: DataModel, planned: Planned[]): Transaction[] {
  const state = new Map<number | string, Value | readonly Value[]>();
  const results = new Map<Planned, MicroOp[]>();
  for (const p of [...planned].sort((a, b) => a.point - b.point)) {
    if (p.fate === 'fail' || p.fate === 'info-lost') continue;
    const done: MicroOp[] = [];
    for (const op of p.ops) {
      if (op[0] === 'r') done.push(['r', op[1], state.get(op[1]) ?? (model === 'list-append' ? [] : null)]);
      else {
        state.set(op[1], model === 'list-append' ? [...((state.get(op[1]) as readonly Value[] | undefined) ?? []), op[2]] : op[2]);
        done.push(op);
      }
    }
    results.set(p, done);
  }
  return planned.map((p): Transaction => {
    if (p.fate === 'ok') return { process: p.process, type: 'ok', call: p.call, return: p.ret, ops: results.get(p)! };
    if (p.fate === 'fail') return { process: p.process, type: 'fail', call: p.call, return: p.ret, ops: p.ops };
    return { process: p.process, type: 'info', call: p.call, ops: p.ops };
  });
}

/**
 * Plans `count` transactions on `processes` clients. Strictly serial: each executes at a point
 * inside its own [call, return]; serial only: at a random point, whatever the times say.
 */
function plan(model: DataModel, seed: number, count: number, processes: number, strictly: boolean): Planned[] {
  const random = seededRandom(seed);
  const workload = createWorkload({ model, random, keys: 1 + random.int(4), maxLength: 1 + random.int(5), readFraction: random.next() });
  const free = Array.from({ length: processes }, () => 0);
  const planned: Planned[] = [];
  const retired = new Set<number>();
  for (let i = 0; i < count; i++) {
    let process = random.int(processes);
    // After an info, a process is never used again (its transaction may still be in flight).
    while (retired.has(process)) process += processes;
    const call = (free[process % processes] ?? 0) + random.int(5);
    const ret = call + 1 + random.int(20);
    free[process % processes] = ret + 1;
    const roll = random.next();
    const fate = roll < 0.8 ? 'ok' : roll < 0.9 ? 'fail' : roll < 0.95 ? 'info-applied' : 'info-lost';
    if (fate.startsWith('info')) retired.add(process);
    // Point in (call, return): distinct by construction (an index-sized fraction).
    const point = strictly ? call + (ret - call) * random.next() * 0.999 + i * 1e-9 : random.next() * 1e6 + i * 1e-9;
    planned.push({ process, call, ret, point, ops: workload.next(), fate });
  }
  return planned;
}

describe('serial executions are never flagged', () => {
  for (const model of ['list-append', 'rw-register'] as DataModel[]) {
    it(`${model}: any serial execution is serializable`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 6 }), (seed, count, processes) => {
          const history = runSerially(model, plan(model, seed, count, processes, false));
          const result = check(history, { model, wfrKeys: true });
          expect(result.anomalies.map((a) => a.explanation)).toEqual([]);
          expect(result.valid).toBe(true);
        }),
        { numRuns: 150 },
      );
    });

    it(`${model}: any strictly serial execution is strict serializable, with realtime and process edges`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 6 }), (seed, count, processes) => {
          const history = runSerially(model, plan(model, seed, count, processes, true));
          const result = check(history, { model, consistency: 'strict-serializable', session: true, wfrKeys: true, sequentialKeys: true, linearizableKeys: true });
          expect(result.anomalies.map((a) => a.explanation)).toEqual([]);
          expect(result.models.every((m) => m.verdict === 'compatible')).toBe(true);
        }),
        { numRuns: 150 },
      );
    });
  }
});
