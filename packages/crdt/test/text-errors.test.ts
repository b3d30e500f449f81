import { DecodeError, InvalidArgumentError, isLatticeError, seededRandom } from '@lattice/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeTextDocument,
  decodeTextUpdate,
  encodeTextDocument,
  encodeTextUpdate,
  mergeTextUpdates,
  TextDocument,
  type TextUpdate,
  textDocumentFromJSON,
  textDocumentToJSON,
  textUpdateCodec,
  textUpdateFromJSON,
  textUpdateToJSON,
} from '../src/index.js';

/** Calls `fn` with whatever wrong arguments it holds (the casts are the point of these tests). */
function expectError(fn: () => unknown, error: { readonly code: string }): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(isLatticeError(thrown, error.code), `expected ${error.code}, got ${String(thrown)}`).toBe(true);
}

// biome-ignore lint/suspicious/noExplicitAny: deliberately wrong calls from untyped code
type Wrong = any;

function sample(): TextDocument {
  const doc = new TextDocument({ agent: 'a' });
  doc.insert(0, 'hello');
  const other = doc.fork('b');
  other.insert(5, ' world');
  doc.delete(0, 1);
  doc.merge(other);
  return doc;
}

/** Everything observable about a replica, to show a refused call changed nothing. */
function fingerprint(doc: TextDocument): string {
  return `${doc.toString()}|${JSON.stringify(doc.version())}|${doc.pending}|${JSON.stringify(textDocumentToJSON(doc))}`;
}

describe('text API: options are optional', () => {
  it('decodeTextDocument and textDocumentFromJSON work without options, under a fresh agent id', () => {
    const doc = sample();
    const read = decodeTextDocument(encodeTextDocument(doc));
    expect(read.toString()).toBe('ello world');
    const fromJson = textDocumentFromJSON(textDocumentToJSON(doc));
    expect(fromJson.toString()).toBe('ello world');
    expect(read.agent).not.toBe(fromJson.agent);
    // The default ids are safe to edit under: the copies converge with each other and the source.
    read.insert(0, 'H');
    fromJson.insert(fromJson.length, '!');
    read.merge(fromJson);
    fromJson.merge(read);
    doc.merge(read);
    expect(read.toString()).toBe('Hello world!');
    expect(fromJson.toString()).toBe('Hello world!');
    expect(doc.toString()).toBe('Hello world!');
  });

  it('new TextDocument() draws its agent id from the injected Random', () => {
    const x = new TextDocument({ random: seededRandom(7) });
    const y = new TextDocument({ random: seededRandom(7) });
    expect(x.agent).toBe(y.agent);
    expect(x.agent).toMatch(/^text-[0-9a-z]{16}$/);
    expect(new TextDocument().agent).not.toBe(new TextDocument().agent);
    expect(new TextDocument({ agent: 'alice', random: seededRandom(1) }).agent).toBe('alice');
    expect(decodeTextDocument(encodeTextDocument(sample()), { random: seededRandom(7) }).agent).toBe(x.agent);
  });
});

