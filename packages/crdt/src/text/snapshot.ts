import { assertNodeId, DecodeError } from '@lattice/core';
import { codePointLength, hasSurrogate, unitOffset } from './code-points.js';
import { applyOps } from './integrate.js';
import { continues, Item, NONE } from './item-list.js';
import type { Replica } from './replica.js';
import type { TextUpdate } from './types.js';
import { pendingUpdate, toOps } from './updates.js';
import { isCount, MAX_AGENT_CHARS } from './validation.js';

/**
 * The document-order listing of a replica's items, column by column (internal; the state codecs
 * turn it into bytes or JSON and back).
 */
export interface TextSnapshot<N extends ArrayLike<number> = number[], D extends ArrayLike<number | boolean> = boolean[]> {
  agents: string[];
  agent: N;
  seq: N;
  len: N;
  olAgent: N;
  olSeq: N;
  orAgent: N;
  orSeq: N;
  /** 1 (or true) for deleted items. */
  deleted: D;
  /** Visible text, concatenated in document order. */
  content: string;
  /** Received operations still waiting for their causal dependencies. */
  pending?: TextUpdate;
}

/**
 * `replica`'s items in document order, column by column, in a canonical form: replicas holding
 * the same characters, tombstones and origins give equal snapshots (so equal encodings), however
 * their item lists happen to be cut. The agent table lists only agents with characters, sorted by
 * name, and fragments that continue each other with the same deletedness are joined (how items
 * are split depends on each replica's edit history and leaf boundaries, not on the document).
 */
export function takeSnapshot(replica: Replica): TextSnapshot {
  const agents = replica.agents;
  const order: number[] = [];
  for (let a = 0; a < agents.length; a++) if (agents[a]!.version > 0) order.push(a);
  order.sort((x, y) => (agents[x]!.name < agents[y]!.name ? -1 : 1));
  const slot = new Int32Array(agents.length);
  order.forEach((a, i) => {
    slot[a] = i;
  });
  const s: TextSnapshot = { agents: order.map((a) => agents[a]!.name), agent: [], seq: [], len: [], olAgent: [], olSeq: [], orAgent: [], orSeq: [], deleted: [], content: '' };
  const parts: string[] = [];
  let previous: Item | null = null;
  for (const leaf of replica.list.leaves) {
    for (const it of leaf.items) {
      if (!it.deleted) parts.push(agents[it.agent]!.content(it.seq, it.len));
      if (previous !== null && previous.deleted === it.deleted && continues(previous, it)) {
        s.len[s.len.length - 1]! += it.len;
        previous = it;
        continue;
      }
      previous = it;
      s.agent.push(slot[it.agent]!);
      s.seq.push(it.seq);
      s.len.push(it.len);
      s.olAgent.push(it.olAgent === NONE ? NONE : slot[it.olAgent]!);
      s.olSeq.push(it.olAgent === NONE ? 0 : it.olSeq);
      s.orAgent.push(it.orAgent === NONE ? NONE : slot[it.orAgent]!);
      s.orSeq.push(it.orAgent === NONE ? 0 : it.orSeq);
      s.deleted.push(it.deleted);
    }
  }
  s.content = parts.join('');
  if (replica.pendingOps > 0) s.pending = pendingUpdate(replica);
  return s;
}

/**
 * Loads snapshot `s` into `replica` (a fresh one, holding at most its own agent), validating
 * it; throws `DecodeError` on an inconsistent snapshot.
 */
