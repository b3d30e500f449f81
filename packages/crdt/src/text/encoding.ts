import { ByteReader, ByteWriter, type Codec, DecodeError, InvalidArgumentError, isLatticeError, UnsupportedVersionError } from '@lattice/core';
import { codePointLength } from './code-points.js';
import { type TextDocumentOptions, TextDocument, type TextSnapshot } from './document.js';
import type { TextDelete, TextId, TextInsert, TextUpdate } from './types.js';
import { checkTextUpdate, describe } from './validation.js';

/** The binary and JSON format version this build writes and the newest it reads. */
export const TEXT_FORMAT_VERSION = 1;

const MAGIC = [0x4c, 0x54, 0x58] as const; // "LTX"
const KIND_STATE = 1;
const KIND_UPDATE = 2;
const NONE = -1;

function checkDocument(doc: unknown): TextDocument {
  if (!(doc instanceof TextDocument)) throw new InvalidArgumentError(`expected a TextDocument, got ${describe(doc)}`);
  return doc;
}

/** A decoded update that is not a valid {@link TextUpdate} (a bad agent id, an impossible origin) is malformed input. */
function checkDecoded(update: TextUpdate, what: string): TextUpdate {
  try {
    return checkTextUpdate(update);
  } catch (cause) {
    if (!isLatticeError(cause, InvalidArgumentError.code)) throw cause;
    throw new DecodeError(`Invalid ${what}: ${(cause as Error).message}`, { cause });
  }
}

/** JSON form of a {@link TextUpdate}. */
export interface TextUpdateJSON {
  format: 'lattice-text-update';
  version: number;
  inserts: TextInsert[];
  deletes: TextDelete[];
}

/**
 * JSON form of a whole {@link TextDocument} state: agents, items in document order as
 * `[agent, seq, length, leftAgent, leftSeq, rightAgent, rightSeq, deleted]` (agent indexes,
 * -1 for "none"), and the visible text.
 */
export interface TextDocumentJSON {
  format: 'lattice-text-state';
  version: number;
  agents: string[];
  items: [number, number, number, number, number, number, number, 0 | 1][];
  content: string;
  pending?: TextUpdateJSON;
}

/**
 * Encodes a replica's whole state in the compact binary format: items in document order,
 * column by column (run-length and delta encoded varints), then the visible text as UTF-8.
 * Deleted text is not kept, only the tombstones' positions.
 *
 * @example
 * ```ts
 * const bytes = encodeTextDocument(doc);
 * const copy = decodeTextDocument(bytes, { agent: 'reader' });
 * copy.toString() === doc.toString(); // true
 * ```
 */
export function encodeTextDocument(doc: TextDocument): Uint8Array {
  const s = checkDocument(doc).toSnapshot();
  const w = new ByteWriter(1024 + s.content.length * 2);
  header(w, KIND_STATE);
  w.uint(s.agents.length);
  for (const name of s.agents) w.string(name);
  const n = s.agent.length;
  w.uint(n);
  // Where each item starts and ends, per agent, to turn origins into item distances.
  const firstAt = s.agents.map(() => new Map<number, number>());
  for (let i = 0; i < n; i++) firstAt[s.agent[i]!]!.set(s.seq[i]!, i);
  const lastAt = s.agents.map(() => new Map<number, number>());
  const heads = new ByteWriter();
  const agents = new RleWriter();
  const seqs = new ByteWriter();
  const refs = new ByteWriter();
  const maxEnd = new Array<number>(s.agents.length).fill(0);
  for (let i = 0; i < n; i++) {
    const a = s.agent[i]!;
    const seq = s.seq[i]!;
    const len = s.len[i]!;
    const deleted = s.deleted[i] ? 2 : 0;
    const p = i - 1;
    if (p >= 0 && s.agent[p] === a && s.seq[p]! + s.len[p]! === seq && s.olAgent[i] === a && s.olSeq[i] === seq - 1 && s.orAgent[i] === s.orAgent[p] && s.orSeq[i] === s.orSeq[p]) {
      heads.uint((len - 1) * 4 + deleted + 1);
    } else {
      agents.add(a);
      const ola = s.olAgent[i]!;
      const ols = s.olSeq[i]!;
      let olKind = 0;
      if (ola !== NONE) {
        const j = lastAt[ola]!.get(ols);
        if (j === p) olKind = 1;
        else if (j !== undefined) {
          olKind = 2;
          refs.uint(i - j - 2);
        } else {
          olKind = 3;
          refs.uint(ola);
          refs.uint(ols);
        }
      }
      const ora = s.orAgent[i]!;
      const ors = s.orSeq[i]!;
      let orKind = 0;
      if (ora !== NONE) {
        const j = firstAt[ora]!.get(ors);
        if (j === i + 1) orKind = 1;
        else if (j !== undefined && j > i) {
          orKind = 2;
          refs.uint(j - i - 2);
        } else {
          orKind = 3;
          refs.uint(ora);
          refs.uint(ors);
        }
      }
      seqs.int(seq - (ola === a ? ols + 1 : maxEnd[a]!));
      heads.uint((len - 1) * 64 + orKind * 16 + olKind * 4 + deleted);
    }
    lastAt[a]!.set(seq + len - 1, i);
    if (seq + len > maxEnd[a]!) maxEnd[a] = seq + len;
  }
  w.bytes(heads.finish());
  w.bytes(agents.finish());
  w.bytes(seqs.finish());
  w.bytes(refs.finish());
  w.string(s.content);
  if (s.pending === undefined) w.byte(0);
  else {
    w.byte(1);
    w.bytes(encodeTextUpdate(s.pending));
  }
  return w.finish();
}

