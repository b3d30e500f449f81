import { describe, expect, it } from 'vitest';
import { type CheckOptions, check, type Transaction } from '../src/index.js';

type Ops = Transaction['ops'];
let clock = 0;
function ok(process: number, ops: Ops): Transaction {
  const call = clock++;
  return { process, type: 'ok', call, return: clock++, ops };
}
function fail(process: number, ops: Ops): Transaction {
  const call = clock++;
  return { process, type: 'fail', call, return: clock++, ops };
}
function types(history: Transaction[], options: CheckOptions = {}): string[] {
  return [...check(history, options).anomalyTypes].sort();
}

describe('planted list-append anomalies are named exactly', () => {
  it('G0: write cycle', () => {
    // x = [1 2] says T0 before T1; y = [2 1] says T1 before T0.
    const h = [ok(0, [['append', 'x', 1], ['append', 'y', 1]]), ok(1, [['append', 'x', 2], ['append', 'y', 2]]), ok(2, [['r', 'x', [1, 2]], ['r', 'y', [2, 1]]])];
    expect(types(h)).toEqual(['G0']);
  });

  it('G1a: aborted read', () => {
    const h = [fail(0, [['append', 'x', 1]]), ok(1, [['r', 'x', [1]]])];
    expect(types(h)).toEqual(['G1a']);
  });

  it('G1b: intermediate read', () => {
    const h = [ok(0, [['append', 'x', 1], ['append', 'x', 2]]), ok(1, [['r', 'x', [1]]]), ok(2, [['r', 'x', [1, 2]]])];
    // The reader saw x between T0's two appends: an intermediate read, and with it a G-single
    // cycle (T1 read x without 2, which T0 appended; T0 wrote what T1 read).
    expect(types(h)).toEqual(['G-single', 'G1b']);
  });

  it('G1c: circular information flow', () => {
    const h = [ok(0, [['append', 'x', 1], ['r', 'y', [1]]]), ok(1, [['append', 'y', 1], ['r', 'x', [1]]])];
    expect(types(h)).toEqual(['G1c']);
  });

  it('G-single: read skew', () => {
    // T1 sees T0's y but not T0's x.
    const h = [ok(0, [['append', 'x', 1], ['append', 'y', 1]]), ok(1, [['r', 'x', []], ['r', 'y', [1]]]), ok(2, [['r', 'x', [1]]])];
    expect(types(h)).toEqual(['G-single']);
  });

  it('G2-item: write skew', () => {
    const h = [ok(0, [['r', 'x', []], ['r', 'y', []], ['append', 'x', 1]]), ok(1, [['r', 'x', []], ['r', 'y', []], ['append', 'y', 1]]), ok(2, [['r', 'x', [1]], ['r', 'y', [1]]])];
    expect(types(h)).toEqual(['G2-item']);
  });

  it('lost update', () => {
    // Both read x = [] and appended; the final read orders them, which also closes a G-single.
    const h = [ok(0, [['r', 'x', []], ['append', 'x', 1]]), ok(1, [['r', 'x', []], ['append', 'x', 2]]), ok(2, [['r', 'x', [1, 2]]])];
    expect(types(h)).toEqual(['G-single', 'lost-update']);
    const h2 = [ok(0, [['r', 'x', []], ['append', 'x', 1]]), ok(1, [['r', 'x', []], ['append', 'x', 2]])];
    // Without a later read the order is unknown: each read x without the other's append (rw both ways).
    expect(types(h2)).toEqual(['G2-item', 'lost-update']);
  });

  it('garbage read', () => {
    expect(types([ok(0, [['r', 'x', [9]]])])).toEqual(['garbage-read']);
  });

  it('duplicate elements', () => {
    expect(types([ok(0, [['append', 'x', 1]]), ok(1, [['r', 'x', [1, 1]]])])).toEqual(['duplicate-elements']);
  });

  it('duplicate appends', () => {
    expect(types([ok(0, [['append', 'x', 1]]), ok(1, [['append', 'x', 1]]), ok(2, [['r', 'x', [1]]])])).toEqual(['duplicate-appends']);
  });

  it('incompatible order', () => {
    const h = [ok(0, [['append', 'x', 1]]), ok(1, [['append', 'x', 2]]), ok(2, [['r', 'x', [1, 2]]]), ok(3, [['r', 'x', [2, 1]]])];
    expect(types(h)).toEqual(['incompatible-order']);
  });

  it('internal inconsistency', () => {
    expect(types([ok(0, [['append', 'x', 1], ['r', 'x', []]])])).toEqual(['internal']);
    expect(types([ok(0, [['append', 'x', 1], ['append', 'x', 2], ['r', 'x', [2, 1]]])])).toEqual(['internal']);
    // A re-read that sees a newer append is a fuzzy read, not an internal fault: T0 both
    // missed and saw T1's append, a G-single cycle.
    expect(types([ok(0, [['r', 'x', []], ['r', 'x', [5]]]), ok(1, [['append', 'x', 5]])])).toEqual(['G-single']);
  });

  it('G-single-realtime: a stale read after a completed write', () => {
    const h = [ok(0, [['append', 'x', 1]]), ok(1, [['r', 'x', []]]), ok(2, [['r', 'x', [1]]])];
    expect(types(h)).toEqual([]);
    expect(types(h, { strict: true })).toEqual(['G-single-realtime']);
    const result = check(h, { consistency: 'strict-serializable' });
    expect(result.valid).toBe(false);
    expect(result.models.map((m) => m.verdict)).toEqual(['compatible', 'compatible', 'compatible', 'incompatible']);
  });

  it('G0-process: a process sees its own writes undone', () => {
    // Process 0 appends 1 then 2 to x, but x reads [2 1].
    const h = [ok(0, [['append', 'x', 1]]), ok(0, [['append', 'x', 2]]), ok(1, [['r', 'x', [2, 1]]])];
    expect(types(h)).toEqual([]);
    expect(types(h, { session: true })).toEqual(['G0-process']);
  });
});

