import { type Random, seededRandom } from '@lattice/core';
import { type AnomalyType, createWorkload, type DataModel, HistoryRecorder, type MicroOp, type Transaction, type Value } from '../../src/index.js';

/** The isolation a deliberately weak in-memory store gives. */
export type Isolation = 'none' | 'read-committed' | 'snapshot-isolation';

/**
 * What each weak store may produce, per model: the checker must never report more than the store
 * allows, and across the seeds it must report every one of them — exactly the anomalies the store
 * allows. A register history cannot show G0 (without options nothing orders two writes of a
 * register) nor an incompatible order (a list-only observation), so those are not allowed there.
 */
export const ALLOWED: Record<DataModel, readonly { isolation: Isolation; allowed: readonly AnomalyType[] }[]> = {
  'list-append': [
    { isolation: 'snapshot-isolation', allowed: ['G2-item'] },
    { isolation: 'read-committed', allowed: ['G-single', 'G2-item', 'lost-update'] },
    { isolation: 'none', allowed: ['G0', 'G1a', 'G1b', 'G1c', 'G-single', 'G2-item', 'lost-update', 'internal', 'incompatible-order'] },
  ],
  'rw-register': [
    { isolation: 'snapshot-isolation', allowed: ['G2-item'] },
    { isolation: 'read-committed', allowed: ['G-single', 'G2-item', 'lost-update'] },
    { isolation: 'none', allowed: ['G1a', 'G1b', 'G1c', 'G-single', 'G2-item', 'lost-update', 'internal'] },
  ],
};

type State = Map<number | string, Value | readonly Value[]>;

interface StoreTxn {
  read(key: number | string): Value | readonly Value[] | null;
  /** False when the store refuses the write; the transaction is then aborted (failed). */
  write(key: number | string, value: Value): boolean;
  /** False when the store refuses to commit (the transaction then failed). */
  commit(): boolean;
  /** Gives up the transaction: nothing of it takes effect. */
  abort(): void;
}

/**
 * A store of lists (list-append) or registers (rw-register) with the given isolation.
 * `none` applies every write in place at once and rolls back on abort, so other transactions
 * see uncommitted and aborted data; `read-committed` buffers writes until commit, takes a
 * write lock per key (no-wait: a write to a key another holds aborts) and reads the latest
 * committed state; `snapshot-isolation` reads a snapshot taken at begin and refuses to
 * commit a transaction whose written keys another committed since (first committer wins).
 */
class WeakStore {
  private committed: State = new Map();
  private readonly versions = new Map<number | string, number>();
  private clock = 0;
  private readonly locks = new Map<number | string, object>();

  constructor(
    private readonly isolation: Isolation,
    private readonly model: DataModel,
    private readonly random: Random,
  ) {}

  private apply(state: State, key: number | string, value: Value): void {
    if (this.model === 'list-append') state.set(key, [...((state.get(key) as readonly Value[] | undefined) ?? []), value]);
    else state.set(key, value);
  }

  begin(): StoreTxn {
    const store = this;
    const own: [number | string, Value][] = [];
    if (this.isolation === 'none') {
      const undo: [number | string, Value | readonly Value[] | undefined][] = [];
      // Undo in place, newest first (for lists, remove just our element).
      const rollback = () => {
        for (let i = undo.length - 1; i >= 0; i--) {
          const [key, before] = undo[i]!;
          if (store.model === 'list-append') {
            const list = (store.committed.get(key) as readonly Value[] | undefined) ?? [];
            const mine = own[i]![1];
            store.committed.set(key, list.filter((v) => v !== mine));
          } else if (before === undefined) store.committed.delete(key);
          else store.committed.set(key, before);
        }
      };
      return {
        read: (key) => store.committed.get(key) ?? null,
        write(key, value) {
          undo.push([key, store.committed.get(key)]);
          own.push([key, value]);
          store.apply(store.committed, key, value);
          return true;
        },
        abort: rollback,
        commit() {
          // The store aborts a fifth of the transactions, after their writes were seen.
          if (store.random.next() >= 0.2) return true;
          rollback();
          return false;
        },
      };
    }
    const snapshot = this.isolation === 'snapshot-isolation' ? new Map(this.committed) : undefined;
    const started = this.clock;
    const view = (key: number | string): Value | readonly Value[] | null => {
      const base = (snapshot ?? store.committed).get(key);
      const mine = own.filter(([k]) => k === key).map(([, v]) => v);
      if (store.model === 'list-append') return mine.length === 0 ? (base ?? null) : [...((base as readonly Value[] | undefined) ?? []), ...mine];
      return mine.length > 0 ? mine[mine.length - 1]! : (base ?? null);
    };
    const me = {};
    const release = () => {
      for (const [key, holder] of store.locks) if (holder === me) store.locks.delete(key);
    };
    return {
      read: view,
      write(key, value) {
        if (store.isolation === 'read-committed') {
          const holder = store.locks.get(key);
          if (holder !== undefined && holder !== me) return false;
          store.locks.set(key, me);
        }
        own.push([key, value]);
        return true;
      },
      abort: release,
      commit() {
        release();
        if (store.isolation === 'snapshot-isolation') {
          for (const [key] of own) if ((store.versions.get(key) ?? -1) >= started) return false;
        }
        store.clock++;
        for (const [key, value] of own) {
          store.apply(store.committed, key, value);
          store.versions.set(key, store.clock);
        }
        return true;
      },
    };
  }
}

export interface RunOptions {
  readonly isolation: Isolation;
  readonly model: DataModel;
  readonly seed: number;
  readonly clients?: number;
  readonly transactions?: number;
  readonly keys?: number;
}

/**
 * Runs `transactions` transactions from a seeded workload on `clients` concurrent clients,
 * interleaving their micro-operations in a seeded order, and returns the recorded history.
 */
export function runWeakStore(options: RunOptions): Transaction[] {
  const random = seededRandom(options.seed);
  const store = new WeakStore(options.isolation, options.model, random);
  const workload = createWorkload({ model: options.model, random, keys: options.keys ?? 3, maxLength: 4, readFraction: 0.5 });
  const recorder = new HistoryRecorder();
  const clients = options.clients ?? 4;
  let remaining = options.transactions ?? 60;
  let time = 0;
  const running: ({ ops: MicroOp[]; done: MicroOp[]; txn: StoreTxn; handle: number } | undefined)[] = Array.from({ length: clients }, () => undefined);
  while (remaining > 0 || running.some((r) => r !== undefined)) {
    const c = random.int(clients);
    const r = running[c];
    time++;
    if (r === undefined) {
      if (remaining === 0) continue;
      remaining--;
      const ops = workload.next();
      running[c] = { ops, done: [], txn: store.begin(), handle: recorder.invoke(c, ops, time) };
      continue;
    }
    const op = r.ops[r.done.length];
    if (op !== undefined) {
      if (op[0] === 'r') {
        const value = r.txn.read(op[1]);
        r.done.push(['r', op[1], options.model === 'list-append' ? ((value as readonly Value[] | null) ?? []) : (value as Value | null)]);
      } else {
        if (!r.txn.write(op[1], op[2])) {
          r.txn.abort();
          recorder.complete(r.handle, 'fail', time, r.done);
          running[c] = undefined;
          continue;
        }
        r.done.push(op);
      }
      continue;
    }
    const committed = r.txn.commit();
    recorder.complete(r.handle, committed ? 'ok' : 'fail', time, r.done);
    running[c] = undefined;
  }
  return recorder.history(options.model);
}