/**
 * Decodes {@link encodeTextDocument} bytes into a new replica editing as `options.agent` (without
 * one, under a fresh random agent id, as `new TextDocument()` does). Throws `DecodeError` on
 * malformed input, `UnsupportedVersionError` on a newer format and `InvalidArgumentError`
 * on bad options.
 *
 * @example
 * ```ts
 * const doc = decodeTextDocument(await readFile('notes.ltx'), { agent: myNodeId });
 * console.log(decodeTextDocument(bytes).toString()); // just reading
 * ```
 */
export function decodeTextDocument(bytes: Uint8Array, options?: TextDocumentOptions): TextDocument {
  const r = new ByteReader(bytes, 'text document');
  readHeader(r, KIND_STATE);
  const agentCount = bounded(r, bytes.length, 'agent count');
  const agents: string[] = [];
  for (let i = 0; i < agentCount; i++) agents.push(r.string());
  const n = bounded(r, bytes.length, 'item count');
  const heads = new ByteReader(r.bytes(), 'text document head column');
  const agentCol = new RleReader(r.bytes(), 'text document agent column');
  const seqCol = new ByteReader(r.bytes(), 'text document seq column');
  const refs = new ByteReader(r.bytes(), 'text document origin column');
  const content = r.string();
  const col = () => new Float64Array(n);
  const s: TextSnapshot<Float64Array, Uint8Array> = { agents, agent: col(), seq: col(), len: col(), olAgent: col(), olSeq: col(), orAgent: col(), orSeq: col(), deleted: new Uint8Array(n), content };
  /** Per item: -1 explicit/none, -2 copy the previous item's right origin, else index of the item whose first char it is. */
  const orTarget = new Float64Array(n);
  const maxEnd = new Array<number>(agentCount).fill(0);
  for (let i = 0; i < n; i++) {
    const head = heads.uint();
    let a: number;
    let seq: number;
    let len: number;
    let deleted: boolean;
    let ola = NONE;
    let ols = 0;
    let ora = NONE;
    let ors = 0;
    let target = -1;
    const p = i - 1;
    if (head % 2 === 1) {
      if (p < 0) heads.fail('first item cannot continue a previous one');
      len = Math.floor(head / 4) + 1;
      deleted = (head & 2) !== 0;
      a = s.agent[p]!;
      seq = s.seq[p]! + s.len[p]!;
      ola = a;
      ols = seq - 1;
      target = -2;
    } else {
      len = Math.floor(head / 64) + 1;
      deleted = (head & 2) !== 0;
      const olKind = (head >> 2) & 3;
      const orKind = (head >> 4) & 3;
      a = agentCol.next();
      if (a >= agentCount) agentCol.fail(`agent index ${a} out of range`);
      if (olKind === 1 || olKind === 2) {
        const j = olKind === 1 ? p : p - 1 - refs.uint();
        if (j < 0) refs.fail('left origin before the first item');
        ola = s.agent[j]!;
        ols = s.seq[j]! + s.len[j]! - 1;
      } else if (olKind === 3) {
        ola = bounded(refs, agentCount - 1, 'agent index');
        ols = refs.uint();
      }
      if (orKind === 1) target = i + 1;
      else if (orKind === 2) target = i + 2 + refs.uint();
      else if (orKind === 3) {
        ora = bounded(refs, agentCount - 1, 'agent index');
        ors = refs.uint();
      }
      if (target >= n) refs.fail('right origin after the last item');
      seq = seqCol.int() + (ola === a ? ols + 1 : maxEnd[a]!);
      if (seq < 0 || !Number.isSafeInteger(seq)) seqCol.fail('negative sequence number');
    }
    if (seq + len > maxEnd[a]!) maxEnd[a] = seq + len;
    s.agent[i] = a;
    s.seq[i] = seq;
    s.len[i] = len;
    s.olAgent[i] = ola;
    s.olSeq[i] = ols;
    s.orAgent[i] = ora;
    s.orSeq[i] = ors;
    s.deleted[i] = deleted ? 1 : 0;
    orTarget[i] = target;
  }
  for (let i = 0; i < n; i++) {
    const target = orTarget[i]!;
    if (target === -2) {
      s.orAgent[i] = s.orAgent[i - 1]!;
      s.orSeq[i] = s.orSeq[i - 1]!;
    } else if (target >= 0) {
      s.orAgent[i] = s.agent[target]!;
      s.orSeq[i] = s.seq[target]!;
    }
  }
  if (!heads.done || !agentCol.done || !seqCol.done || !refs.done) r.fail('columns have trailing bytes');
  const hasPending = r.byte();
  if (hasPending > 1) r.fail('bad pending flag');
  if (hasPending === 1) s.pending = decodeTextUpdate(r.bytes());
  if (!r.done) r.fail('trailing bytes');
  return TextDocument.fromSnapshot(s, options);
}

