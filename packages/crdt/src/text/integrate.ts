import { unitOffset } from './code-points.js';
import { Item, NONE } from './item-list.js';
import type { Replica } from './replica.js';

/*
 * Integration of remote operations: an insert run is placed among the items between its
 * origins by the YjsMod ordering rule (docs/crdt-text.md, "The integration rule"); a delete
 * marks existing characters. An operation whose causal dependencies (its agent's previous
 * characters, its origins, the characters it deletes) have not arrived is parked on the agent
 * it waits for and applied as soon as they do.
 */

/** An insert run, with agent indexes of the receiving replica. */
export interface PendingInsert {
  readonly kind: 0;
  readonly agent: number;
  readonly seq: number;
  readonly len: number;
  readonly olAgent: number;
  readonly olSeq: number;
  readonly orAgent: number;
  readonly orSeq: number;
  readonly content: string | null;
}

/** A deletion of characters (agent, seq … seq + len - 1). */
export interface PendingDelete {
  readonly kind: 1;
  readonly agent: number;
  readonly seq: number;
  readonly len: number;
}

/** An operation on its way into a replica (or waiting inside one for its dependencies). */
export type PendingOp = PendingInsert | PendingDelete;

/** Applies `ops` (and every parked operation that becomes ready on the way). */
export function applyOps(replica: Replica, ops: readonly PendingOp[]): void {
  const queue: PendingOp[] = [];
  for (const op of ops) tryOp(replica, op, queue);
  drain(replica, queue);
}

/** Applies `queue`, released parked operations, and every one that becomes ready on the way. */
export function drain(replica: Replica, queue: PendingOp[]): void {
  while (queue.length > 0) {
    replica.pendingOps--;
    tryOp(replica, queue.pop()!, queue);
  }
}

/** Applies `op` if its dependencies are here (pushing operations it releases onto `queue`), else parks it. */
export function tryOp(replica: Replica, op: PendingOp, queue: PendingOp[]): void {
  const agents = replica.agents;
  const agent = agents[op.agent]!;
  if (op.kind === 1) {
    const knownEnd = Math.min(op.seq + op.len, agent.version);
    if (op.seq < knownEnd) deleteRange(replica, op.agent, op.seq, knownEnd - op.seq);
    if (op.seq + op.len > knownEnd) {
      const start = Math.max(op.seq, knownEnd);
      park(replica, op.agent, start, { kind: 1, agent: op.agent, seq: start, len: op.seq + op.len - start });
    }
    return;
  }
  if (op.seq + op.len <= agent.version) return;
  if (op.seq > agent.version) {
    park(replica, op.agent, op.seq - 1, op);
    return;
  }
  if (op.olAgent !== NONE && op.olSeq >= agents[op.olAgent]!.version) {
    park(replica, op.olAgent, op.olSeq, op);
    return;
  }
  if (op.orAgent !== NONE && op.orSeq >= agents[op.orAgent]!.version) {
    park(replica, op.orAgent, op.orSeq, op);
    return;
  }
  let ready = op;
  if (op.seq < agent.version) {
    const skip = agent.version - op.seq;
    ready = {
      kind: 0,
      agent: op.agent,
      seq: agent.version,
      len: op.len - skip,
      olAgent: op.agent,
      olSeq: agent.version - 1,
      orAgent: op.orAgent,
      orSeq: op.orSeq,
      content: op.content === null ? null : op.content.slice(unitOffset(op.content, skip)),
    };
  }
  integrate(replica, ready);
  agent.released(queue);
}

/** Parks `op` until agent `agent`'s version exceeds `need`. */
function park(replica: Replica, agent: number, need: number, op: PendingOp): void {
  replica.agents[agent]!.park(need, op);
  replica.pendingOps++;
}

/** Compares the document positions of characters (agent a, seq sa) and (agent b, seq sb). */
function compareChars(replica: Replica, a: number, sa: number, b: number, sb: number): number {
  if (a === b && sa === sb) return 0;
  const x = replica.agents[a]!.find(sa);
  const y = replica.agents[b]!.find(sb);
  if (x === y) return sa - sb;
  return replica.list.compare(x, y);
}

