import { assertNodeId, InvalidArgumentError, type Random, systemRandom } from '@lattice/core';
import { codePointLength } from './code-points.js';
import { applyOps, drain, type PendingOp, tryOp } from './integrate.js';
import { Item, NONE } from './item-list.js';
import { Replica } from './replica.js';
import { copyReplica, restoreSnapshot, type TextSnapshot, takeSnapshot } from './snapshot.js';
import type { TextAnchor, TextDelete, TextInsert, TextUpdate, TextVersion } from './types.js';
import { missing, pendingUpdate, toOps, updateSince } from './updates.js';
import { checkTextVersion, describe, MAX_AGENT_CHARS } from './validation.js';

export type { TextSnapshot } from './snapshot.js';

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
  readonly #replica = new Replica();
  readonly #me: number;

  /** Throws `InvalidArgumentError` on malformed options (a bad agent id, a non-object). */
  constructor(options?: TextDocumentOptions) {
    this.agent = agentOf(options);
    this.#me = this.#replica.agentId(this.agent);
  }

  /** Number of visible code points. */
  get length(): number {
    return this.#replica.list.visibleLength;
  }

  /** Number of received operations still waiting for causal dependencies. */
  get pending(): number {
    return this.#replica.pendingOps;
  }

  /** The visible text. */
  toString(): string {
    const agents = this.#replica.agents;
    const parts: string[] = [];
    for (const leaf of this.#replica.list.leaves) {
      if (leaf.visible === 0) continue;
      for (const item of leaf.items) {
        if (!item.deleted) parts.push(agents[item.agent]!.content(item.seq, item.len));
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
    for (const a of this.#replica.agents) if (a.version > 0) out[a.name] = a.version;
    return out;
  }

  /**
   * Inserts `text` so that its first code point lands at `position` (0 … length).
   * Returns the delta to send to other replicas.
   */
  insert(position: number, text: string): TextUpdate {
    const { agents, list } = this.#replica;
    checkPosition(position, list.visibleLength, 'position');
    if (typeof text !== 'string') throw new InvalidArgumentError(`text must be a string, got ${describe(text)}`);
    const len = codePointLength(text);
    if (len === 0) return EMPTY_UPDATE;
    const me = this.#me;
    const agent = agents[me]!;
    const seq = agent.version;
    if (seq + len > MAX_AGENT_CHARS) throw new InvalidArgumentError(`an agent can insert at most ${MAX_AGENT_CHARS} characters`);
    let left: Item | null = null;
    let right: Item | null;
    // Where the new item goes: leaf `li`, index `ii`.
    let li = 0;
    let ii = 0;
    if (position > 0) {
      list.seek(position - 1);
      li = list.foundLeaf;
      ii = list.foundItem;
      let leaf = list.leaves[li]!;
      left = leaf.items[ii]!;
      if (list.foundOffset < left.len - 1) {
        list.splitItem(left, list.foundOffset + 1, li, ii);
        if (left.leaf !== leaf) {
          // The leaf overflowed and `left` moved to its new right half.
          leaf = left.leaf;
          li = leaf.index;
          ii = leaf.items.indexOf(left);
        }
      }
      ii++;
      right = leaf.items[ii] ?? list.leaves[li + 1]?.items[0] ?? null;
    } else right = list.first();
    const update: TextInsert = {
      agent: this.agent,
      seq,
      length: len,
      left: left === null ? null : [agents[left.agent]!.name, left.seq + left.len - 1],
      right: right === null ? null : [agents[right.agent]!.name, right.seq],
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
      list.addVisible(left.leaf, len);
    } else {
      const item =
        left === null
          ? new Item(me, seq, len, NONE, 0, right === null ? NONE : right.agent, right === null ? 0 : right.seq, false, list.leaves[0]!, null)
          : new Item(me, seq, len, left.agent, left.seq + left.len - 1, right === null ? NONE : right.agent, right === null ? 0 : right.seq, false, left.leaf, null);
      // The leaf counts the item before insertAt, so a leaf split hands it on with the item.
      list.addVisible(item.leaf, len);
      list.insertAt(li, ii, item);
      agent.indexRun(item);
    }
    agent.appendContent(text, len);
    agent.version += len;
    // Operations under this replica's own agent id that were parked waiting for these sequence
    // numbers (only a second live replica with the same id sends those) apply now, as they will
    // when this state is encoded and loaded, so the replica and its copies stay equal.
    if (agent.waiting.length > 0) drain(this.#replica, agent.released([]));
    return { inserts: [update], deletes: NO_DELETES };
  }

  /** Deletes `count` code points starting at `position`. Returns the delta to send. */
  delete(position: number, count: number): TextUpdate {
    const { agents, list } = this.#replica;
    checkPosition(position, list.visibleLength, 'position');
    checkPosition(count, list.visibleLength - position, 'count');
    if (count === 0) return EMPTY_UPDATE;
    const deletes: TextDelete[] = [];
    let remaining = count;
    while (remaining > 0) {
      list.seek(position);
      let item = list.leaves[list.foundLeaf]!.items[list.foundItem]!;
      if (list.foundOffset > 0) {
        list.splitItem(item, list.foundOffset, list.foundLeaf, list.foundItem);
        item = item.next!;
      }
      if (item.len > remaining) list.splitItem(item, remaining, -1, -1);
      item.deleted = true;
      list.addVisible(item.leaf, -item.len);
      remaining -= item.len;
      pushDelete(deletes, agents[item.agent]!.name, item.seq, item.len);
      list.coalesce(item);
    }
    return { inserts: NO_INSERTS, deletes };
  }

  /** Deletes `deleteCount` code points at `position`, then inserts `text` there; returns one delta. */
  replace(position: number, deleteCount: number, text: string): TextUpdate {
    // Check everything first: a bad `text` must not leave the deletion done.
    const length = this.#replica.list.visibleLength;
    checkPosition(position, length, 'position');
    checkPosition(deleteCount, length - position, 'deleteCount');
    if (typeof text !== 'string') throw new InvalidArgumentError(`text must be a string, got ${describe(text)}`);
    const removed = this.delete(position, deleteCount);
    const added = this.insert(position, text);
    if (removed.deletes.length === 0) return added;
    if (added.inserts.length === 0) return removed;
    return { inserts: added.inserts, deletes: removed.deletes };
  }

  /**
   * A cursor position that stays between the same characters while anyone edits (Yjs calls
   * it a relative position): the id of the character just left of `position`, or `null` for
   * the document start. Send it to other replicas as is (it is plain data) and turn it back into
   * a position with {@link TextDocument.positionOf} on any replica, now or after more edits.
   */
  anchorAt(position: number): TextAnchor {
    const { agents, list } = this.#replica;
    checkPosition(position, list.visibleLength, 'position');
    if (position === 0) return null;
    list.seek(position - 1);
    const item = list.leaves[list.foundLeaf]!.items[list.foundItem]!;
    return [agents[item.agent]!.name, item.seq + list.foundOffset];
  }

  /**
   * Where `anchor` is in this replica now (0 … length): just after its character, or, when that
   * character has been deleted, where it was (before the next visible character). `undefined`
   * when this replica has not received the character yet. Throws `InvalidArgumentError` on
   * something that is not an anchor.
   */
  positionOf(anchor: TextAnchor): number | undefined {
    if (anchor === null) return 0;
    if (!Array.isArray(anchor) || anchor.length !== 2 || typeof anchor[0] !== 'string' || !Number.isInteger(anchor[1]) || anchor[1] < 0) {
      throw new InvalidArgumentError(`an anchor is null or [agent, seq] with a non-negative integer seq, got ${describe(anchor)}`);
    }
    const [name, seq] = anchor;
    const index = this.#replica.agentIndex.get(name);
    if (index === undefined) return undefined;
    const agent = this.#replica.agents[index]!;
    if (seq >= agent.version) return undefined;
    const item = agent.find(seq);
    const before = this.#replica.list.visibleBefore(item);
    return item.deleted ? before : before + (seq - item.seq) + 1;
  }

  /**
   * A copy of this replica that edits as `agent` (default: the same agent id, for a read-only
   * or hand-over copy; two copies must not both edit under one agent id).
   */
  fork(agent: string = this.agent): TextDocument {
    const doc = new TextDocument({ agent });
    copyReplica(doc.#replica, this.#replica);
    return doc;
  }

  /** Joins `other`'s state into this replica (`other` is not changed). */
  merge(other: TextDocument): void {
    if (!(other instanceof TextDocument)) throw new InvalidArgumentError(`merge needs a TextDocument, got ${describe(other)}`);
    if (other === this) return;
    const mine = this.#replica;
    const theirs = other.#replica;
    const { runs, deletes } = missing(theirs, this.version());
    // Same process, trusted source: map agent indexes instead of going through names.
    const map = theirs.agents.map((a) => mine.agentId(a.name));
    const queue: PendingOp[] = [];
    const at = (x: number) => (x === NONE ? NONE : map[x]!);
    for (const r of runs) {
      tryOp(mine, { kind: 0, agent: map[r.agent]!, seq: r.seq, len: r.len, olAgent: at(r.olAgent), olSeq: r.olSeq, orAgent: at(r.orAgent), orSeq: r.orSeq, content: r.content }, queue);
    }
    for (const d of deletes) tryOp(mine, { kind: 1, agent: map[d.agent]!, seq: d.seq, len: d.len }, queue);
    drain(mine, queue);
    // Operations still waiting inside `other` are part of what it received: pass them on.
    if (theirs.pendingOps > 0) this.applyUpdate(pendingUpdate(theirs));
  }

  /**
   * The delta that brings a replica at `version` up to this one: every character it lacks
   * (deleted ones as tombstones, without content) and the whole delete set.
   */
  updateSince(version: TextVersion = {}): TextUpdate {
    return updateSince(this.#replica, checkTextVersion(version));
  }

  /**
   * Applies a delta from any replica. Duplicates and already-known parts are ignored; parts whose
   * causal dependencies have not arrived wait inside this replica (see {@link TextDocument.pending})
   * and are applied as soon as they do. Throws `InvalidArgumentError` (changing nothing) when the
   * update is malformed.
   */
  applyUpdate(update: TextUpdate): void {
    applyOps(this.#replica, toOps(this.#replica, update));
  }

  /**
   * @internal The items in document order, column by column, in a canonical form (equal for
   * replicas holding the same characters, however their item lists are cut); see `snapshot.ts`.
   */
  toSnapshot(): TextSnapshot {
    return takeSnapshot(this.#replica);
  }

  /**
   * @internal Builds a replica from a snapshot, validating it; throws `DecodeError` on an
   * inconsistent one.
   */
  static fromSnapshot(s: TextSnapshot<ArrayLike<number>, ArrayLike<number | boolean>>, options?: TextDocumentOptions): TextDocument {
    const doc = new TextDocument(options);
    restoreSnapshot(doc.#replica, s);
    return doc;
  }
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

function checkPosition(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new InvalidArgumentError(`${what} must be an integer in 0…${max}, got ${describe(value)}`);
  }
}

const NO_INSERTS: readonly TextInsert[] = Object.freeze([]);
const NO_DELETES: readonly TextDelete[] = Object.freeze([]);
const EMPTY_UPDATE: TextUpdate = Object.freeze({ inserts: NO_INSERTS, deletes: NO_DELETES });

function pushDelete(deletes: TextDelete[], agent: string, seq: number, length: number): void {
  const previous = deletes[deletes.length - 1];
  if (previous !== undefined && previous.agent === agent && previous.seq + previous.length === seq) {
    deletes[deletes.length - 1] = { agent, seq: previous.seq, length: previous.length + length };
  } else deletes.push({ agent, seq, length });
}
