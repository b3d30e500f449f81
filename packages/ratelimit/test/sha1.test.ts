import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildLeanScript, RATE_LIMIT_SCRIPT } from '../src/lua.js';
import { sha1Hex } from '../src/sha1.js';

const reference = (text: string): string => createHash('sha1').update(text).digest('hex');

describe('sha1Hex (the EVALSHA id of a script)', () => {
  it('matches node:crypto on block boundaries, non-ASCII text and the real scripts', () => {
    const texts = ['', 'abc', 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(63), 'a'.repeat(64), 'a'.repeat(65), 'héllo wörld ✓', RATE_LIMIT_SCRIPT, buildLeanScript({ algorithm: 4, p1: 100, p2: 60_000, p3: 0 })];
    for (const text of texts) expect(sha1Hex(text)).toBe(reference(text));
  });

  it('matches node:crypto on random strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        expect(sha1Hex(text)).toBe(reference(text));
      }),
    );
  });
});