/** Integrates a causally ready remote run (the YjsMod ordering rule, see docs/crdt-text.md). */
function integrate(replica: Replica, op: PendingInsert): void {
  const { agents, list } = replica;
  const { agent: a, seq, len, olAgent, olSeq } = op;
  let { orAgent, orSeq } = op;
  // Right origin first: splitting the item that holds it keeps the head (which may hold the
  // left origin) as it is, so `left` below stays the fragment ending at the left origin.
  let right: Item | null = null;
  if (orAgent !== NONE) {
    right = agents[orAgent]!.find(orSeq);
    if (right.seq < orSeq) {
      list.splitItem(right, orSeq - right.seq, -1, -1);
      right = right.next!;
    }
  }
  let left: Item | null = null;
  if (olAgent !== NONE) {
    left = agents[olAgent]!.find(olSeq);
    if (left.seq + left.len - 1 > olSeq) list.splitItem(left, olSeq - left.seq + 1, -1, -1);
  }
  // Walk the items between the origins to find the insertion point.
  const leaves = list.leaves;
  let li: number;
  let ii: number;
  if (left === null) {
    li = 0;
    ii = 0;
  } else {
    li = left.leaf.index;
    ii = left.leaf.items.indexOf(left) + 1;
    // Only a malformed update has its right origin at or before its left one. Every replica
    // sees the two in the same order, so all of them drop that right origin alike (and store
    // the run without it); scanning with it would place the run differently on each.
    if (right !== null && (right.leaf === left.leaf ? right.leaf.items.indexOf(right) < ii : right.leaf.index < li)) {
      right = null;
      orAgent = NONE;
      orSeq = 0;
    }
  }
  if (ii >= leaves[li]!.items.length && li + 1 < leaves.length) {
    li++;
    ii = 0;
  }
  let destLeaf = li;
  let destItem = ii;
  let scanning = false;
  const myName = agents[a]!.name;
  for (;;) {
    const leaf = leaves[li]!;
    const other = leaf.items[ii];
    if (!scanning) {
      destLeaf = li;
      destItem = ii;
    }
    if (other === undefined || other === right) break;
    let cmpLeft: number;
    if (other.olAgent === olAgent && (olAgent === NONE || other.olSeq === olSeq)) cmpLeft = 0;
    else if (other.olAgent === NONE) cmpLeft = -1;
    else if (olAgent === NONE) cmpLeft = 1;
    else cmpLeft = compareChars(replica, other.olAgent, other.olSeq, olAgent, olSeq);
    if (cmpLeft < 0) break;
    if (cmpLeft === 0) {
      let cmpRight: number;
      if (other.orAgent === orAgent && (orAgent === NONE || other.orSeq === orSeq)) cmpRight = 0;
      else if (other.orAgent === NONE) cmpRight = 1;
      else if (orAgent === NONE) cmpRight = -1;
      else cmpRight = compareChars(replica, other.orAgent, other.orSeq, orAgent, orSeq);
      if (cmpRight < 0) scanning = true;
      else if (cmpRight === 0) {
        if (myName < agents[other.agent]!.name) break;
        scanning = false;
      } else scanning = false;
    }
    ii++;
    if (ii >= leaf.items.length && li + 1 < leaves.length) {
      li++;
      ii = 0;
    }
  }
  const agent = agents[a]!;
  const deleted = op.content === null;
  // Extend the previous item when the run continues it exactly (remote typing).
  const destItems = leaves[destLeaf]!.items;
  const previous = destItem > 0 ? destItems[destItem - 1]! : destLeaf > 0 ? leaves[destLeaf - 1]!.items[leaves[destLeaf - 1]!.items.length - 1]! : null;
  if (
    previous !== null &&
    previous === left &&
    previous.agent === a &&
    previous.seq + previous.len === seq &&
    agent.last === previous &&
    previous.deleted === deleted &&
    previous.orAgent === orAgent &&
    (orAgent === NONE || previous.orSeq === orSeq)
  ) {
    previous.len += len;
    if (!deleted) list.addVisible(previous.leaf, len);
  } else {
    const item = new Item(a, seq, len, olAgent, olSeq, orAgent, orSeq, deleted, leaves[destLeaf]!, null);
    if (!deleted) list.addVisible(item.leaf, len);
    list.insertAt(destLeaf, destItem, item);
    agent.indexRun(item);
  }
  agent.appendContent(op.content ?? '\0'.repeat(len), len);
  agent.version += len;
}

/** Marks (agent, seq … seq+len-1) deleted; all of it must exist. */
function deleteRange(replica: Replica, agent: number, seq: number, len: number): void {
  const list = replica.list;
  const end = seq + len;
  let item: Item | null = replica.agents[agent]!.find(seq);
  while (item !== null && item.seq < end) {
    if (!item.deleted) {
      if (item.seq < seq) {
        list.splitItem(item, seq - item.seq, -1, -1);
        item = item.next!;
      }
      if (item.seq + item.len > end) list.splitItem(item, end - item.seq, -1, -1);
      item.deleted = true;
      list.addVisible(item.leaf, -item.len);
      list.coalesce(item);
    }
    item = item.next;
  }
}
