import { InvalidArgumentError, isLatticeError } from '@lattice/core';
import { codeOf } from '@lattice/test-kit';
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import { encodeSwimMessage, isEncryptedSwimPayload, isSwimPayload, isSwimTraffic, SWIM_ENCRYPTED_MAGIC, SWIM_MAGIC } from '../src/index.js';

/** Calls with deliberately wrong types, as JavaScript callers (or generated data) would. */
// biome-ignore lint/suspicious/noExplicitAny: the point is to pass what the types forbid
type Loose = any;

const INVALID = InvalidArgumentError.code;

/** Wrong argument lists every entry point is called with. */
const WRONG: readonly (readonly unknown[])[] = [[], [undefined], [null], ['x'], [5], [Number.NaN], [{}], [[]], [{}, {}], ['x', 'y', 'z']];

function isClass(value: unknown): boolean {
  return typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value));
}

/** What a call does: `returned`, a Lattice error's code, or the untyped error it threw. */
async function outcome(call: () => unknown): Promise<string> {
  try {
    const result = call();
    if (result instanceof Promise) await result;
    return 'returned';
  } catch (error) {
    if (isLatticeError(error)) return error.code;
    return `untyped ${(error as Error)?.name}: ${(error as Error)?.message}`;
  }
}

describe('every exported function and class, called wrongly', () => {
  const entries = Object.entries(api).filter(([name, value]) => typeof value === 'function' && !name.endsWith('Error'));

  it('is a typed error or a normal return, never a TypeError from inside', async () => {
    expect(entries.length).toBeGreaterThan(15);
    const untyped: string[] = [];
    for (const [name, fn] of entries) {
      for (const args of WRONG) {
        const result = await outcome(() => (isClass(fn) ? new (fn as Loose)(...args) : (fn as Loose)(...args)));
        if (result.startsWith('untyped')) untyped.push(`${name}(${args.map((a) => JSON.stringify(a) ?? String(a)).join(', ')}): ${result}`);
      }
    }
    expect(untyped).toEqual([]);
  });
});

describe('encodeSwimMessage', () => {
  it.each<[string, Loose]>([
    ['nothing', undefined],
    ['null', null],
    ['a string', 'ping'],
    ['an object without a type', {}],
    ['an unknown type', { type: 'hello' }],
    ['a ping without its fields', { type: 'ping' }],
    ['a ping whose updates are not a list', { type: 'ping', seq: 1, target: 'b', updates: 5 }],
    ['an ack with a negative seq', { type: 'ack', seq: -1, updates: [] }],
    ['a push/pull without members', { type: 'pushPull', join: false, reply: false }],
  ])('refuses %s with InvalidArgumentError', (_, message) => {
    expect(codeOf(() => encodeSwimMessage(message))).toBe(INVALID);
  });

  it('still encodes well-formed messages', () => {
    const bytes = encodeSwimMessage({ type: 'ack', seq: 3, updates: [] });
    expect(bytes[0]).toBe(SWIM_MAGIC);
    expect(api.decodeSwimMessage(bytes)).toEqual({ type: 'ack', seq: 3, updates: [] });
  });
});

describe('payload predicates', () => {
  it('are false for anything but a Uint8Array, and true only for their magic byte', () => {
    for (const wrong of [undefined, null, 'x', 5, {}, [SWIM_MAGIC], [SWIM_ENCRYPTED_MAGIC]] as Loose[]) {
      expect(isSwimPayload(wrong)).toBe(false);
      expect(isEncryptedSwimPayload(wrong)).toBe(false);
      expect(isSwimTraffic(wrong)).toBe(false);
    }
    expect(isSwimPayload(new Uint8Array([SWIM_MAGIC]))).toBe(true);
    expect(isEncryptedSwimPayload(new Uint8Array([SWIM_ENCRYPTED_MAGIC]))).toBe(true);
    expect(isSwimTraffic(new Uint8Array([SWIM_ENCRYPTED_MAGIC]))).toBe(true);
    expect(isSwimTraffic(new Uint8Array([]))).toBe(false);
  });
});
