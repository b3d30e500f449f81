import type { PendingDelete, PendingInsert, PendingOp } from './integrate.js';
import { type Item, NONE } from './item-list.js';
import type { Replica } from './replica.js';
import type { TextDelete, TextInsert, TextUpdate, TextVersion } from './types.js';
import { checkTextUpdate } from './validation.js';

/*
 * Between the public update form (agent names, `TextInsert`/`TextDelete`) and a replica's
 * internal operations (agent indexes): what a replica at some version lacks, in an order its
 * receiver can integrate; what waits inside a replica; an incoming update turned into operations.
 */

/**
 * What a replica at `version` lacks: runs (in an order where each follows its dependencies)
 * and the delete set below `version`, with `replica`'s agent indexes.
 */
export function missing(replica: Replica, version: TextVersion): { runs: PendingInsert[]; deletes: PendingDelete[] } {
  const runs: PendingInsert[] = [];
  const deletes: PendingDelete[] = [];
  const agents = replica.agents;
  for (let index = 0; index < agents.length; index++) {
    const agent = agents[index]!;
    if (agent.version === 0) continue;
    const raw = version[agent.name];
    const from = typeof raw === 'number' && raw > 0 ? Math.min(raw, agent.version) : 0;
    // The run being built: [start, end) with origins and deletedness.
    let start = -1;
    let end = -1;
    let olAgent = NONE;
    let olSeq = 0;
    let orAgent = NONE;
    let orSeq = 0;
    let deleted = false;
    const flush = () => {
      if (start < 0) return;
      runs.push({ kind: 0, agent: index, seq: start, len: end - start, olAgent, olSeq, orAgent, orSeq, content: deleted ? null : agent.content(start, end - start) });
      start = -1;
    };
    for (let item: Item | null = agent.runItems[0]!; item !== null; item = item.next) {
      const itemEnd = item.seq + item.len;
      if (item.seq < from) {
        if (item.deleted) {
          const last = deletes[deletes.length - 1];
          const len = Math.min(itemEnd, from) - item.seq;
          if (last !== undefined && last.agent === index && last.seq + last.len === item.seq) deletes[deletes.length - 1] = { kind: 1, agent: index, seq: last.seq, len: last.len + len };
          else deletes.push({ kind: 1, agent: index, seq: item.seq, len });
        }
        if (itemEnd <= from) continue;
      }
      if (item.seq >= from && start >= 0 && end === item.seq && deleted === item.deleted && item.olAgent === index && item.olSeq === end - 1 && item.orAgent === orAgent && item.orSeq === orSeq) {
        // A fragment that continues the run (same origins) extends it.
        end = itemEnd;
        continue;
      }
      flush();
      start = Math.max(item.seq, from);
      end = itemEnd;
      if (start === item.seq) {
        olAgent = item.olAgent;
        olSeq = item.olSeq;
      } else {
        olAgent = index;
        olSeq = start - 1;
      }
      orAgent = item.orAgent;
      orSeq = item.orSeq;
      deleted = item.deleted;
    }
    flush();
  }
  return { runs: causalOrder(runs), deletes };
}

/** {@link missing} as a public update: every character a replica at `version` lacks and the whole delete set. */
export function updateSince(replica: Replica, version: TextVersion): TextUpdate {
  const { runs, deletes } = missing(replica, version);
  const agents = replica.agents;
  const inserts = runs.map(
    (r): TextInsert => ({
      agent: agents[r.agent]!.name,
      seq: r.seq,
      length: r.len,
      left: replica.idOf(r.olAgent, r.olSeq),
      right: replica.idOf(r.orAgent, r.orSeq),
      content: r.content,
    }),
  );
  return {
    inserts,
    deletes: deletes.map((d): TextDelete => ({ agent: agents[d.agent]!.name, seq: d.seq, length: d.len })),
  };
}