describe('text API: every wrong call gets a typed error and changes nothing', () => {
  it('TextDocument constructor and fork', () => {
    for (const options of [null, 'alice', 5, [], { agent: '' }, { agent: 5 }, { agent: 'a\u0000b' }, { agent: 'x'.repeat(300) }, { random: {} }, { random: 5 }]) {
      expectError(() => new TextDocument(options as Wrong), InvalidArgumentError);
    }
    const doc = sample();
    for (const agent of [null, '', 5, {}]) expectError(() => doc.fork(agent as Wrong), InvalidArgumentError);
  });

  it('insert, delete and replace with bad positions, counts or text', () => {
    const doc = sample();
    const before = fingerprint(doc);
    const n = doc.length;
    for (const position of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, n + 1, '0', null, undefined, Symbol('p'), {}]) {
      expectError(() => doc.insert(position as Wrong, 'x'), InvalidArgumentError);
      expectError(() => doc.delete(position as Wrong, 1), InvalidArgumentError);
      expectError(() => doc.replace(position as Wrong, 1, 'x'), InvalidArgumentError);
    }
    for (const text of [5, null, undefined, {}, ['x'], Symbol('t')]) {
      expectError(() => doc.insert(0, text as Wrong), InvalidArgumentError);
      expectError(() => doc.replace(0, 3, text as Wrong), InvalidArgumentError);
    }
    for (const count of [-1, 0.5, Number.NaN, n + 1, '1', null, undefined]) {
      expectError(() => doc.delete(0, count as Wrong), InvalidArgumentError);
      expectError(() => doc.replace(0, count as Wrong, 'x'), InvalidArgumentError);
    }
    expectError(() => doc.delete(n - 1, 2), InvalidArgumentError);
    expect(fingerprint(doc)).toBe(before);
  });

  it('applyUpdate with garbage', () => {
    const doc = sample();
    const before = fingerprint(doc);
    const insert = { agent: 'c', seq: 0, length: 1, left: null, right: null, content: 'x' };
    const garbage: unknown[] = [
      undefined,
      null,
      5,
      'update',
      [],
      {},
      { inserts: 'x', deletes: [] },
      { inserts: [], deletes: null },
      { inserts: [null], deletes: [] },
      { inserts: [{ ...insert, agent: '' }], deletes: [] },
      { inserts: [{ ...insert, agent: 7 }], deletes: [] },
      { inserts: [{ ...insert, seq: -1 }], deletes: [] },
      { inserts: [{ ...insert, seq: 0.5 }], deletes: [] },
      { inserts: [{ ...insert, length: 0, content: '' }], deletes: [] },
      { inserts: [{ ...insert, length: 2 }], deletes: [] },
      { inserts: [{ ...insert, content: 5 }], deletes: [] },
      { inserts: [{ ...insert, length: 2 ** 40, content: null }], deletes: [] },
      { inserts: [{ ...insert, left: ['a'] }], deletes: [] },
      { inserts: [{ ...insert, left: [5, 0] }], deletes: [] },
      { inserts: [{ ...insert, right: ['a', -1] }], deletes: [] },
      { inserts: [{ ...insert, left: 'a:0' }], deletes: [] },
      { inserts: [{ ...insert, seq: 2, left: ['c', 2] }], deletes: [] },
      { inserts: [{ ...insert, left: ['a', 1], right: ['a', 1] }], deletes: [] },
      // A valid insert first: the bad delete after it must stop the whole update.
      { inserts: [insert], deletes: [{ agent: 'a', seq: 0 }] },
      { inserts: [insert], deletes: [{ agent: 'a', seq: 0, length: 0 }] },
      { inserts: [insert], deletes: [5] },
    ];
    for (const update of garbage) expectError(() => doc.applyUpdate(update as Wrong), InvalidArgumentError);
    expect(fingerprint(doc)).toBe(before);
  });

  it('merge and updateSince with garbage', () => {
    const doc = sample();
    const before = fingerprint(doc);
    for (const other of [null, undefined, {}, 'doc', { agent: 'x' }]) expectError(() => doc.merge(other as Wrong), InvalidArgumentError);
    for (const version of [null, 5, 'v', [], { a: -1 }, { a: 'x' }, { a: 1.5 }]) expectError(() => doc.updateSince(version as Wrong), InvalidArgumentError);
    expect(doc.updateSince(undefined)).toEqual(doc.updateSince({}));
    expect(fingerprint(doc)).toBe(before);
  });

  it('encoders with something that is not a document or an update', () => {
    for (const value of [null, undefined, 5, {}, { toSnapshot: () => ({}) }]) {
      expectError(() => encodeTextDocument(value as Wrong), InvalidArgumentError);
      expectError(() => textDocumentToJSON(value as Wrong), InvalidArgumentError);
    }
    const bad: unknown[] = [null, undefined, 5, {}, { inserts: [{ agent: '' }], deletes: [] }, { inserts: [], deletes: [{ agent: 'a', seq: 0, length: 1.5 }] }];
    for (const value of bad) {
      expectError(() => encodeTextUpdate(value as Wrong), InvalidArgumentError);
      expectError(() => textUpdateCodec.encode(value as Wrong), InvalidArgumentError);
      expectError(() => textUpdateToJSON(value as Wrong), InvalidArgumentError);
      expectError(() => mergeTextUpdates(sample().updateSince(), value as Wrong), InvalidArgumentError);
    }
  });

  it('decoders with garbage bytes, garbage JSON or bad options', () => {
    const doc = sample();
    const state = encodeTextDocument(doc);
    const update = encodeTextUpdate(doc.updateSince());
    for (const bytes of ['LTX', null, undefined, [76, 84, 88], new Uint8Array(0), new Uint8Array([1, 2, 3]), update, state.subarray(0, 9)]) {
      expectError(() => decodeTextDocument(bytes as Wrong), DecodeError);
      expectError(() => decodeTextDocument(bytes as Wrong, { agent: 'x' }), DecodeError);
    }
    for (const bytes of ['LTX', null, new Uint8Array(0), state, update.subarray(0, update.length - 1)]) {
      expectError(() => decodeTextUpdate(bytes as Wrong), DecodeError);
      expectError(() => textUpdateCodec.decode(bytes as Wrong), DecodeError);
    }
    for (const options of [null, 'x', { agent: '' }, { agent: 5 }]) {
      expectError(() => decodeTextDocument(state, options as Wrong), InvalidArgumentError);
      expectError(() => textDocumentFromJSON(textDocumentToJSON(doc), options as Wrong), InvalidArgumentError);
    }
    const json = textDocumentToJSON(doc);
    for (const value of [null, 'x', {}, { ...json, agents: [''] }, { ...json, items: 'x' }, { ...json, format: 'other' }]) {
      expectError(() => textDocumentFromJSON(value), DecodeError);
    }
    const updateJson = textUpdateToJSON(doc.updateSince());
    const first = updateJson.inserts[0]!;
    for (const value of [null, {}, { ...updateJson, inserts: [{ ...first, agent: '' }] }, { ...updateJson, inserts: [{ ...first, left: [first.agent, first.seq] }] }]) {
      expectError(() => textUpdateFromJSON(value), DecodeError);
    }
  });

  it('a decoded update with an invalid agent id is a DecodeError, not a later InvalidArgumentError', () => {
    const bytes = encodeTextUpdate({ inserts: [{ agent: 'q', seq: 0, length: 1, left: null, right: null, content: 'x' }], deletes: [] });
    // Header (5 bytes), agent count, then the name: length 1, "q". A control character is no agent id.
    expect(bytes[7]).toBe('q'.charCodeAt(0));
    const bad = bytes.slice();
    bad[7] = 0x01;
    expectError(() => decodeTextUpdate(bad), DecodeError);
  });
});