/**
 * A replica's whole state as JSON (see {@link TextDocumentJSON}).
 *
 * @example
 * ```ts
 * const text = JSON.stringify(textDocumentToJSON(doc));
 * const copy = textDocumentFromJSON(JSON.parse(text), { agent: 'copy' });
 * ```
 */
export function textDocumentToJSON(doc: TextDocument): TextDocumentJSON {
  const s = checkDocument(doc).toSnapshot();
  const items: TextDocumentJSON['items'] = [];
  for (let i = 0; i < s.agent.length; i++) {
    items.push([s.agent[i]!, s.seq[i]!, s.len[i]!, s.olAgent[i]!, s.olSeq[i]!, s.orAgent[i]!, s.orSeq[i]!, s.deleted[i] ? 1 : 0]);
  }
  const json: TextDocumentJSON = { format: 'lattice-text-state', version: TEXT_FORMAT_VERSION, agents: s.agents, items, content: s.content };
  if (s.pending !== undefined) json.pending = textUpdateToJSON(s.pending);
  return json;
}

/**
 * Builds a replica from {@link textDocumentToJSON} output (parsed JSON), editing as
 * `options.agent` (default: a fresh random agent id). Throws `DecodeError` on a malformed value,
 * `UnsupportedVersionError` on a newer format version and `InvalidArgumentError` on bad
 * options.
 *
 * @example
 * ```ts
 * const doc = textDocumentFromJSON(JSON.parse(saved), { agent: 'reader' });
 * ```
 */
export function textDocumentFromJSON(json: unknown, options?: TextDocumentOptions): TextDocument {
  const j = checkEnvelope(json, 'lattice-text-state') as Partial<TextDocumentJSON>;
  if (!Array.isArray(j.agents) || !j.agents.every((a) => typeof a === 'string')) throw new DecodeError('Invalid text state JSON: agents');
  if (!Array.isArray(j.items) || typeof j.content !== 'string') throw new DecodeError('Invalid text state JSON: items/content');
  const s: TextSnapshot = { agents: j.agents, agent: [], seq: [], len: [], olAgent: [], olSeq: [], orAgent: [], orSeq: [], deleted: [], content: j.content };
  for (const item of j.items as unknown[]) {
    if (!Array.isArray(item) || item.length !== 8 || !item.every((x) => Number.isSafeInteger(x))) throw new DecodeError('Invalid text state JSON: item');
    const [a, seq, len, ola, ols, ora, ors, del] = item as number[];
    s.agent.push(a!);
    s.seq.push(seq!);
    s.len.push(len!);
    s.olAgent.push(ola!);
    s.olSeq.push(ols!);
    s.orAgent.push(ora!);
    s.orSeq.push(ors!);
    if (del !== 0 && del !== 1) throw new DecodeError('Invalid text state JSON: deleted flag');
    s.deleted.push(del === 1);
  }
  if (j.pending !== undefined) s.pending = textUpdateFromJSON(j.pending);
  return TextDocument.fromSnapshot(s, options);
}