describe('counterexamples', () => {
  it("each model's counterexample is the smallest anomaly it forbids, not the most basic type", () => {
    const h = [
      // A write cycle through three transactions: x orders T0 < T1, y T1 < T2, z T2 < T0.
      ok(0, [['append', 'x', 1], ['append', 'z', 1]]),
      ok(1, [['append', 'x', 2], ['append', 'y', 2]]),
      ok(2, [['append', 'y', 3], ['append', 'z', 3]]),
      ok(3, [['r', 'x', [1, 2]], ['r', 'y', [2, 3]], ['r', 'z', [3, 1]]]),
      // Write skew between two transactions on a and b.
      ok(4, [['r', 'a', []], ['r', 'b', []], ['append', 'a', 1]]),
      ok(5, [['r', 'a', []], ['r', 'b', []], ['append', 'b', 1]]),
      ok(6, [['r', 'a', [1]], ['r', 'b', [1]]]),
    ];
    const result = check(h);
    expect([...result.anomalyTypes].sort()).toEqual(['G0', 'G2-item']);
    const byModel = Object.fromEntries(result.models.map((m) => [m.model, m]));
    expect(byModel['read-committed']!.counterexample!.type).toBe('G0');
    expect(byModel['read-committed']!.counterexample!.explanation).toMatch(/^G0: .*: T\d → T\d → T\d → T\d\n/);
    expect(byModel['snapshot-isolation']!.counterexample!.type).toBe('G0');
    expect(byModel.serializable!.violatedBy).toEqual(['G0', 'G2-item']);
    expect(byModel.serializable!.counterexample!.type).toBe('G2-item');
    expect(byModel.serializable!.counterexample!.explanation).toMatch(/^G2-item: .*: T[45] → T[45] → T[45]\n/);
  });

  it('among anomalies of one size the most basic type is the counterexample', () => {
    // An intermediate read (2 transactions) and the G-single cycle it closes (2 transactions).
    const h = [ok(0, [['append', 'x', 1], ['append', 'x', 2]]), ok(1, [['r', 'x', [1]]]), ok(2, [['r', 'x', [1, 2]]])];
    const result = check(h);
    expect(result.models.find((m) => m.model === 'serializable')!.counterexample!.type).toBe('G1b');
  });
});

