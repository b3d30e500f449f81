import { DecodeError, InvalidArgumentError, isLatticeError } from '@lattice/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeTextDocument,
  decodeTextUpdate,
  encodeTextDocument,
  encodeTextUpdate,
  mergeTextUpdates,
  TextDocument,
  textDocumentFromJSON,
  textDocumentToJSON,
  type TextUpdate,
  textUpdateCodec,
  textUpdateFromJSON,
  textUpdateToJSON,
  UnsupportedVersionError,
} from '../src/index.js';

function expectCode(fn: () => unknown, code: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(isLatticeError(thrown, code), `expected ${code}, got ${String(thrown)}`).toBe(true);
}

describe('TextDocument: local editing', () => {
  it('inserts, deletes and replaces at code-point positions', () => {
    const doc = new TextDocument({ agent: 'a' });
    doc.insert(0, 'hello');
    doc.insert(5, ' world');
    doc.insert(0, '>> ');
    expect(doc.toString()).toBe('>> hello world');
    doc.delete(0, 3);
    doc.replace(6, 5, 'there');
    expect(doc.toString()).toBe('hello there');
    expect(doc.length).toBe(11);
  });

  it('counts astral characters as one position each', () => {
    const doc = new TextDocument({ agent: 'a' });
    doc.insert(0, 'a😀b');
    expect(doc.length).toBe(3);
    doc.insert(2, '🎉');
    expect(doc.toString()).toBe('a😀🎉b');
    doc.delete(1, 1);
    expect(doc.toString()).toBe('a🎉b');
    expect(doc.toArray()).toEqual(['a', '🎉', 'b']);
    const copy = decodeTextDocument(encodeTextDocument(doc), { agent: 'b' });
    expect(copy.toString()).toBe('a🎉b');
    copy.insert(3, '👍');
    doc.merge(copy);
    expect(doc.toString()).toBe('a🎉b👍');
  });

  it('rejects bad positions and arguments with InvalidArgumentError, changing nothing', () => {
    const doc = new TextDocument({ agent: 'a' });
    doc.insert(0, 'abc');
    expectCode(() => doc.insert(4, 'x'), InvalidArgumentError.code);
    expectCode(() => doc.insert(-1, 'x'), InvalidArgumentError.code);
    expectCode(() => doc.insert(1.5, 'x'), InvalidArgumentError.code);
    expectCode(() => doc.delete(2, 2), InvalidArgumentError.code);
    expectCode(() => new TextDocument({ agent: '' }), InvalidArgumentError.code);
    expectCode(() => doc.applyUpdate({ inserts: [{ agent: 'b', seq: 0, length: 2, left: null, right: null, content: 'x' }], deletes: [] }), InvalidArgumentError.code);
    expectCode(() => doc.applyUpdate({ inserts: [{ agent: 'b', seq: 0, length: 2 ** 40, left: null, right: null, content: null }], deletes: [] }), InvalidArgumentError.code);
    expect(doc.toString()).toBe('abc');
    const hostile = textDocumentToJSON(doc);
    hostile.items.push([0, 3, 2 ** 40, -1, 0, -1, 0, 1]);
    expectCode(() => textDocumentFromJSON(hostile, { agent: 'x' }), DecodeError.code);
  });

  it('returns small deltas: one insert run per edit, deletes as id ranges', () => {
    const doc = new TextDocument({ agent: 'a' });
    const u1 = doc.insert(0, 'abc');
    expect(u1).toEqual({ inserts: [{ agent: 'a', seq: 0, length: 3, left: null, right: null, content: 'abc' }], deletes: [] });
    const u2 = doc.insert(1, 'X');
    expect(u2.inserts[0]).toMatchObject({ seq: 3, left: ['a', 0], right: ['a', 1] });
    const u3 = doc.delete(0, 3);
    expect(u3).toEqual({ inserts: [], deletes: [{ agent: 'a', seq: 0, length: 1 }, { agent: 'a', seq: 3, length: 1 }, { agent: 'a', seq: 1, length: 1 }] });
    expect(doc.insert(0, '')).toEqual({ inserts: [], deletes: [] });
  });
});