/**
 * Encodes an update (delta) in the compact binary format. Throws `InvalidArgumentError` when
 * `update` is not a well-formed {@link TextUpdate}.
 *
 * @example
 * ```ts
 * const bytes = encodeTextUpdate(alice.insert(0, 'hi'));
 * bob.applyUpdate(decodeTextUpdate(bytes));
 * ```
 */
export function encodeTextUpdate(update: TextUpdate): Uint8Array {
  update = checkTextUpdate(update);
  const w = new ByteWriter();
  header(w, KIND_UPDATE);
  const names = new Map<string, number>();
  const agentOf = (name: string): number => {
    let id = names.get(name);
    if (id === undefined) names.set(name, (id = names.size));
    return id;
  };
  for (const ins of update.inserts) {
    agentOf(ins.agent);
    if (ins.left) agentOf(ins.left[0]);
    if (ins.right) agentOf(ins.right[0]);
  }
  for (const del of update.deletes) agentOf(del.agent);
  w.uint(names.size);
  for (const name of names.keys()) w.string(name);
  w.uint(update.inserts.length);
  const contents: string[] = [];
  for (const ins of update.inserts) {
    const a = agentOf(ins.agent);
    let flags = ins.content === null ? 0 : 1;
    if (ins.left !== null) flags |= ins.left[0] === ins.agent && ins.left[1] === ins.seq - 1 ? 2 : 4;
    if (ins.right !== null) flags |= 8;
    w.byte(flags);
    w.uint(a);
    w.uint(ins.seq);
    w.uint(ins.length - 1);
    if (flags & 4) {
      w.uint(agentOf(ins.left![0]));
      w.uint(ins.left![1]);
    }
    if (flags & 8) {
      w.uint(agentOf(ins.right![0]));
      w.uint(ins.right![1]);
    }
    if (ins.content !== null) contents.push(ins.content);
  }
  w.string(contents.join(''));
  w.uint(update.deletes.length);
  for (const del of update.deletes) {
    w.uint(agentOf(del.agent));
    w.uint(del.seq);
    w.uint(del.length - 1);
  }
  return w.finish();
}

/**
 * Decodes {@link encodeTextUpdate} bytes. Throws `DecodeError` on malformed input and
 * `UnsupportedVersionError` on a newer format; decoding never touches a replica.
 *
 * @example
 * ```ts
 * endpoint.onMessage((m) => doc.applyUpdate(decodeTextUpdate(m.payload)));
 * ```
 */
