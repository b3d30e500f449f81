import fc from 'fast-check';
import type { CasRegisterInput, CasRegisterOutput, KvInput, KvOutput, Operation, RegisterValue } from '../../src/index.js';

/** One op as planned: its process, times, and whether its outcome is hidden. */
interface Planned<I> {
  process: number;
  call: number;
  point: number;
  ret: number;
  input: I;
  /** Outcome unknown to the checker; `tookEffect` says whether it happened. */
  unknown: boolean;
  tookEffect: boolean;
}

/** Per-process op plans: times strictly increasing within a process, call < point < ret. */
function planArbitrary<I>(input: fc.Arbitrary<I>, maxProcesses: number, maxOpsPerProcess: number): fc.Arbitrary<Planned<I>[]> {
  const oneProcess = fc
    .array(fc.record({ gaps: fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20)), input, hide: fc.boolean(), effect: fc.boolean() }), {
      minLength: 1,
      maxLength: maxOpsPerProcess,
    })
    .chain((ops) => fc.constant(ops));
  return fc.array(oneProcess, { minLength: 1, maxLength: maxProcesses }).map((processes) => {
    const planned: Planned<I>[] = [];
    processes.forEach((ops, process) => {
      let t = 0;
      ops.forEach((op, k) => {
        // Distinct times across processes: scale and offset by the process index.
        const call = (t + op.gaps[0]) * 16 + process;
        const point = (t + op.gaps[0] + op.gaps[1] + 1) * 16 + process;
        const ret = (t + op.gaps[0] + op.gaps[1] + op.gaps[2] + 2) * 16 + process;
        t += op.gaps[0] + op.gaps[1] + op.gaps[2] + 3;
        // Only a process's last operation may have an unknown outcome (it crashed after it).
        const unknown = k === ops.length - 1 && op.hide;
        planned.push({ process, call, point, ret, input: op.input, unknown, tookEffect: !unknown || op.effect });
      });
    });
    return planned;
  });
}

/** A register history from a real sequential execution, plus the state before each op. */
export interface RegisterRun {
  history: Operation<CasRegisterInput, CasRegisterOutput>[];
  /** Per history index: the value before the op took effect (undefined if it never did). */
  before: (RegisterValue | undefined)[];
}

type RegisterPlan = { op: 'read' } | { op: 'write' } | { op: 'cas'; fromRecent: number };

/**
 * Concurrent histories of a compare-and-set register produced by executing the operations
 * one at a time at their linearization points. Every written value is fresh (never reused,
 * never null), so the register never returns to an earlier value.
 */
export function registerRunArbitrary(maxProcesses = 4, maxOpsPerProcess = 8): fc.Arbitrary<RegisterRun> {
  const plan: fc.Arbitrary<RegisterPlan> = fc.oneof(
    fc.constant({ op: 'read' as const }),
    fc.constant({ op: 'write' as const }),
    fc.record({ op: fc.constant('cas' as const), fromRecent: fc.nat(2) }),
  );
  return planArbitrary(plan, maxProcesses, maxOpsPerProcess).map((planned) => {
    const byPoint = planned.map((_p, i) => i).sort((a, b) => planned[a]!.point - planned[b]!.point);
    let state: RegisterValue = null;
    const written: RegisterValue[] = [null];
    let fresh = 1;
    const history: Operation<CasRegisterInput, CasRegisterOutput>[] = planned.map((p) => ({
      process: p.process,
      call: p.call,
      return: p.unknown ? undefined : p.ret,
      input: { op: 'read' },
      output: undefined,
    }));
    const before: (RegisterValue | undefined)[] = planned.map(() => undefined);
    for (const i of byPoint) {
      const p = planned[i]!;
      const op = history[i]!;
      if (p.input.op === 'read') op.input = { op: 'read' };
      else if (p.input.op === 'write') op.input = { op: 'write', value: fresh++ };
      else op.input = { op: 'cas', from: written[Math.max(0, written.length - 1 - p.input.fromRecent)]!, to: fresh++ };
      if (!p.tookEffect) continue;
      before[i] = state;
      if (op.input.op === 'read') op.output = p.unknown ? undefined : state;
      else if (op.input.op === 'write') {
        state = op.input.value;
        written.push(state);
      } else {
        const matched = op.input.from === state;
        if (matched) {
          state = op.input.to;
          written.push(state);
        }
        op.output = p.unknown ? undefined : matched;
      }
    }
    return { history, before };
  });
}