describe('planted rw-register anomalies are named exactly', () => {
  const rw: CheckOptions = { model: 'rw-register' };
  it('G1a, G1b, garbage, internal, duplicate writes', () => {
    expect(types([fail(0, [['w', 'x', 1]]), ok(1, [['r', 'x', 1]])], rw)).toEqual(['G1a']);
    expect(types([ok(0, [['w', 'x', 1], ['w', 'x', 2]]), ok(1, [['r', 'x', 1]])], rw)).toEqual(['G1b']);
    expect(types([ok(0, [['r', 'x', 3]])], rw)).toEqual(['garbage-read']);
    expect(types([ok(0, [['w', 'x', 1], ['r', 'x', null]])], rw)).toEqual(['internal']);
    expect(types([ok(0, [['w', 'x', 1]]), ok(1, [['w', 'x', 1]])], rw)).toEqual(['duplicate-writes']);
  });

  it('G1c through wr edges', () => {
    expect(types([ok(0, [['w', 'x', 1], ['r', 'y', 1]]), ok(1, [['w', 'y', 1], ['r', 'x', 1]])], rw)).toEqual(['G1c']);
  });

  it('G-single from the initial state: read skew', () => {
    const h = [ok(0, [['w', 'x', 1], ['w', 'y', 1]]), ok(1, [['r', 'x', null], ['r', 'y', 1]])];
    expect(types(h, rw)).toEqual(['G-single']);
  });

  it('G2-item from the initial state: write skew', () => {
    const h = [ok(0, [['r', 'x', null], ['r', 'y', null], ['w', 'x', 1]]), ok(1, [['r', 'x', null], ['r', 'y', null], ['w', 'y', 1]])];
    expect(types(h, rw)).toEqual(['G2-item']);
  });

  it('lost update', () => {
    const h = [ok(0, [['r', 'x', null], ['w', 'x', 1]]), ok(1, [['r', 'x', null], ['w', 'x', 2]])];
    // Each read the initial state the other overwrote: two anti-dependencies.
    expect(types(h, rw)).toEqual(['G2-item', 'lost-update']);
  });

  it('linearizable keys order versions by realtime only when asked', () => {
    // T0 wrote x = 1 and returned before T1 wrote x = 2 (and y = 2); T2, concurrent with T1,
    // saw T1's y but T0's x: read skew, visible only once 1 < 2 is known.
    const h: Transaction[] = [
      { process: 0, type: 'ok', call: 0, return: 1, ops: [['w', 'x', 1]] },
      { process: 1, type: 'ok', call: 2, return: 5, ops: [['w', 'x', 2], ['w', 'y', 2]] },
      { process: 2, type: 'ok', call: 3, return: 6, ops: [['r', 'x', 1], ['r', 'y', 2]] },
    ];
    expect(types(h, rw)).toEqual([]);
    expect(types(h, { ...rw, sequentialKeys: true })).toEqual([]);
    const result = check(h, { ...rw, linearizableKeys: true });
    expect(result.anomalyTypes).toEqual(['G-single']);
    expect(result.anomalies[0]!.explanation).toContain('T2 read "x" = 1, which T1 overwrote with 2: T0 left "x" = 1 and returned before T1 began, which saw 2 (keys are linearizable)');
  });

  it('writes-follow-reads orders versions only when asked', () => {
    // T2 read x = 1 then wrote 2; T3 read 2; T1 read y = 1 of T3 and x = 1: stale under wfr.
    const h = [
      ok(0, [['w', 'x', 1]]),
      ok(1, [['r', 'x', 1], ['w', 'x', 2]]),
      ok(2, [['r', 'x', 2], ['w', 'y', 1]]),
      ok(3, [['r', 'y', 1], ['r', 'x', 1]]),
    ];
    expect(types(h, rw)).toEqual([]);
    expect(types(h, { ...rw, wfrKeys: true })).toEqual(['G-single']);
  });
});
