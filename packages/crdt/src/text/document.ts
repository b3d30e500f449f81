import { assertNodeId, DecodeError, InvalidArgumentError, type Random, systemRandom } from '@lattice/core';
import { codePointLength, unitOffset } from './code-points.js';
import type { TextDelete, TextId, TextInsert, TextUpdate, TextVersion } from './types.js';
import { checkTextUpdate, checkTextVersion, describe, isCount, MAX_AGENT_CHARS } from './validation.js';

/** Most items a leaf holds before it splits in two. */
const LEAF_MAX = 64;
/** How full leaves are when a document is built from a snapshot. */
const LEAF_FILL = 48;
/** Leaves walked from the cursor before a position lookup uses the Fenwick tree instead. */
const NEAR_LEAVES = 8;
/** Agent index meaning "no origin" (document start for left, document end for right). */
const NONE = -1;

/**
 * A run of characters inserted by one agent with consecutive sequence numbers, all deleted or
 * all visible. Character k > 0 has left origin (agent, seq + k - 1); every character has right
 * origin (orAgent, orSeq).
 */
class Item {
  constructor(
    public agent: number,
    public seq: number,
    public len: number,
    public olAgent: number,
    public olSeq: number,
    public orAgent: number,
    public orSeq: number,
    public deleted: boolean,
    public leaf: Leaf,
    /** The fragment with the next sequence numbers of the same agent (split chain), if any. */
    public next: Item | null,
  ) {}
}

/** A chunk of the document's item list, with its number of visible code points cached. */
class Leaf {
  items: Item[] = [];
  visible = 0;
  index = 0;
}

/** An insert or delete waiting inside a replica for its causal dependencies. */
interface PendingInsert {
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
interface PendingDelete {
  readonly kind: 1;
  readonly agent: number;
  readonly seq: number;
  readonly len: number;
}
type PendingOp = PendingInsert | PendingDelete;
interface Waiting {
  /** Ready once the agent's version exceeds this sequence number. */
  readonly need: number;
  readonly op: PendingOp;
}

/** Per-agent state: version, id index, inserted content. */
class Agent {
  version = 0;
  /** Sequence number where each indexed run starts (ascending) and its first fragment. */
  runSeqs: number[] = [];
  runItems: Item[] = [];
  /** Fragment holding the highest sequence number. */
  last: Item | null = null;
  /** Every code point this agent inserted, in sequence order (deleted ones may be filler). */
  text = '';
  pieces: string[] = [];
  /** Sequence numbers of astral (two UTF-16 unit) code points, ascending; null when none. */
  astral: number[] | null = null;
  /** Operations waiting for this agent's version, sorted by `need` descending. */
  waiting: Waiting[] = [];
  constructor(readonly name: string) {}

  appendContent(content: string, len: number): void {
    if (content.length !== len) {
      const astral = (this.astral ??= []);
      let seq = this.version;
      for (let i = 0; i < content.length; i++, seq++) {
        const c = content.charCodeAt(i);
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < content.length && (content.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
          astral.push(seq);
          i++;
        }
      }
    }
    this.pieces.push(content);
    // Keep the piece list short: a long list of tiny strings costs more heap than the text.
    if (this.pieces.length >= 512) this.flatten();
  }

  private flatten(): void {
    this.text += this.pieces.join('');
    this.pieces = [];
  }

  /** Replaces the content with `text` (the agent's whole history, in sequence order). */
  setContent(text: string): void {
    this.text = text;
    this.pieces = [];
    this.astral = null;
    if (!SURROGATE.test(text)) return;
    const astral: number[] = [];
    for (let i = 0, seq = 0; i < text.length; i++, seq++) {
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        astral.push(seq);
        i++;
      }
    }
    this.astral = astral.length > 0 ? astral : null;
  }

  content(seq: number, len: number): string {
    if (this.pieces.length > 0) this.flatten();
    if (this.astral === null) return this.text.slice(seq, seq + len);
    return this.text.slice(this.unit(seq), this.unit(seq + len));
  }

  private unit(seq: number): number {
    const astral = this.astral!;
    let lo = 0;
    let hi = astral.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (astral[mid]! < seq) lo = mid + 1;
      else hi = mid;
    }
    return seq + lo;
  }
}

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

/** Options of {@link TextDocument} (and of the state decoders). */
export interface TextDocumentOptions {
  /**
   * This replica's agent id (a `NodeId`). Every replica that edits concurrently needs its own:
   * two live replicas with the same agent id break convergence. Default: a fresh random id
   * (`text-` and 16 base-36 digits from `random`), which is safe to edit under; pass the node id
   * instead where ids should be stable or readable.
   */
  agent?: string | undefined;
  /** Where the default agent id comes from (default `systemRandom`); ignored when `agent` is set. */
  random?: Random | undefined;
}

