import { type EdgeCollector, PROCESS, RT } from './graph.js';
import type { Transaction } from './types.js';

/** Whether a transaction is a node of the dependency graph: it committed, or may have. */
export function isNode(txn: Transaction): boolean {
  return txn.type !== 'fail';
}

/**
 * Realtime edges: T1 → T2 when T1 returned before T2 was called. Only a transitive reduction is
 * added (as Elle's realtime graph): a sweep over calls and returns keeps the "frontier" of
 * returned transactions that no later-returned one follows, so each call links to the
 * frontier only and the edge count stays near the concurrency times the size.
 */
export function addRealtimeEdges(history: readonly Transaction[], edges: EdgeCollector): void {
  interface Event {
    time: number;
    txn: number;
    isReturn: boolean;
  }
  const events: Event[] = [];
  for (let i = 0; i < history.length; i++) {
    const txn = history[i]!;
    if (!isNode(txn)) continue;
    events.push({ time: txn.call, txn: i, isReturn: false });
    // Only an ok has a known return; an info may take effect at any later time.
    if (txn.type === 'ok' && txn.return != null) events.push({ time: txn.return, txn: i, isReturn: true });
  }
  // At equal times calls come first: a return at t does not precede a call at t.
  events.sort((a, b) => a.time - b.time || (a.isReturn === b.isReturn ? a.txn - b.txn : a.isReturn ? 1 : -1));
  const frontier = new Set<number>();
  const predecessors = new Map<number, number[]>();
  for (const event of events) {
    if (!event.isReturn) {
      const before = [...frontier];
      for (const from of before) edges.add(from, event.txn, RT);
      predecessors.set(event.txn, before);
    } else {
      // What this transaction follows is now reached through it.
      for (const covered of predecessors.get(event.txn) ?? []) frontier.delete(covered);
      frontier.add(event.txn);
      predecessors.delete(event.txn);
    }
  }
}

/** Process edges: each committed transaction to the next transaction of the same process. */
export function addProcessEdges(history: readonly Transaction[], edges: EdgeCollector): void {
  const byProcess = new Map<number | string, number[]>();
  for (let i = 0; i < history.length; i++) {
    const txn = history[i]!;
    if (!isNode(txn)) continue;
    let list = byProcess.get(txn.process);
    if (list === undefined) byProcess.set(txn.process, (list = []));
    list.push(i);
  }
  for (const list of byProcess.values()) {
    list.sort((a, b) => history[a]!.call - history[b]!.call || a - b);
    for (let i = 0; i + 1 < list.length; i++) {
      // After an info the process's transaction may still be in flight: no order follows it.
      if (history[list[i]!]!.type === 'ok') edges.add(list[i]!, list[i + 1]!, PROCESS);
    }
  }
}