describe('TextDocument: replication', () => {
  it('applies updates out of order and twice, buffering missing dependencies', () => {
    const a = new TextDocument({ agent: 'a' });
    const updates = [a.insert(0, 'hello'), a.insert(5, ' world'), a.delete(0, 1), a.insert(0, 'J'), a.delete(6, 5), a.insert(6, 'there')];
    const b = new TextDocument({ agent: 'b' });
    for (const u of [...updates].reverse()) b.applyUpdate(u);
    expect(b.toString()).toBe(a.toString());
    expect(b.pending).toBe(0);
    const c = new TextDocument({ agent: 'c' });
    c.applyUpdate(updates[5]!);
    expect(c.pending).toBeGreaterThan(0);
    expect(c.toString()).toBe('');
    for (const u of updates) c.applyUpdate(u);
    for (const u of updates) c.applyUpdate(u);
    expect(c.toString()).toBe('Jello there');
    expect(c.pending).toBe(0);
  });

  it('parks a delete that arrives before the insert it deletes', () => {
    const a = new TextDocument({ agent: 'a' });
    const ins = a.insert(0, 'abcdef');
    const del = a.delete(1, 3);
    const b = new TextDocument({ agent: 'b' });
    b.applyUpdate(del);
    expect(b.pending).toBe(1);
    b.applyUpdate(ins);
    expect(b.toString()).toBe('aef');
    expect(b.pending).toBe(0);
    // A partially known delete applies the known part now and parks the rest.
    const c = new TextDocument({ agent: 'c' });
    c.applyUpdate({ inserts: [{ ...ins.inserts[0]!, length: 2, content: 'ab' }], deletes: [] });
    c.applyUpdate(del);
    expect(c.toString()).toBe('a');
    expect(c.pending).toBe(1);
    c.applyUpdate(ins);
    expect(c.toString()).toBe('aef');
    expect(c.pending).toBe(0);
  });

  it('sends updateSince runs in causal order, so a fresh replica parks nothing', () => {
    const a = new TextDocument({ agent: 'zed' });
    a.insert(0, 'ac');
    const b = a.fork('amy');
    b.insert(1, 'b');
    a.merge(b);
    a.insert(2, 'X'); // typed by "zed" right after amy's "b"
    const fresh = new TextDocument({ agent: 'fresh' });
    const update = a.updateSince();
    expect(update.inserts.map((i) => i.agent)).toEqual(['zed', 'amy', 'zed']);
    fresh.applyUpdate(update);
    expect(fresh.toString()).toBe('abXc');
    expect(fresh.pending).toBe(0);
  });

  it('merges concurrent edits and keeps each typed run contiguous', () => {
    const base = new TextDocument({ agent: 'base' });
    base.insert(0, '[]');
    const x = base.fork('x');
    const y = base.fork('y');
    x.insert(1, 'xxx');
    y.insert(1, 'yyy');
    x.merge(y);
    y.merge(x);
    expect(x.toString()).toBe(y.toString());
    expect(['[xxxyyy]', '[yyyxxx]']).toContain(x.toString());
  });

  it('does not interleave concurrent runs typed backwards at the same place (Fugue-style)', () => {
    const base = new TextDocument({ agent: 'base' });
    base.insert(0, '<>');
    const x = base.fork('x');
    const y = base.fork('y');
    for (const ch of 'cba') x.insert(1, ch);
    for (const ch of 'zyx') y.insert(1, ch);
    x.merge(y);
    expect(['<abcxyz>', '<xyzabc>']).toContain(x.toString());
  });

  it('passes pending operations on through merge and fork', () => {
    const a = new TextDocument({ agent: 'a' });
    const u1 = a.insert(0, 'ab');
    const u2 = a.insert(2, 'cd');
    const b = new TextDocument({ agent: 'b' });
    b.applyUpdate(u2);
    const c = new TextDocument({ agent: 'c' });
    c.merge(b);
    expect(c.pending).toBe(1);
    const d = c.fork('d');
    d.applyUpdate(u1);
    expect(d.toString()).toBe('abcd');
    const restored = decodeTextDocument(encodeTextDocument(c), { agent: 'e' });
    expect(restored.pending).toBe(1);
    restored.applyUpdate(u1);
    expect(restored.toString()).toBe('abcd');
  });
});