/** Everything waiting inside `replica`, as an update. */
export function pendingUpdate(replica: Replica): TextUpdate {
  const inserts: TextInsert[] = [];
  const deletes: TextDelete[] = [];
  const agents = replica.agents;
  for (const agent of agents) {
    for (const { op } of agent.waiting) {
      const name = agents[op.agent]!.name;
      if (op.kind === 1) deletes.push({ agent: name, seq: op.seq, length: op.len });
      else {
        inserts.push({
          agent: name,
          seq: op.seq,
          length: op.len,
          left: replica.idOf(op.olAgent, op.olSeq),
          right: replica.idOf(op.orAgent, op.orSeq),
          content: op.content,
        });
      }
    }
  }
  return { inserts, deletes };
}

/**
 * Checks an update's shape and converts it to `replica`'s operations, registering the agents it
 * names only once every check passed (so a bad update changes nothing).
 */
export function toOps(replica: Replica, update: TextUpdate): PendingOp[] {
  const checked = checkTextUpdate(update);
  for (const ins of checked.inserts) {
    replica.agentId(ins.agent);
    if (ins.left !== null) replica.agentId(ins.left[0]);
    if (ins.right !== null) replica.agentId(ins.right[0]);
  }
  for (const del of checked.deletes) replica.agentId(del.agent);
  const index = replica.agentIndex;
  const ops: PendingOp[] = [];
  for (const i of checked.inserts) {
    ops.push({
      kind: 0,
      agent: index.get(i.agent)!,
      seq: i.seq,
      len: i.length,
      olAgent: i.left === null ? NONE : index.get(i.left[0])!,
      olSeq: i.left === null ? 0 : i.left[1],
      orAgent: i.right === null ? NONE : index.get(i.right[0])!,
      orSeq: i.right === null ? 0 : i.right[1],
      content: i.content,
    });
  }
  for (const d of checked.deletes) ops.push({ kind: 1, agent: index.get(d.agent)!, seq: d.seq, len: d.length });
  return ops;
}

/**
 * Orders insert runs so that each comes after the runs holding its origins and its agent's
 * previous characters (when those are in the list), so a receiver integrates them without
 * parking any. `inserts` is grouped by agent, each group in sequence order.
 */
function causalOrder(inserts: PendingInsert[]): PendingInsert[] {
  if (inserts.length < 2) return inserts;
  const groups = new Map<number, { start: number; end: number }>();
  for (let i = 0; i < inserts.length; i++) {
    const g = groups.get(inserts[i]!.agent);
    if (g === undefined) groups.set(inserts[i]!.agent, { start: i, end: i + 1 });
    else g.end = i + 1;
  }
  // One agent: sequence order is causal (origins always existed before).
  if (groups.size === 1) return inserts;
  /** Index of the run holding (agent, seq), or -1 when the receiver must already have it. */
  const find = (agent: number, seq: number): number => {
    if (agent === NONE) return -1;
    const g = groups.get(agent);
    if (g === undefined) return -1;
    let lo = g.start;
    let hi = g.end - 1;
    if (seq < inserts[lo]!.seq) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (inserts[mid]!.seq <= seq) lo = mid;
      else hi = mid - 1;
    }
    const run = inserts[lo]!;
    return seq < run.seq + run.len ? lo : -1;
  };
  const state = new Uint8Array(inserts.length); // 0 new, 1 on stack, 2 emitted
  const out: PendingInsert[] = [];
  const stack: number[] = [];
  for (let root = 0; root < inserts.length; root++) {
    if (state[root] !== 0) continue;
    stack.push(root);
    while (stack.length > 0) {
      const k = stack[stack.length - 1]!;
      if (state[k] === 2) {
        stack.pop();
        continue;
      }
      state[k] = 1;
      const run = inserts[k]!;
      const previous = k > groups.get(run.agent)!.start ? k - 1 : -1;
      let pushed = false;
      for (const d of [previous, find(run.olAgent, run.olSeq), find(run.orAgent, run.orSeq)]) {
        // A dependency already on the stack is a cycle (malformed data): leave it to the receiver.
        if (d >= 0 && state[d] === 0) {
          stack.push(d);
          pushed = true;
        }
      }
      if (!pushed) {
        state[k] = 2;
        out.push(run);
        stack.pop();
      }
    }
  }
  return out;
}