/**
 * Injects a stale read, if the history allows one: a completed read R is made to return a
 * value s that was overwritten before R began, by a write W that completed before R was
 * invoked, where s itself was written by an operation that completed before W began (or is
 * the initial null). Values are never reused, so no linearization can explain R.
 * Returns undefined when no such triple exists.
 */
export function injectStaleRead(run: RegisterRun, pick: number): Operation<CasRegisterInput, CasRegisterOutput>[] | undefined {
  const h = run.history;
  const writes = h
    .map((_op, i) => i)
    .filter((i) => {
      const op = h[i]!;
      return op.return !== undefined && (op.input.op === 'write' || (op.input.op === 'cas' && op.output === true));
    });
  const candidates: [number, RegisterValue][] = [];
  for (let r = 0; r < h.length; r++) {
    const read = h[r]!;
    if (read.input.op !== 'read' || read.return === undefined) continue;
    for (const w of writes) {
      const overwrite = h[w]!;
      if (!(overwrite.return! < read.call)) continue;
      // The initial value, gone once any write completed.
      if (read.output !== null) candidates.push([r, null]);
      for (const x of writes) {
        const writer = h[x]!;
        if (!(writer.return! < overwrite.call)) continue;
        const value = writer.input.op === 'write' ? writer.input.value : writer.input.op === 'cas' ? writer.input.to : null;
        if (value !== read.output) candidates.push([r, value]);
      }
    }
  }
  if (candidates.length === 0) return undefined;
  const [r, value] = candidates[pick % candidates.length]!;
  return h.map((op, i) => (i === r ? { ...op, output: value } : op));
}

type KvPlan = { op: 'get' | 'put' | 'append'; key: number };

/**
 * Concurrent key-value histories (keys "a", "b") from a real sequential execution. Put and
 * append values are fresh non-empty tokens, so a key never returns to an earlier value.
 */
export function kvRunArbitrary(maxProcesses = 4, maxOpsPerProcess = 8): fc.Arbitrary<Operation<KvInput, KvOutput>[]> {
  const plan: fc.Arbitrary<KvPlan> = fc.record({ op: fc.constantFrom('get' as const, 'put' as const, 'append' as const), key: fc.nat(1) });
  return planArbitrary(plan, maxProcesses, maxOpsPerProcess).map((planned) => {
    const byPoint = planned.map((_p, i) => i).sort((a, b) => planned[a]!.point - planned[b]!.point);
    const store = new Map<string, string>();
    let fresh = 0;
    const history: Operation<KvInput, KvOutput>[] = planned.map((p) => ({
      process: p.process,
      call: p.call,
      return: p.unknown ? undefined : p.ret,
      input: { op: 'get', key: 'a' },
      output: undefined,
    }));
    for (const i of byPoint) {
      const p = planned[i]!;
      const key = p.input.key === 0 ? 'a' : 'b';
      const op = history[i]!;
      const current = store.get(key) ?? '';
      if (p.input.op === 'get') {
        op.input = { op: 'get', key };
        if (p.tookEffect && !p.unknown) op.output = current;
      } else {
        const value = `${p.input.op === 'put' ? 'P' : 'A'}${fresh++};`;
        op.input = { op: p.input.op, key, value };
        if (p.tookEffect) store.set(key, p.input.op === 'put' ? value : current + value);
      }
    }
    return history;
  });
}

/**
 * Makes a completed get return `''` although a put or append on its key (which never
 * produce `''`) completed before the get began. Undefined when no such pair exists.
 */
export function injectStaleGet(history: Operation<KvInput, KvOutput>[], pick: number): Operation<KvInput, KvOutput>[] | undefined {
  const candidates: number[] = [];
  for (let g = 0; g < history.length; g++) {
    const get = history[g]!;
    if (get.input.op !== 'get' || get.return === undefined || get.output === '') continue;
    const key = get.input.key;
    if (history.some((w) => w.input.op !== 'get' && w.input.key === key && w.return !== undefined && w.return < get.call)) candidates.push(g);
  }
  if (candidates.length === 0) return undefined;
  const g = candidates[pick % candidates.length]!;
  return history.map((op, i) => (i === g ? { ...op, output: '' } : op));
}
