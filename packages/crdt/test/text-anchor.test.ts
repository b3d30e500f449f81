import fc from 'fast-check';
import { InvalidArgumentError } from '@lattice/core';
import { codeOf } from '@lattice/test-kit';
import { describe, expect, it } from 'vitest';
import { type TextAnchor, TextDocument } from '../src/index.js';

/** A random edit, positions taken modulo the document so any pick is valid. */
const edit = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 5 }) }),
);
type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;

function applyEdit(doc: TextDocument, e: Edit): void {
  if (e.kind === 'insert') doc.insert(e.at % (doc.length + 1), e.text);
  else if (doc.length > 0) {
    const at = e.at % doc.length;
    doc.delete(at, Math.min(e.count, doc.length - at));
  }
}

describe('TextDocument anchors (cursor positions that follow edits)', () => {
  it('turn back into the same position on the replica that made them', () => {
    fc.assert(
      fc.property(fc.array(edit, { maxLength: 40 }), (edits) => {
        const doc = new TextDocument({ agent: 'a' });
        for (const e of edits) applyEdit(doc, e);
        for (let p = 0; p <= doc.length; p++) expect(doc.positionOf(doc.anchorAt(p))).toBe(p);
      }),
      { numRuns: 300 },
    );
  });

  it('stay after the same character through concurrent edits, and keep their order, on every replica', () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 20 }), fc.array(edit, { maxLength: 20 }), fc.array(edit, { maxLength: 20 }), (base, mine, theirs) => {
        const a = new TextDocument({ agent: 'a' });
        for (const e of base) applyEdit(a, e);
        const b = a.fork('b');
        const before = Array.from(a.toString());
        const anchors: TextAnchor[] = [];
        for (let p = 0; p <= a.length; p++) anchors.push(a.anchorAt(p));
        for (const e of mine) applyEdit(a, e);
        for (const e of theirs) applyEdit(b, e);
        a.merge(b);
        b.merge(a);
        const after = Array.from(a.toString());
        let previous = 0;
        anchors.forEach((anchor, p) => {
          const at = a.positionOf(anchor)!;
          expect(b.positionOf(anchor)).toBe(at); // converged replicas agree
          expect(at).toBeGreaterThanOrEqual(previous); // document order is kept
          expect(at).toBeLessThanOrEqual(after.length);
          previous = at;
          // A character still there is still just left of its anchor.
          if (p > 0 && at > 0 && a.anchorAt(at)?.join() === anchor?.join()) expect(after[at - 1]).toBe(before[p - 1]);
        });
        // Every character that survived is found by its anchor.
        for (let q = 1; q <= after.length; q++) expect(a.positionOf(a.anchorAt(q))).toBe(q);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trip across many leaves of the item index (thousands of runs)', () => {
    const doc = new TextDocument({ agent: 'a' });
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let i = 0; i < 3000; i++) {
      if (i % 5 === 4 && doc.length > 0) doc.delete(next(doc.length), 1);
      else doc.insert(next(doc.length + 1), 'x');
    }
    const text = doc.toString();
    for (let p = 0; p <= doc.length; p += 7) expect(doc.positionOf(doc.anchorAt(p))).toBe(p);
    expect(text.length).toBe(doc.length);
  });

  it('lands where a deleted character was', () => {
    const doc = new TextDocument({ agent: 'a' });
    doc.insert(0, 'hello world');
    const cursor = doc.anchorAt(8); // after "hello wo"
    doc.delete(4, 6); // "hell" + "d": the "o" the cursor followed is gone
    expect(doc.toString()).toBe('helld');
    expect(doc.positionOf(cursor)).toBe(4);
    doc.insert(0, '>> ');
    expect(doc.positionOf(cursor)).toBe(7);
    expect(doc.positionOf(null)).toBe(0);
  });

  it('is undefined for a character this replica has not received, and refuses what is not an anchor', () => {
    const a = new TextDocument({ agent: 'a' });
    const b = new TextDocument({ agent: 'b' });
    b.insert(0, 'xyz');
    const far = b.anchorAt(3);
    expect(a.positionOf(far)).toBeUndefined();
    a.insert(0, 'q');
    expect(a.positionOf(['a', 1])).toBeUndefined(); // beyond what agent a has typed
    a.merge(b);
    expect(a.positionOf(far)).toBe(a.toString().indexOf('z') + 1);
    for (const bad of [undefined, 'a', ['a'], ['a', -1], ['a', 1.5], [1, 0], { agent: 'a', seq: 0 }]) {
      expect(codeOf(() => a.positionOf(bad as unknown as TextAnchor))).toBe(InvalidArgumentError.code);
    }
    expect(() => a.anchorAt(a.length + 1)).toThrow(InvalidArgumentError);
  });
});