/** A random agent id: 16 base-36 digits (≈ 83 bits) make a collision among replicas negligible. */
function randomAgent(random: Random): string {
  let id = 'text-';
  for (let i = 0; i < 16; i++) id += random.int(36).toString(36);
  return id;
}

/** The agent id `options` ask for, checking them. */
function agentOf(options: unknown): string {
  if (options === undefined) return randomAgent(systemRandom);
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(`options must be an object like { agent: 'alice' } (or absent), got ${describe(options)}`);
  }
  const { agent, random } = options as TextDocumentOptions;
  if (agent !== undefined) {
    assertNodeId(agent, 'agent');
    return agent;
  }
  if (random === undefined) return randomAgent(systemRandom);
  if (typeof random !== 'object' || random === null || typeof random.int !== 'function') {
    throw new InvalidArgumentError(`random must be a Random (an object with an int() function), got ${describe(random)}`);
  }
  const id = randomAgent(random);
  assertNodeId(id, 'agent drawn from random');
  return id;
}

const NO_INSERTS: readonly TextInsert[] = Object.freeze([]);
const NO_DELETES: readonly TextDelete[] = Object.freeze([]);
const EMPTY_UPDATE: TextUpdate = Object.freeze({ inserts: NO_INSERTS, deletes: NO_DELETES });

/**
 * A replicated plain-text document: a sequence CRDT of the YATA family with Fugue-style
 * ("YjsMod") integration, run-length encoded items and a chunked position index.
 *
 * Positions and lengths count Unicode code points. Every local edit returns a small
 * {@link TextUpdate} (a delta) that other replicas apply in any order, any number of times;
 * `merge` joins two replicas' states; `fork` copies one.
 *
 * @example
 * ```ts
 * import { TextDocument } from '@lattice/crdt';
 *
 * const alice = new TextDocument({ agent: 'alice' });
 * alice.insert(0, 'hello world');
 * const bob = alice.fork('bob');
 * const delta = alice.insert(5, ',');       // "hello, world"
 * bob.delete(6, 5);                          // "hello "
 * bob.insert(6, 'there');                    // "hello there"
 * bob.applyUpdate(delta);
 * alice.merge(bob);
 * alice.toString() === bob.toString();       // true: "hello, there"
 * ```
 */
export class TextDocument {
  /** This replica's agent id. */
  readonly agent: string;
  private readonly agents: Agent[] = [];
  private readonly agentIndex = new Map<string, number>();
  private readonly me: number;
  private leaves: Leaf[] = [new Leaf()];
  private visibleLength = 0;
  private pendingOps = 0;
  /** Cursor cache: a leaf index and the visible position where that leaf starts. */
  private cacheLeaf = 0;
  private cacheStart = 0;
  /** Prefix sums of leaf counts for far jumps; null when a leaf split made it stale. */
  private fenwick: Float64Array | null = null;
  /** Results of `seek`. */
  private foundLeaf = 0;
  private foundItem = 0;
  private foundOffset = 0;

  /** Throws `InvalidArgumentError` on malformed options (a bad agent id, a non-object). */
  constructor(options?: TextDocumentOptions) {
    this.agent = agentOf(options);
    this.me = this.agentId(this.agent);
  }

  /** Number of visible code points. */
  get length(): number {
    return this.visibleLength;
  }

  /** Number of received operations still waiting for causal dependencies. */
  get pending(): number {
    return this.pendingOps;
  }

  /** The visible text. */
  toString(): string {
    const parts: string[] = [];
    for (const leaf of this.leaves) {
      if (leaf.visible === 0) continue;
      for (const item of leaf.items) {
        if (!item.deleted) parts.push(this.agents[item.agent]!.content(item.seq, item.len));
      }
    }
    return parts.join('');
  }

  /** The visible text as an array of code points. */
  toArray(): string[] {
    return Array.from(this.toString());
  }

  /** Per agent, how many characters this replica has seen. */
  version(): TextVersion {
    const out: Record<string, number> = {};
    for (const a of this.agents) if (a.version > 0) out[a.name] = a.version;
    return out;
  }