describe('text replicas stay consistent under structurally valid garbage from peers', () => {
  it('a parked operation under the replica’s own agent id applies when it types those characters', () => {
    const doc = new TextDocument({ agent: 'a' });
    doc.insert(0, 'hello');
    doc.applyUpdate({ inserts: [], deletes: [{ agent: 'a', seq: 3, length: 3 }] });
    expect(doc.pending).toBe(1);
    doc.insert(1, 'q');
    expect(doc.pending).toBe(0);
    const copy = decodeTextDocument(encodeTextDocument(doc), { agent: 'z' });
    expect(copy.toString()).toBe(doc.toString());
    expect(copy.pending).toBe(doc.pending);
  });

  it('a run whose right origin is not after its left one is stored without it, alike on every replica', () => {
    const doc = new TextDocument({ agent: 'a' });
    doc.insert(0, 'hello');
    const copy = doc.fork('b');
    const malformed: TextUpdate = { inserts: [{ agent: 'c', seq: 0, length: 1, left: ['a', 3], right: ['a', 1], content: 'X' }], deletes: [] };
    const concurrent = copy.fork('t').insert(4, 'T');
    doc.applyUpdate(malformed);
    doc.applyUpdate(concurrent);
    copy.applyUpdate(concurrent);
    copy.applyUpdate(malformed);
    expect(doc.toString()).toBe(copy.toString());
    expect(doc.updateSince({ a: 5, t: 1 }).inserts).toEqual([{ agent: 'c', seq: 0, length: 1, left: ['a', 3], right: null, content: 'X' }]);
    expect(encodeTextDocument(doc)).toEqual(encodeTextDocument(copy));
  });

  // Structure is checked; a peer that fabricates well-formed but impossible origins (not from a
  // real edit) is outside what a sequence CRDT can detect, so only "no crash, no corruption" holds.
  it('fuzz: random plausible updates either apply or throw a typed error, and the replica keeps working', () => {
    const agent = fc.constantFrom('a', 'b', 'c');
    const id = fc.option(fc.tuple(agent, fc.nat(12)), { nil: null });
    const insert = fc
      .record({ agent, seq: fc.nat(12), length: fc.integer({ min: 1, max: 4 }), left: id, right: id, deleted: fc.boolean() })
      .map(({ deleted, ...i }) => ({ ...i, content: deleted ? null : 'x'.repeat(i.length) }));
    const del = fc.record({ agent, seq: fc.nat(12), length: fc.integer({ min: 1, max: 4 }) });
    const update = fc.record({ inserts: fc.array(insert, { maxLength: 5 }), deletes: fc.array(del, { maxLength: 3 }) });
    fc.assert(
      fc.property(fc.array(update, { maxLength: 8 }), (updates: TextUpdate[]) => {
        const doc = new TextDocument({ agent: 'a' });
        doc.insert(0, 'hello');
        for (const u of updates) {
          try {
            doc.applyUpdate(u);
          } catch (err) {
            if (!isLatticeError(err)) throw err;
          }
          const copy = decodeTextDocument(encodeTextDocument(doc), { agent: 'z' });
          expect(copy.toString()).toBe(doc.toString());
          if (doc.length > 0) {
            doc.insert(doc.length >> 1, 'q');
            doc.delete(0, 1);
          }
          const other = new TextDocument({ agent: 'o' });
          other.merge(doc);
          expect(other.version()).toEqual(doc.version());
          expect(other.length).toBe(doc.length);
        }
      }),
      { numRuns: 300 },
    );
  });
});