export function restoreSnapshot(replica: Replica, s: TextSnapshot<ArrayLike<number>, ArrayLike<number | boolean>>): void {
  const n = s.agent.length;
  const fail = (why: string): never => {
    throw new DecodeError(`Invalid text state: ${why}`);
  };
  if (s.seq.length !== n || s.len.length !== n || s.olAgent.length !== n || s.olSeq.length !== n || s.orAgent.length !== n || s.orSeq.length !== n || s.deleted.length !== n) {
    fail('column lengths differ');
  }
  const map: number[] = [];
  const seen = new Set<string>();
  for (const name of s.agents) {
    try {
      assertNodeId(name, 'agent');
    } catch (cause) {
      throw new DecodeError('Invalid text state: bad agent id', { cause });
    }
    if (seen.has(name)) fail(`duplicate agent ${JSON.stringify(name)}`);
    seen.add(name);
    map.push(replica.agentId(name));
  }
  const agentCount = s.agents.length;
  const items: Item[] = new Array(n);
  const placeholder = replica.list.leaves[0]!;
  let visible = 0;
  for (let i = 0; i < n; i++) {
    const a = s.agent[i]!;
    const seq = s.seq[i]!;
    const len = s.len[i]!;
    const ola = s.olAgent[i]!;
    const ora = s.orAgent[i]!;
    if (!isIndex(a, agentCount) || !isCount(seq) || !isCount(len) || len === 0) fail(`bad item ${i}`);
    if (!(ola === NONE || isIndex(ola, agentCount)) || !(ora === NONE || isIndex(ora, agentCount)) || !isCount(s.olSeq[i]!) || !isCount(s.orSeq[i]!)) {
      fail(`bad origin of item ${i}`);
    }
    const deleted = s.deleted[i] === true || s.deleted[i] === 1;
    items[i] = new Item(map[a]!, seq, len, ola === NONE ? NONE : map[ola]!, s.olSeq[i]!, ora === NONE ? NONE : map[ora]!, s.orSeq[i]!, deleted, placeholder, null);
    if (!deleted) visible += len;
  }
  const content = s.content;
  const astralFree = !hasSurrogate(content);
  if ((astralFree ? content.length : codePointLength(content)) !== visible) fail('content length does not match the visible items');
  // Per agent: fragments sorted by sequence number must tile 0 … version-1 exactly.
  const agents = replica.agents;
  const agentCountAll = agents.length;
  const groups: number[][] = agents.map(() => []);
  for (let i = 0; i < n; i++) groups[items[i]!.agent]!.push(i);
  const order: Int32Array[] = [];
  const byAgent: Item[][] = [];
  for (let a = 0; a < agentCountAll; a++) {
    const tiled = tileBySeq(items, groups[a]!);
    if (tiled === null) throw new DecodeError(`Invalid text state: agent ${JSON.stringify(agents[a]!.name)} has gaps or overlaps`);
    order.push(tiled);
    const list = Array.from(tiled, (i) => items[i]!);
    byAgent.push(list);
    const last = list[list.length - 1];
    agents[a]!.version = last === undefined ? 0 : last.seq + last.len;
    if (agents[a]!.version > MAX_AGENT_CHARS) fail(`more than ${MAX_AGENT_CHARS} characters from one agent`);
  }
  for (const it of items) {
    if (it.olAgent !== NONE && it.olSeq >= agents[it.olAgent]!.version) fail('left origin refers to a missing character');
    if (it.orAgent !== NONE && it.orSeq >= agents[it.orAgent]!.version) fail('right origin refers to a missing character');
  }
  // Content: each agent's text in sequence order; deleted text (not stored) becomes filler.
  const unitStart = new Float64Array(n + 1);
  let unit = 0;
  for (let i = 0; i < n; i++) {
    const it = items[i]!;
    unitStart[i] = unit;
    if (!it.deleted) unit = astralFree ? unit + it.len : unitOffset(content, it.len, unit);
    unitStart[i + 1] = unit;
  }
  for (let a = 0; a < agentCountAll; a++) {
    const parts: string[] = [];
    for (const i of order[a]!) {
      const it = items[i]!;
      parts.push(it.deleted ? filler(it.len) : content.slice(unitStart[i]!, unitStart[i + 1]!));
    }
    agents[a]!.setContent(parts.join(''));
  }
  build(replica, items, byAgent);
  if (s.pending !== undefined) {
    try {
      applyOps(replica, toOps(replica, s.pending));
    } catch (cause) {
      throw new DecodeError('Invalid text state: bad pending operations', { cause });
    }
  }
}