  /**
   * Inserts `text` so that its first code point lands at `position` (0 … length).
   * Returns the delta to send to other replicas.
   */
  insert(position: number, text: string): TextUpdate {
    this.checkPosition(position, this.visibleLength, 'position');
    if (typeof text !== 'string') throw new InvalidArgumentError(`text must be a string, got ${describe(text)}`);
    const len = codePointLength(text);
    if (len === 0) return EMPTY_UPDATE;
    const me = this.me;
    const agent = this.agents[me]!;
    const seq = agent.version;
    if (seq + len > MAX_AGENT_CHARS) throw new InvalidArgumentError(`an agent can insert at most ${MAX_AGENT_CHARS} characters`);
    let left: Item | null = null;
    let right: Item | null;
    // Where the new item goes: leaf `li`, index `ii`.
    let li = 0;
    let ii = 0;
    if (position > 0) {
      this.seek(position - 1);
      li = this.foundLeaf;
      ii = this.foundItem;
      let leaf = this.leaves[li]!;
      left = leaf.items[ii]!;
      if (this.foundOffset < left.len - 1) {
        this.splitItem(left, this.foundOffset + 1, li, ii);
        if (left.leaf !== leaf) {
          // The leaf overflowed and `left` moved to its new right half.
          leaf = left.leaf;
          li = leaf.index;
          ii = leaf.items.indexOf(left);
        }
      }
      ii++;
      right = leaf.items[ii] ?? this.leaves[li + 1]?.items[0] ?? null;
    } else right = this.firstItem();
    const update: TextInsert = {
      agent: this.agent,
      seq,
      length: len,
      left: left === null ? null : [this.agents[left.agent]!.name, left.seq + left.len - 1],
      right: right === null ? null : [this.agents[right.agent]!.name, right.seq],
      content: text,
    };
    if (
      left !== null &&
      left.agent === me &&
      left.seq + left.len === seq &&
      !left.deleted &&
      (right === null ? left.orAgent === NONE : left.orAgent === right.agent && left.orSeq === right.seq)
    ) {
      left.len += len;
      this.addVisible(left.leaf, len);
    } else {
      const item =
        left === null
          ? new Item(me, seq, len, NONE, 0, right === null ? NONE : right.agent, right === null ? 0 : right.seq, false, this.leaves[0]!, null)
          : new Item(me, seq, len, left.agent, left.seq + left.len - 1, right === null ? NONE : right.agent, right === null ? 0 : right.seq, false, left.leaf, null);
      // The leaf counts the item before insertAt, so a leaf split hands it on with the item.
      this.addVisible(item.leaf, len);
      this.insertAt(li, ii, item);
      this.indexRun(agent, item);
    }
    agent.appendContent(text, len);
    agent.version += len;
    // Operations under this replica's own agent id that were parked waiting for these sequence
    // numbers (only a second live replica with the same id sends those) apply now, as they will
    // when this state is encoded and loaded, so the replica and its copies stay equal.
    if (agent.waiting.length > 0) this.drain(this.released(agent, []));
    return { inserts: [update], deletes: NO_DELETES };
  }

  /** Deletes `count` code points starting at `position`. Returns the delta to send. */
  delete(position: number, count: number): TextUpdate {
    this.checkPosition(position, this.visibleLength, 'position');
    this.checkPosition(count, this.visibleLength - position, 'count');
    if (count === 0) return EMPTY_UPDATE;
    const deletes: TextDelete[] = [];
    let remaining = count;
    while (remaining > 0) {
      this.seek(position);
      let item = this.leaves[this.foundLeaf]!.items[this.foundItem]!;
      if (this.foundOffset > 0) {
        this.splitItem(item, this.foundOffset, this.foundLeaf, this.foundItem);
        item = item.next!;
      }
      if (item.len > remaining) this.splitItem(item, remaining, -1, -1);
      item.deleted = true;
      this.addVisible(item.leaf, -item.len);
      remaining -= item.len;
      pushDelete(deletes, this.agents[item.agent]!.name, item.seq, item.len);
      this.coalesce(item);
    }
    return { inserts: NO_INSERTS, deletes };
  }

  /** Deletes `deleteCount` code points at `position`, then inserts `text` there; returns one delta. */
  replace(position: number, deleteCount: number, text: string): TextUpdate {
    // Check everything first: a bad `text` must not leave the deletion done.
    this.checkPosition(position, this.visibleLength, 'position');
    this.checkPosition(deleteCount, this.visibleLength - position, 'deleteCount');
    if (typeof text !== 'string') throw new InvalidArgumentError(`text must be a string, got ${describe(text)}`);
    const removed = this.delete(position, deleteCount);
    const added = this.insert(position, text);
    if (removed.deletes.length === 0) return added;
    if (added.inserts.length === 0) return removed;
    return { inserts: added.inserts, deletes: removed.deletes };
  }

  /**
   * A copy of this replica that edits as `agent` (default: the same agent id, for a read-only
   * or hand-over copy; two copies must not both edit under one agent id).
   */
  fork(agent: string = this.agent): TextDocument {
    const doc = new TextDocument({ agent });
    doc.copyFrom(this);
    return doc;
  }

  /** Joins `other`'s state into this replica (`other` is not changed). */
  merge(other: TextDocument): void {
    if (!(other instanceof TextDocument)) throw new InvalidArgumentError(`merge needs a TextDocument, got ${describe(other)}`);
    if (other === this) return;
    const { runs, deletes } = other.missing(this.version());
    // Same process, trusted source: map agent indexes instead of going through names.
    const map = other.agents.map((a) => this.agentId(a.name));
    const queue: PendingOp[] = [];
    const at = (x: number) => (x === NONE ? NONE : map[x]!);
    for (const r of runs) {
      this.tryOp({ kind: 0, agent: map[r.agent]!, seq: r.seq, len: r.len, olAgent: at(r.olAgent), olSeq: r.olSeq, orAgent: at(r.orAgent), orSeq: r.orSeq, content: r.content }, queue);
    }
    for (const d of deletes) this.tryOp({ kind: 1, agent: map[d.agent]!, seq: d.seq, len: d.len }, queue);
    this.drain(queue);
    // Operations still waiting inside `other` are part of what it received: pass them on.
    if (other.pendingOps > 0) this.applyUpdate(other.pendingUpdate());
  }

