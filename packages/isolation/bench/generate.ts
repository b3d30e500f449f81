import { seededRandom } from '@lattice/core';
import { createWorkload, type DataModel, type MicroOp, type Transaction, type Value } from '../src/index.js';

/**
 * A strictly serializable history of `count` transactions on `clients` concurrent clients:
 * each transaction takes effect at one point inside its [call, return], against a correct
 * in-memory store. About 2% fail and 1% end unknown (info).
 */
export function serializableHistory(model: DataModel, count: number, seed: number, clients = 16, keys = 32): Transaction[] {
  const random = seededRandom(seed);
  const workload = createWorkload({ model, random, keys, maxLength: 6, readFraction: 0.5, maxWritesPerKey: 32 });
  const state = new Map<number | string, Value | readonly Value[]>();
  const history: Transaction[] = [];
  // Each client's transaction in flight: when it takes effect and when it returns.
  let now = 0;
  let nextProcess = clients;
  const processes = Array.from({ length: clients }, (_, i) => i);
  // A client runs one transaction at a time: the next is called after the last returned.
  const busyUntil = Array.from({ length: clients }, () => -1);
  while (history.length < count) {
    now++;
    const slot = random.int(clients);
    if (busyUntil[slot]! >= now) continue;
    const process = processes[slot]!;
    const ops = workload.next();
    const call = now;
    const roll = random.next();
    const type = roll < 0.97 ? 'ok' : roll < 0.99 ? 'fail' : 'info';
    const done: MicroOp[] = [];
    if (type !== 'fail') {
      for (const op of ops) {
        if (op[0] === 'r') done.push(['r', op[1], state.get(op[1]) ?? (model === 'list-append' ? [] : null)]);
        else {
          state.set(op[1], model === 'list-append' ? [...((state.get(op[1]) as readonly Value[] | undefined) ?? []), op[2]] : op[2]);
          done.push(op);
        }
      }
    }
    // Overlap: the call is up to `clients` ticks before the point of effect, the return after.
    const c = Math.max(busyUntil[slot]! + 1, call - random.int(clients));
    const r = call + random.int(clients);
    busyUntil[slot] = r;
    if (type === 'ok') history.push({ process, type, call: c, return: r, ops: done });
    else if (type === 'fail') history.push({ process, type, call: c, return: r, ops });
    else {
      history.push({ process, type, call: c, ops: ops.map((op) => (op[0] === 'r' ? (['r', op[1], null] as const) : op)) });
      processes[slot] = nextProcess++;
    }
  }
  return history;
}