export function decodeTextUpdate(bytes: Uint8Array): TextUpdate {
  const r = new ByteReader(bytes, 'text update');
  readHeader(r, KIND_UPDATE);
  const agentCount = bounded(r, bytes.length, 'agent count');
  const names: string[] = [];
  for (let i = 0; i < agentCount; i++) names.push(r.string());
  const name = (): string => names[bounded(r, agentCount - 1, 'agent index')]!;
  const count = bounded(r, bytes.length, 'insert count');
  const heads: { agent: string; seq: number; length: number; left: TextId | null; right: TextId | null; hasContent: boolean }[] = [];
  for (let i = 0; i < count; i++) {
    const flags = r.byte();
    if (flags > 15 || (flags & 6) === 6) r.fail('bad insert flags');
    const agent = name();
    const seq = r.uint();
    const length = r.uint() + 1;
    let left: TextId | null = null;
    if (flags & 2) {
      if (seq === 0) r.fail('left origin before the first character');
      left = [agent, seq - 1];
    } else if (flags & 4) left = [name(), r.uint()];
    const right: TextId | null = flags & 8 ? [name(), r.uint()] : null;
    heads.push({ agent, seq, length, left, right, hasContent: (flags & 1) === 1 });
  }
  const text = r.string();
  const inserts: TextInsert[] = [];
  let unit = 0;
  for (const h of heads) {
    let content: string | null = null;
    if (h.hasContent) {
      const start = unit;
      for (let k = 0; k < h.length; k++) {
        if (unit >= text.length) r.fail('insert content shorter than its length');
        const c = text.charCodeAt(unit);
        unit += c >= 0xd800 && c <= 0xdbff && unit + 1 < text.length && (text.charCodeAt(unit + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
      }
      content = text.slice(start, unit);
    }
    inserts.push({ agent: h.agent, seq: h.seq, length: h.length, left: h.left, right: h.right, content });
  }
  if (unit !== text.length) r.fail('insert content longer than the inserts');
  const deleteCount = bounded(r, bytes.length, 'delete count');
  const deletes: TextDelete[] = [];
  for (let i = 0; i < deleteCount; i++) deletes.push({ agent: name(), seq: r.uint(), length: r.uint() + 1 });
  if (!r.done) r.fail('trailing bytes');
  return checkDecoded({ inserts, deletes }, 'text update');
}

/**
 * An update as JSON (see {@link TextUpdateJSON}).
 *
 * @example
 * ```ts
 * socket.send(JSON.stringify(textUpdateToJSON(doc.insert(0, 'hi'))));
 * ```
 */
export function textUpdateToJSON(update: TextUpdate): TextUpdateJSON {
  update = checkTextUpdate(update);
  return {
    format: 'lattice-text-update',
    version: TEXT_FORMAT_VERSION,
    inserts: update.inserts.map((i) => ({ ...i })),
    deletes: update.deletes.map((d) => ({ ...d })),
  };
}

/**
 * Reads {@link textUpdateToJSON} output (parsed JSON), checking its shape. Throws `DecodeError`
 * on a malformed value and `UnsupportedVersionError` on a newer format version.
 *
 * @example
 * ```ts
 * socket.onmessage = (e) => doc.applyUpdate(textUpdateFromJSON(JSON.parse(e.data)));
 * ```
 */
export function textUpdateFromJSON(json: unknown): TextUpdate {
  const j = checkEnvelope(json, 'lattice-text-update') as Partial<TextUpdateJSON>;
  if (!Array.isArray(j.inserts) || !Array.isArray(j.deletes)) throw new DecodeError('Invalid text update JSON: inserts/deletes');
  const bad = (why: string): never => {
    throw new DecodeError(`Invalid text update JSON: ${why}`);
  };
  const id = (value: unknown): TextId | null => {
    if (value === null) return null;
    if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string' || !isCount(value[1])) return bad('character id');
    return [value[0], value[1]];
  };
  const inserts = (j.inserts as unknown[]).map((value): TextInsert => {
    const i = value as Record<string, unknown>;
    if (typeof i !== 'object' || i === null || typeof i.agent !== 'string' || !isCount(i.seq) || !isCount(i.length) || i.length === 0) return bad('insert');
    if (!(i.content === null || (typeof i.content === 'string' && codePointLength(i.content) === i.length))) return bad('insert content');
    return { agent: i.agent, seq: i.seq, length: i.length, left: id(i.left ?? null), right: id(i.right ?? null), content: i.content };
  });
  const deletes = (j.deletes as unknown[]).map((value): TextDelete => {
    const d = value as Record<string, unknown>;
    if (typeof d !== 'object' || d === null || typeof d.agent !== 'string' || !isCount(d.seq) || !isCount(d.length) || d.length === 0) return bad('delete');
    return { agent: d.agent, seq: d.seq, length: d.length };
  });
  return checkDecoded({ inserts, deletes }, 'text update JSON');
}

/**
 * A `Codec<TextUpdate>` (from `@lattice/core`) over the binary update format, for sending
 * deltas through a `Transport`.
 *
 * @example
 * ```ts
 * await endpoint.send(peer, textUpdateCodec.encode(doc.insert(0, 'hi')));
 * ```
 */
export const textUpdateCodec: Codec<TextUpdate> = Object.freeze({ encode: encodeTextUpdate, decode: decodeTextUpdate });

/**
 * Joins updates into one that has the same effect as applying all of them (in any order):
 * inserts are de-duplicated per agent and sequence number, deletes are unioned. Like states,
 * the join is commutative, associative and idempotent (up to how runs are cut). Throws
 * `InvalidArgumentError` when an argument is not a well-formed {@link TextUpdate}.
 *
 * @example
 * ```ts
 * const batch = mergeTextUpdates(doc.insert(0, 'a'), doc.insert(1, 'b'), doc.delete(0, 1));
 * other.applyUpdate(batch);
 * ```
 */
export function mergeTextUpdates(...updates: TextUpdate[]): TextUpdate {
  const byAgent = new Map<string, TextInsert[]>();
  const deleted = new Map<string, [number, number][]>();
  const addDelete = (agent: string, seq: number, length: number): void => {
    let list = deleted.get(agent);
    if (list === undefined) deleted.set(agent, (list = []));
    list.push([seq, seq + length]);
  };
  updates = updates.map((update, i) => checkTextUpdate(update, `updates[${i}]`));
  for (const update of updates) {
    for (const ins of update.inserts) {
      let list = byAgent.get(ins.agent);
      if (list === undefined) byAgent.set(ins.agent, (list = []));
      list.push(ins);
      // A tombstone insert means "inserted and deleted": keep the deletion explicit.
      if (ins.content === null) addDelete(ins.agent, ins.seq, ins.length);
    }
    for (const del of update.deletes) addDelete(del.agent, del.seq, del.length);
  }
  const inserts: TextInsert[] = [];
  for (const agent of [...byAgent.keys()].sort()) {
    const list = byAgent.get(agent)!.sort((x, y) => x.seq - y.seq || (x.content === null ? 1 : 0) - (y.content === null ? 1 : 0) || y.length - x.length);
    let covered = -1;
    for (const ins of list) {
      const end = ins.seq + ins.length;
      if (end <= covered) continue;
      if (ins.seq >= covered) inserts.push(ins);
      else {
        const skip = covered - ins.seq;
        inserts.push({
          agent,
          seq: covered,
          length: ins.length - skip,
          left: [agent, covered - 1],
          right: ins.right,
          content: ins.content === null ? null : Array.from(ins.content).slice(skip).join(''),
        });
      }
      covered = end;
    }
  }
  const deletes: TextDelete[] = [];
  for (const agent of [...deleted.keys()].sort()) {
    const ranges = deleted.get(agent)!.sort((x, y) => x[0] - y[0]);
    let start = -1;
    let end = -1;
    for (const [s, e] of ranges) {
      if (s <= end) end = Math.max(end, e);
      else {
        if (end > start) deletes.push({ agent, seq: start, length: end - start });
        start = s;
        end = e;
      }
    }
    if (end > start) deletes.push({ agent, seq: start, length: end - start });
  }
  return { inserts, deletes };
}

/** An unsigned varint that must be at most `max`. */
function bounded(r: ByteReader, max: number, what: string): number {
  const value = r.uint();
  if (value > max) r.fail(`${what} ${value} out of range (max ${max})`);
  return value;
}

function header(w: ByteWriter, kind: number): void {
  for (const b of MAGIC) w.byte(b);
  w.byte(TEXT_FORMAT_VERSION);
  w.byte(kind);
}

function readHeader(r: ByteReader, kind: number): void {
  for (const b of MAGIC) if (r.byte() !== b) r.fail('not a Lattice text CRDT encoding (bad magic)');
  const version = r.byte();
  if (version > TEXT_FORMAT_VERSION) throw new UnsupportedVersionError(version, TEXT_FORMAT_VERSION, 'text format');
  if (version === 0) r.fail('format version 0');
  const found = r.byte();
  if (found !== kind) r.fail(`expected ${kind === KIND_STATE ? 'a document state' : 'an update'}, found kind ${found}`);
}

function checkEnvelope(json: unknown, format: string): Record<string, unknown> {
  if (typeof json !== 'object' || json === null) throw new DecodeError(`Invalid ${format} JSON: not an object`);
  const j = json as Record<string, unknown>;
  if (j.format !== format) throw new DecodeError(`Invalid ${format} JSON: format is ${JSON.stringify(j.format)}`);
  if (typeof j.version !== 'number' || !Number.isInteger(j.version) || j.version < 1) throw new DecodeError(`Invalid ${format} JSON: version`);
  if (j.version > TEXT_FORMAT_VERSION) throw new UnsupportedVersionError(j.version, TEXT_FORMAT_VERSION, 'text format');
  return j;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Run-length encoded unsigned integers: (value, repeat - 1) pairs. */
class RleWriter {
  private readonly w = new ByteWriter();
  private value = -1;
  private count = 0;
  add(value: number): void {
    if (value === this.value) {
      this.count++;
      return;
    }
    this.flush();
    this.value = value;
    this.count = 1;
  }
  private flush(): void {
    if (this.count > 0) {
      this.w.uint(this.value);
      this.w.uint(this.count - 1);
    }
  }
  finish(): Uint8Array {
    this.flush();
    this.count = 0;
    return this.w.finish();
  }
}

class RleReader {
  private readonly r: ByteReader;
  private value = 0;
  private left = 0;
  constructor(bytes: Uint8Array, what: string) {
    this.r = new ByteReader(bytes, what);
  }
  get done(): boolean {
    return this.left === 0 && this.r.done;
  }
  fail(reason: string): never {
    return this.r.fail(reason);
  }
  next(): number {
    if (this.left === 0) {
      this.value = this.r.uint();
      this.left = this.r.uint() + 1;
    }
    this.left--;
    return this.value;
  }
}