  /**
   * The delta that brings a replica at `version` up to this one: every character it lacks
   * (deleted ones as tombstones, without content) and the whole delete set.
   */
  updateSince(version: TextVersion = {}): TextUpdate {
    const { runs, deletes } = this.missing(checkTextVersion(version));
    const inserts = runs.map(
      (r): TextInsert => ({
        agent: this.agents[r.agent]!.name,
        seq: r.seq,
        length: r.len,
        left: this.idOf(r.olAgent, r.olSeq),
        right: this.idOf(r.orAgent, r.orSeq),
        content: r.content,
      }),
    );
    return {
      inserts,
      deletes: deletes.map((d): TextDelete => ({ agent: this.agents[d.agent]!.name, seq: d.seq, length: d.len })),
    };
  }

  /**
   * What a replica at `version` lacks: runs (in an order where each follows its dependencies)
   * and the delete set below `version`, with this replica's agent indexes.
   */
  private missing(version: TextVersion): { runs: PendingInsert[]; deletes: PendingDelete[] } {
    const runs: PendingInsert[] = [];
    const deletes: PendingDelete[] = [];
    for (let index = 0; index < this.agents.length; index++) {
      const agent = this.agents[index]!;
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

  /**
   * Applies a delta from any replica. Duplicates and already-known parts are ignored; parts whose
   * causal dependencies have not arrived wait inside this replica (see {@link TextDocument.pending})
   * and are applied as soon as they do. Throws `InvalidArgumentError` (changing nothing) when the
   * update is malformed.
   */
  applyUpdate(update: TextUpdate): void {
    const ops = this.validate(update);
    const queue: PendingOp[] = [];
    for (const op of ops) this.tryOp(op, queue);
    this.drain(queue);
  }

  /** Applies `queue` and every parked operation that becomes ready on the way. */
  private drain(queue: PendingOp[]): void {
    while (queue.length > 0) {
      this.pendingOps--;
      this.tryOp(queue.pop()!, queue);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Snapshots (document order), used by the state codecs.

  /**
   * @internal The items in document order, column by column, in a canonical form: replicas
   * holding the same characters, tombstones and origins give equal snapshots (so equal
   * encodings), however their item lists happen to be cut. The agent table lists only agents
   * with characters, sorted by name, and fragments that continue each other with the same
   * deletedness are joined (how items are split depends on each replica's edit history and leaf
   * boundaries, not on the document).
   */
  toSnapshot(): TextSnapshot {
    const order: number[] = [];
    for (let a = 0; a < this.agents.length; a++) if (this.agents[a]!.version > 0) order.push(a);
    order.sort((x, y) => (this.agents[x]!.name < this.agents[y]!.name ? -1 : 1));
    const slot = new Int32Array(this.agents.length);
    order.forEach((a, i) => {
      slot[a] = i;
    });
    const s: TextSnapshot = { agents: order.map((a) => this.agents[a]!.name), agent: [], seq: [], len: [], olAgent: [], olSeq: [], orAgent: [], orSeq: [], deleted: [], content: '' };
    const parts: string[] = [];
    let previous: Item | null = null;
    for (const leaf of this.leaves) {
      for (const it of leaf.items) {
        if (!it.deleted) parts.push(this.agents[it.agent]!.content(it.seq, it.len));
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
    if (this.pendingOps > 0) s.pending = this.pendingUpdate();
    return s;
  }

  /**
   * @internal Builds a replica from a snapshot, validating it; throws `DecodeError` on an
   * inconsistent one.
   */
  static fromSnapshot(s: TextSnapshot<ArrayLike<number>, ArrayLike<number | boolean>>, options?: TextDocumentOptions): TextDocument {
    const doc = new TextDocument(options);
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
      map.push(doc.agentId(name));
    }
    const agentCount = s.agents.length;
    const items: Item[] = new Array(n);
    const placeholder = doc.leaves[0]!;
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
    const astralFree = !SURROGATE.test(content);
    if ((astralFree ? content.length : codePointLength(content)) !== visible) fail('content length does not match the visible items');
    // Per agent: fragments sorted by sequence number must tile 0 … version-1 exactly.
    const agentCountAll = doc.agents.length;
    const groups: number[][] = doc.agents.map(() => []);
    for (let i = 0; i < n; i++) groups[items[i]!.agent]!.push(i);
    const order: Int32Array[] = [];
    const byAgent: Item[][] = [];
    for (let a = 0; a < agentCountAll; a++) {
      const tiled = tileBySeq(items, groups[a]!);
      if (tiled === null) return fail(`agent ${JSON.stringify(doc.agents[a]!.name)} has gaps or overlaps`);
      order.push(tiled);
      const list = Array.from(tiled, (i) => items[i]!);
      byAgent.push(list);
      const last = list[list.length - 1];
      doc.agents[a]!.version = last === undefined ? 0 : last.seq + last.len;
      if (doc.agents[a]!.version > MAX_AGENT_CHARS) fail(`more than ${MAX_AGENT_CHARS} characters from one agent`);
    }
    for (const it of items) {
      if (it.olAgent !== NONE && it.olSeq >= doc.agents[it.olAgent]!.version) fail('left origin refers to a missing character');
      if (it.orAgent !== NONE && it.orSeq >= doc.agents[it.orAgent]!.version) fail('right origin refers to a missing character');
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
      doc.agents[a]!.setContent(parts.join(''));
    }
    doc.buildFrom(items, byAgent);
    if (s.pending !== undefined) {
      try {
        doc.applyUpdate(s.pending);
      } catch (cause) {
        throw new DecodeError('Invalid text state: bad pending operations', { cause });
      }
    }
    return doc;
  }

  // ---------------------------------------------------------------------------------------
  // Internals.

  private agentId(name: string): number {
    let id = this.agentIndex.get(name);
    if (id === undefined) {
      id = this.agents.length;
      this.agents.push(new Agent(name));
      this.agentIndex.set(name, id);
    }
    return id;
  }

  private idOf(agent: number, seq: number): TextId | null {
    return agent === NONE ? null : [this.agents[agent]!.name, seq];
  }

  private checkPosition(value: number, max: number, what: string): void {
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new InvalidArgumentError(`${what} must be an integer in 0…${max}, got ${describe(value)}`);
    }
  }

  private addVisible(leaf: Leaf, delta: number): void {
    leaf.visible += delta;
    this.visibleLength += delta;
    if (leaf.index < this.cacheLeaf) this.cacheStart += delta;
    const tree = this.fenwick;
    if (tree !== null) for (let i = leaf.index + 1; i < tree.length; i += i & -i) tree[i]! += delta;
  }

  /**
   * The Fenwick tree of the leaves' visible counts (1-based), rebuilt in O(leaves) after a leaf
   * split shifted the leaves, then kept current in O(log leaves) per change.
   */
  private prefixTree(): Float64Array {
    if (this.fenwick !== null) return this.fenwick;
    const n = this.leaves.length;
    const tree = new Float64Array(n + 1);
    for (let i = 1; i <= n; i++) {
      tree[i]! += this.leaves[i - 1]!.visible;
      const parent = i + (i & -i);
      if (parent <= n) tree[parent]! += tree[i]!;
    }
    this.fenwick = tree;
    return tree;
  }

  /** Finds the visible code point at `k` (0 ≤ k < length): sets foundLeaf/foundItem/foundOffset. */
  private seek(k: number): void {
    const leaves = this.leaves;
    let li = this.cacheLeaf;
    let start = this.cacheStart;
    // Near the cursor: walk a few leaves. Farther: descend the Fenwick tree of leaf counts.
    let steps = 0;
    while (k < start && steps < NEAR_LEAVES) {
      li--;
      start -= leaves[li]!.visible;
      steps++;
    }
    while (k >= start + leaves[li]!.visible && steps < NEAR_LEAVES) {
      start += leaves[li]!.visible;
      li++;
      steps++;
    }
    if (k < start || k >= start + leaves[li]!.visible) {
      const tree = this.prefixTree();
      let pos = 0;
      let rest = k;
      for (let step = highBit(leaves.length); step > 0; step >>= 1) {
        const next = pos + step;
        if (next <= leaves.length && tree[next]! <= rest) {
          pos = next;
          rest -= tree[next]!;
        }
      }
      li = pos;
      start = k - rest;
    }
    this.cacheLeaf = li;
    this.cacheStart = start;
    const items = leaves[li]!.items;
    let offset = k - start;
    for (let i = 0; ; i++) {
      const it = items[i]!;
      if (it.deleted) continue;
      if (offset < it.len) {
        this.foundLeaf = li;
        this.foundItem = i;
        this.foundOffset = offset;
        return;
      }
      offset -= it.len;
    }
  }

  private firstItem(): Item | null {
    return this.leaves[0]!.items[0] ?? null;
  }

  /** Inserts `item` at index `i` of leaf `li`, splitting the leaf when it overflows. */
  private insertAt(li: number, i: number, item: Item): void {
    const leaf = this.leaves[li]!;
    item.leaf = leaf;
    if (i === leaf.items.length) leaf.items.push(item);
    else leaf.items.splice(i, 0, item);
    if (leaf.items.length > LEAF_MAX) this.splitLeaf(li);
  }

  private splitLeaf(li: number): void {
    const leaf = this.leaves[li]!;
    const moved = leaf.items.splice(leaf.items.length >> 1);
    const fresh = new Leaf();
    fresh.items = moved;
    let visible = 0;
    for (const it of moved) {
      it.leaf = fresh;
      if (!it.deleted) visible += it.len;
    }
    fresh.visible = visible;
    leaf.visible -= visible;
    this.leaves.splice(li + 1, 0, fresh);
    this.fenwick = null;
    for (let j = li + 1; j < this.leaves.length; j++) this.leaves[j]!.index = j;
    if (this.cacheLeaf > li) this.cacheLeaf++;
  }

  /**
   * Splits `item` after `offset` code points; the tail becomes the next item (and the next
   * fragment of its chain). `li`/`i` locate the item when the caller knows them (else -1).
   */
  private splitItem(item: Item, offset: number, li: number, i: number): void {
    const tail = new Item(item.agent, item.seq + offset, item.len - offset, item.agent, item.seq + offset - 1, item.orAgent, item.orSeq, item.deleted, item.leaf, item.next);
    item.next = tail;
    item.len = offset;
    const agent = this.agents[item.agent]!;
    if (agent.last === item) agent.last = tail;
    if (li < 0) {
      li = item.leaf.index;
      i = item.leaf.items.indexOf(item);
    }
    this.insertAt(li, i + 1, tail);
  }

  /**
   * Merges a just-deleted item with deleted neighbours in the same leaf that it continues (or
   * that continue it), so runs of tombstones stay one item each.
   */
  private coalesce(item: Item): void {
    const items = item.leaf.items;
    let i = items.indexOf(item);
    const before = items[i - 1];
    if (before?.deleted && continues(before, item)) {
      this.absorb(before, item);
      items.splice(i, 1);
      item = before;
      i--;
    }
    const after = items[i + 1];
    if (after?.deleted && continues(item, after)) {
      this.absorb(item, after);
      items.splice(i + 1, 1);
    }
  }

  /** Appends fragment `tail` (the chain successor of `head`) to `head`. */
  private absorb(head: Item, tail: Item): void {
    head.len += tail.len;
    head.next = tail.next;
    const agent = this.agents[tail.agent]!;
    if (agent.last === tail) agent.last = head;
    // Every index entry whose run start lies inside `tail` points at `tail` (the fragment
    // holding it), and there can be several: an earlier absorb hands entries down to a fragment
    // that starts before them. All of them move to `head`, which now holds those starts.
    const seqs = agent.runSeqs;
    const end = tail.seq + tail.len;
    let lo = 0;
    let hi = seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seqs[mid]! < tail.seq) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < seqs.length && seqs[k]! < end; k++) agent.runItems[k] = head;
  }

  /** Records a freshly integrated run (the fragment with the agent's highest sequence numbers). */
  private indexRun(agent: Agent, item: Item): void {
    agent.runSeqs.push(item.seq);
    agent.runItems.push(item);
    if (agent.last !== null) agent.last.next = item;
    agent.last = item;
  }

  /** The fragment holding character (agent, seq); it must exist. */
  private findItem(agent: number, seq: number): Item {
    const a = this.agents[agent]!;
    const seqs = a.runSeqs;
    let lo = 0;
    let hi = seqs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (seqs[mid]! <= seq) lo = mid;
      else hi = mid - 1;
    }
    let item = a.runItems[lo]!;
    while (item.seq + item.len <= seq) item = item.next!;
    return item;
  }

  /** Compares the document positions of characters (agent a, seq sa) and (agent b, seq sb). */
  private compareChars(a: number, sa: number, b: number, sb: number): number {
    if (a === b && sa === sb) return 0;
    const x = this.findItem(a, sa);
    const y = this.findItem(b, sb);
    if (x === y) return sa - sb;
    if (x.leaf !== y.leaf) return x.leaf.index - y.leaf.index;
    return x.leaf.items.indexOf(x) - y.leaf.items.indexOf(y);
  }

  /** Integrates a causally ready remote run (the YjsMod ordering rule, see docs/crdt-text.md). */
  private integrate(op: PendingInsert): void {
    const { agent: a, seq, len, olAgent, olSeq } = op;
    let { orAgent, orSeq } = op;
    // Right origin first: splitting the item that holds it keeps the head (which may hold the
    // left origin) as it is, so `left` below stays the fragment ending at the left origin.
    let right: Item | null = null;
    if (orAgent !== NONE) {
      right = this.findItem(orAgent, orSeq);
      if (right.seq < orSeq) {
        this.splitItem(right, orSeq - right.seq, -1, -1);
        right = right.next!;
      }
    }
    let left: Item | null = null;
    if (olAgent !== NONE) {
      left = this.findItem(olAgent, olSeq);
      if (left.seq + left.len - 1 > olSeq) this.splitItem(left, olSeq - left.seq + 1, -1, -1);
    }
    // Walk the items between the origins to find the insertion point.
    const leaves = this.leaves;
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
    const myName = this.agents[a]!.name;
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
      else cmpLeft = this.compareChars(other.olAgent, other.olSeq, olAgent, olSeq);
      if (cmpLeft < 0) break;
      if (cmpLeft === 0) {
        let cmpRight: number;
        if (other.orAgent === orAgent && (orAgent === NONE || other.orSeq === orSeq)) cmpRight = 0;
        else if (other.orAgent === NONE) cmpRight = 1;
        else if (orAgent === NONE) cmpRight = -1;
        else cmpRight = this.compareChars(other.orAgent, other.orSeq, orAgent, orSeq);
        if (cmpRight < 0) scanning = true;
        else if (cmpRight === 0) {
          if (myName < this.agents[other.agent]!.name) break;
          scanning = false;
        } else scanning = false;
      }
      ii++;
      if (ii >= leaf.items.length && li + 1 < leaves.length) {
        li++;
        ii = 0;
      }
    }
    const agent = this.agents[a]!;
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
      if (!deleted) this.addVisible(previous.leaf, len);
    } else {
      const item = new Item(a, seq, len, olAgent, olSeq, orAgent, orSeq, deleted, leaves[destLeaf]!, null);
      if (!deleted) this.addVisible(item.leaf, len);
      this.insertAt(destLeaf, destItem, item);
      this.indexRun(agent, item);
    }
    agent.appendContent(op.content ?? '\0'.repeat(len), len);
    agent.version += len;
  }

  /** Marks (agent, seq … seq+len-1) deleted; all of it must exist. */
  private deleteRange(agent: number, seq: number, len: number): void {
    const end = seq + len;
    let item: Item | null = this.findItem(agent, seq);
    while (item !== null && item.seq < end) {
      if (!item.deleted) {
        if (item.seq < seq) {
          this.splitItem(item, seq - item.seq, -1, -1);
          item = item.next!;
        }
        if (item.seq + item.len > end) this.splitItem(item, end - item.seq, -1, -1);
        item.deleted = true;
        this.addVisible(item.leaf, -item.len);
        this.coalesce(item);
      }
      item = item.next;
    }
  }

  private tryOp(op: PendingOp, queue: PendingOp[]): void {
    const agent = this.agents[op.agent]!;
    if (op.kind === 1) {
      const knownEnd = Math.min(op.seq + op.len, agent.version);
      if (op.seq < knownEnd) this.deleteRange(op.agent, op.seq, knownEnd - op.seq);
      if (op.seq + op.len > knownEnd) {
        const start = Math.max(op.seq, knownEnd);
        this.wait(op.agent, start, { kind: 1, agent: op.agent, seq: start, len: op.seq + op.len - start });
      }
      return;
    }
    if (op.seq + op.len <= agent.version) return;
    if (op.seq > agent.version) {
      this.wait(op.agent, op.seq - 1, op);
      return;
    }
    if (op.olAgent !== NONE && op.olSeq >= this.agents[op.olAgent]!.version) {
      this.wait(op.olAgent, op.olSeq, op);
      return;
    }
    if (op.orAgent !== NONE && op.orSeq >= this.agents[op.orAgent]!.version) {
      this.wait(op.orAgent, op.orSeq, op);
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
    this.integrate(ready);
    this.released(agent, queue);
  }

  /** Moves `agent`'s parked operations that its version now satisfies onto `queue`. */
  private released(agent: Agent, queue: PendingOp[]): PendingOp[] {
    const waiting = agent.waiting;
    while (waiting.length > 0 && waiting[waiting.length - 1]!.need < agent.version) queue.push(waiting.pop()!.op);
    return queue;
  }

  /** Parks `op` until `agent`'s version exceeds `need`. */
  private wait(agent: number, need: number, op: PendingOp): void {
    const waiting = this.agents[agent]!.waiting;
    let lo = 0;
    let hi = waiting.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (waiting[mid]!.need > need) lo = mid + 1;
      else hi = mid;
    }
    waiting.splice(lo, 0, { need, op });
    this.pendingOps++;
  }

  /** Everything waiting inside this replica, as an update. */
  private pendingUpdate(): TextUpdate {
    const inserts: TextInsert[] = [];
    const deletes: TextDelete[] = [];
    for (const agent of this.agents) {
      for (const { op } of agent.waiting) {
        const name = this.agents[op.agent]!.name;
        if (op.kind === 1) deletes.push({ agent: name, seq: op.seq, length: op.len });
        else {
          inserts.push({
            agent: name,
            seq: op.seq,
            length: op.len,
            left: this.idOf(op.olAgent, op.olSeq),
            right: this.idOf(op.orAgent, op.orSeq),
            content: op.content,
          });
        }
      }
    }
    return { inserts, deletes };
  }

  /** Checks an update's shape and converts it to internal operations (registering agents). */
  private validate(update: TextUpdate): PendingOp[] {
    const checked = checkTextUpdate(update);
    // Every check passed: only now register the agents (nothing changes on a bad update).
    for (const ins of checked.inserts) {
      this.agentId(ins.agent);
      if (ins.left !== null) this.agentId(ins.left[0]);
      if (ins.right !== null) this.agentId(ins.right[0]);
    }
    for (const del of checked.deletes) this.agentId(del.agent);
    const ops: PendingOp[] = [];
    for (const i of checked.inserts) {
      ops.push({
        kind: 0,
        agent: this.agentIndex.get(i.agent)!,
        seq: i.seq,
        len: i.length,
        olAgent: i.left === null ? NONE : this.agentIndex.get(i.left[0])!,
        olSeq: i.left === null ? 0 : i.left[1],
        orAgent: i.right === null ? NONE : this.agentIndex.get(i.right[0])!,
        orSeq: i.right === null ? 0 : i.right[1],
        content: i.content,
      });
    }
    for (const d of checked.deletes) ops.push({ kind: 1, agent: this.agentIndex.get(d.agent)!, seq: d.seq, len: d.length });
    return ops;
  }


  /** Replaces this (empty) replica's items with `items` in document order and indexes them. */
  private buildFrom(items: Item[], sortedByAgent?: Item[][]): void {
    const leaves: Leaf[] = [];
    for (let i = 0; i < items.length || leaves.length === 0; i += LEAF_FILL) {
      const leaf = new Leaf();
      leaf.index = leaves.length;
      leaf.items = items.slice(i, i + LEAF_FILL);
      for (const it of leaf.items) {
        it.leaf = leaf;
        if (!it.deleted) leaf.visible += it.len;
      }
      this.visibleLength += leaf.visible;
      leaves.push(leaf);
    }
    this.leaves = leaves;
    this.fenwick = null;
    this.cacheLeaf = 0;
    this.cacheStart = 0;
    let byAgent = sortedByAgent;
    if (byAgent === undefined) {
      byAgent = this.agents.map(() => []);
      for (const it of items) byAgent[it.agent]!.push(it);
      byAgent = byAgent.map(sortBySeq);
    }
    for (let a = 0; a < byAgent.length; a++) {
      const list = byAgent[a]!;
      const agent = this.agents[a]!;
      agent.runSeqs = list.map((it) => it.seq);
      agent.runItems = list;
      for (let j = 0; j + 1 < list.length; j++) list[j]!.next = list[j + 1]!;
      agent.last = list[list.length - 1] ?? null;
    }
  }

  private copyFrom(source: TextDocument): void {
    for (const a of source.agents) {
      const copy = this.agents[this.agentId(a.name)]!;
      copy.version = a.version;
      copy.text = a.text + a.pieces.join('');
      copy.astral = a.astral === null ? null : a.astral.slice();
    }
    const map = source.agents.map((a) => this.agentIndex.get(a.name)!);
    const items: Item[] = [];
    const placeholder = this.leaves[0]!;
    for (const leaf of source.leaves) {
      for (const it of leaf.items) {
        items.push(
          new Item(map[it.agent]!, it.seq, it.len, it.olAgent === NONE ? NONE : map[it.olAgent]!, it.olSeq, it.orAgent === NONE ? NONE : map[it.orAgent]!, it.orSeq, it.deleted, placeholder, null),
        );
      }
    }
    this.buildFrom(items);
    if (source.pendingOps > 0) this.applyUpdate(source.pendingUpdate());
  }
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

/** True when `tail` is exactly the continuation of `head` (same agent, next seq, implied origins). */
function continues(head: Item, tail: Item): boolean {
  return (
    head.agent === tail.agent &&
    head.seq + head.len === tail.seq &&
    tail.olAgent === tail.agent &&
    tail.olSeq === tail.seq - 1 &&
    tail.orAgent === head.orAgent &&
    tail.orSeq === head.orSeq
  );
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

/** The highest power of two that is at most `n` (0 for 0). */
function highBit(n: number): number {
  let bit = 1;
  while (bit * 2 <= n) bit *= 2;
  return n === 0 ? 0 : bit;
}

/** Any UTF-16 surrogate: text without one has as many code points as units. */
const SURROGATE = /[\ud800-\udfff]/;

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

function pushDelete(deletes: TextDelete[], agent: string, seq: number, length: number): void {
  const previous = deletes[deletes.length - 1];
  if (previous !== undefined && previous.agent === agent && previous.seq + previous.length === seq) {
    deletes[deletes.length - 1] = { agent, seq: previous.seq, length: previous.length + length };
  } else deletes.push({ agent, seq, length });
}

function isIndex(value: number, count: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < count;
}