describe('text encodings', () => {
  function sample(): TextDocument {
    const a = new TextDocument({ agent: 'alice' });
    a.insert(0, 'The quick brown fox');
    const b = a.fork('bob');
    b.insert(4, 'very ');
    a.delete(4, 6);
    a.insert(4, 'slow ');
    a.merge(b);
    a.insert(a.length, ' — done 🦊');
    return a;
  }

  it('round-trips states through binary and JSON', () => {
    const doc = sample();
    const bin = decodeTextDocument(encodeTextDocument(doc), { agent: 'carol' });
    const json = textDocumentFromJSON(JSON.parse(JSON.stringify(textDocumentToJSON(doc))), { agent: 'carol' });
    for (const copy of [bin, json]) {
      expect(copy.toString()).toBe(doc.toString());
      expect(copy.version()).toEqual(doc.version());
      copy.insert(0, '!');
      const other = doc.fork('dave');
      other.merge(copy);
      copy.merge(doc);
      expect(other.toString()).toBe(copy.toString());
    }
  });

  it('round-trips updates through binary, JSON and the codec', () => {
    const doc = sample();
    const update = doc.updateSince({ alice: 3 });
    expect(decodeTextUpdate(encodeTextUpdate(update))).toEqual(update);
    expect(textUpdateFromJSON(JSON.parse(JSON.stringify(textUpdateToJSON(update))))).toEqual(update);
    expect(textUpdateCodec.decode(textUpdateCodec.encode(update))).toEqual(update);
  });

  it('rejects garbage with DecodeError and newer versions with ERR_UNSUPPORTED_VERSION, leaving the replica untouched', () => {
    const doc = sample();
    const before = doc.toString();
    const state = encodeTextDocument(doc);
    const update = encodeTextUpdate(doc.updateSince());
    const newer = state.slice();
    newer[3] = 2;
    expectCode(() => decodeTextDocument(newer, { agent: 'x' }), UnsupportedVersionError.code);
    const newerUpdate = update.slice();
    newerUpdate[3] = 9;
    expectCode(() => doc.applyUpdate(decodeTextUpdate(newerUpdate)), UnsupportedVersionError.code);
    expectCode(() => textUpdateFromJSON({ ...textUpdateToJSON(doc.updateSince()), version: 2 }), UnsupportedVersionError.code);
    expectCode(() => textDocumentFromJSON({ ...textDocumentToJSON(doc), version: 7 }, { agent: 'x' }), UnsupportedVersionError.code);
    expectCode(() => decodeTextDocument(new Uint8Array([1, 2, 3]), { agent: 'x' }), DecodeError.code);
    expectCode(() => decodeTextDocument(update, { agent: 'x' }), DecodeError.code);
    expectCode(() => decodeTextUpdate(state), DecodeError.code);
    expectCode(() => decodeTextDocument(state.subarray(0, state.length - 3), { agent: 'x' }), DecodeError.code);
    expectCode(() => textUpdateFromJSON({ format: 'lattice-text-update', version: 1, inserts: [{ agent: 'a' }], deletes: [] }), DecodeError.code);
    expectCode(() => textDocumentFromJSON({ ...textDocumentToJSON(doc), content: 'x' }, { agent: 'x' }), DecodeError.code);
    expect(doc.toString()).toBe(before);
  });

  it('fuzz: truncated, bit-flipped or random bytes either decode or throw a typed error', () => {
    const state = encodeTextDocument(sample());
    const update = encodeTextUpdate(sample().updateSince());
    fc.assert(
      fc.property(fc.constantFrom(state, update), fc.nat(), fc.nat(255), fc.boolean(), (bytes, at, value, truncate) => {
        const mutated = truncate ? bytes.subarray(0, at % bytes.length) : bytes.slice();
        if (!truncate) mutated[at % bytes.length] = value;
        for (const decode of [() => decodeTextDocument(mutated, { agent: 'z' }), () => decodeTextUpdate(mutated)]) {
          try {
            decode();
          } catch (err) {
            if (!isLatticeError(err, DecodeError.code) && !isLatticeError(err, UnsupportedVersionError.code)) throw err;
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Property tests.

const chars = fc.constantFrom('a', 'b', 'c', ' ', 'é', '😀');
const command = fc.record({
  replica: fc.nat(2),
  kind: fc.constantFrom('insert', 'insert', 'delete', 'merge'),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  size: fc.integer({ min: 1, max: 4 }),
  text: fc.string({ unit: chars, minLength: 1, maxLength: 4 }),
  from: fc.nat(2),
});
type Command = typeof command extends fc.Arbitrary<infer T> ? T : never;

/** Runs commands on three replicas; returns them and every update their local edits produced. */
function run(commands: Command[]): { replicas: TextDocument[]; updates: TextUpdate[] } {
  const replicas = ['r0', 'r1', 'r2'].map((agent) => new TextDocument({ agent }));
  const updates: TextUpdate[] = [];
  for (const c of commands) {
    const doc = replicas[c.replica]!;
    if (c.kind === 'insert') updates.push(doc.insert(Math.floor(c.at * (doc.length + 1)) % (doc.length + 1), c.text));
    else if (c.kind === 'delete' && doc.length > 0) {
      const pos = Math.floor(c.at * doc.length) % doc.length;
      updates.push(doc.delete(pos, Math.min(c.size, doc.length - pos)));
    } else if (c.kind === 'merge') doc.merge(replicas[c.from]!);
  }
  return { replicas, updates };
}

function merged(...docs: TextDocument[]): TextDocument {
  const out = docs[0]!.fork('observer');
  for (const d of docs.slice(1)) out.merge(d);
  return out;
}

function same(x: TextDocument, y: TextDocument): void {
  expect(x.toString()).toBe(y.toString());
  expect(x.version()).toEqual(y.version());
  expect(x.pending).toBe(0);
}

describe('text CRDT laws (fast-check)', () => {
  const commands = fc.array(command, { maxLength: 40 });

  it('merge is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(commands, (cs) => {
        const [a, b, c] = run(cs).replicas as [TextDocument, TextDocument, TextDocument];
        same(merged(a, b), merged(b, a));
        same(merged(merged(a, b), c), merged(a, merged(b, c)));
        same(merged(a, a), merged(a));
        same(merged(merged(a, b), b), merged(a, b));
      }),
      { numRuns: 200 },
    );
  });

  it('any permutation or duplication of update delivery converges', () => {
    fc.assert(
      fc.property(commands, fc.array(fc.nat(), { maxLength: 80 }), (cs, order) => {
        const { replicas, updates } = run(cs);
        const expected = merged(...replicas);
        // Deliver in a shuffled order with duplicates, then once more in full (in reverse).
        const receiver = new TextDocument({ agent: 'receiver' });
        const shuffled = updates.map((u, i) => ({ u, key: order[i % Math.max(order.length, 1)] ?? i }));
        shuffled.sort((p, q) => p.key - q.key);
        for (const { u } of shuffled) receiver.applyUpdate(u);
        for (const k of order) if (updates.length > 0) receiver.applyUpdate(updates[k % updates.length]!);
        for (const u of [...updates].reverse()) receiver.applyUpdate(u);
        expect(receiver.toString()).toBe(expected.toString());
        expect(receiver.pending).toBe(0);
        // The same through the binary encoding of the batch join.
        const batch = decodeTextUpdate(encodeTextUpdate(mergeTextUpdates(...[...updates].reverse())));
        const viaBatch = new TextDocument({ agent: 'batch' });
        viaBatch.applyUpdate(batch);
        expect(viaBatch.toString()).toBe(expected.toString());
      }),
      { numRuns: 200 },
    );
  });

  it('state encodings round-trip and updateSince brings any replica up to date', () => {
    fc.assert(
      fc.property(commands, (cs) => {
        const [a, b] = run(cs).replicas as [TextDocument, TextDocument];
        const copy = decodeTextDocument(encodeTextDocument(a), { agent: 'copy' });
        same(copy, merged(a));
        const viaJson = textDocumentFromJSON(textDocumentToJSON(a), { agent: 'copy' });
        same(viaJson, merged(a));
        b.applyUpdate(decodeTextUpdate(encodeTextUpdate(a.updateSince(b.version()))));
        expect(b.toString()).toBe(merged(a, b).toString());
      }),
      { numRuns: 200 },
    );
  });

  it('mergeTextUpdates is commutative, associative and idempotent in effect', () => {
    fc.assert(
      fc.property(commands, fc.nat(), fc.nat(), (cs, i, j) => {
        const { updates } = run(cs);
        if (updates.length === 0) return;
        const x = mergeTextUpdates(...updates.slice(0, i % updates.length));
        const y = mergeTextUpdates(...updates.slice(i % updates.length));
        const z = updates[j % updates.length]!;
        const apply = (u: TextUpdate) => {
          const d = new TextDocument({ agent: 'probe' });
          d.applyUpdate(u);
          return `${d.toString()}|${JSON.stringify(d.version())}|${d.pending}`;
        };
        expect(apply(mergeTextUpdates(x, y))).toBe(apply(mergeTextUpdates(y, x)));
        expect(apply(mergeTextUpdates(mergeTextUpdates(x, y), z))).toBe(apply(mergeTextUpdates(x, mergeTextUpdates(y, z))));
        expect(mergeTextUpdates(x, x)).toEqual(mergeTextUpdates(x));
      }),
      { numRuns: 150 },
    );
  });
});