/** Copies `source` into `target` (a fresh replica), items, content and waiting operations. */
export function copyReplica(target: Replica, source: Replica): void {
  for (const a of source.agents) target.agents[target.agentId(a.name)]!.copyContent(a);
  const map = source.agents.map((a) => target.agentIndex.get(a.name)!);
  const items: Item[] = [];
  const placeholder = target.list.leaves[0]!;
  for (const leaf of source.list.leaves) {
    for (const it of leaf.items) {
      items.push(
        new Item(map[it.agent]!, it.seq, it.len, it.olAgent === NONE ? NONE : map[it.olAgent]!, it.olSeq, it.orAgent === NONE ? NONE : map[it.orAgent]!, it.orSeq, it.deleted, placeholder, null),
      );
    }
  }
  build(target, items);
  if (source.pendingOps > 0) applyOps(target, toOps(target, pendingUpdate(source)));
}

/** Replaces `replica`'s (empty) item list with `items` in document order and indexes them per agent. */
function build(replica: Replica, items: Item[], sortedByAgent?: Item[][]): void {
  replica.list.build(items);
  let byAgent = sortedByAgent;
  if (byAgent === undefined) {
    byAgent = replica.agents.map(() => []);
    for (const it of items) byAgent[it.agent]!.push(it);
    byAgent = byAgent.map(sortBySeq);
  }
  for (let a = 0; a < byAgent.length; a++) replica.agents[a]!.indexFragments(byAgent[a]!);
}

/**
 * Indexes (into `items`) of one agent's items in sequence order, or null unless they tile
 * 0 … version-1 exactly (no gap, no overlap).
 */
function tileBySeq(items: Item[], group: number[]): Int32Array | null {
  const count = group.length;
  let maxEnd = 0;
  for (const i of group) maxEnd = Math.max(maxEnd, items[i]!.seq + items[i]!.len);
  const out = new Int32Array(count);
  if (maxEnd <= 8 * count + 65536) {
    // Dense: one slot per sequence number, no comparisons.
    const slots = new Int32Array(maxEnd + 1);
    for (const i of group) {
      const seq = items[i]!.seq;
      if (slots[seq] !== 0) return null;
      slots[seq] = i + 1;
    }
    let seq = 0;
    let k = 0;
    while (seq < maxEnd) {
      const j = slots[seq]!;
      if (j === 0 || k === count) return null;
      out[k++] = j - 1;
      seq += items[j - 1]!.len;
    }
    return k === count && seq === maxEnd ? out : null;
  }
  out.set(group);
  out.sort((x, y) => items[x]!.seq - items[y]!.seq);
  let expected = 0;
  for (const i of out) {
    if (items[i]!.seq !== expected) return null;
    expected += items[i]!.len;
  }
  return out;
}

/** `len` filler code points, standing for deleted text that is not stored. */
function filler(len: number): string {
  return len <= FILLER.length ? FILLER.slice(0, len) : '\0'.repeat(len);
}
const FILLER = '\0'.repeat(256);

/** Items of one agent (a valid replica's: they tile 0 … version-1) sorted by sequence number. */
function sortBySeq(list: Item[]): Item[] {
  let sorted = true;
  let maxEnd = 0;
  for (let i = 0; i < list.length; i++) {
    const it = list[i]!;
    if (i > 0 && it.seq < list[i - 1]!.seq) sorted = false;
    if (it.seq + it.len > maxEnd) maxEnd = it.seq + it.len;
  }
  if (sorted) return list;
  if (maxEnd <= 8 * list.length + 65536) {
    // Dense: one slot per sequence number, no comparisons.
    const slots = new Int32Array(maxEnd + 1);
    for (let i = 0; i < list.length; i++) slots[list[i]!.seq] = i + 1;
    const out: Item[] = [];
    for (let seq = 0; seq < maxEnd; ) {
      const j = slots[seq]!;
      if (j === 0) break;
      const it = list[j - 1]!;
      out.push(it);
      seq += it.len;
    }
    if (out.length === list.length) return out;
  }
  return list.slice().sort((x, y) => x.seq - y.seq);
}

function isIndex(value: number, count: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < count;
}
