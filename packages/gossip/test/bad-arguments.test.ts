import { InvalidArgumentError } from '@lattice/core';
import { codeOf, untypedThrows } from '@lattice/test-kit';
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import { encodeSwimMessage, isEncryptedSwimPayload, isSwimPayload, isSwimTraffic, SWIM_ENCRYPTED_MAGIC, SWIM_MAGIC } from '../src/index.js';

/** Calls with deliberately wrong types, as JavaScript callers (or generated data) would. */
// biome-ignore lint/suspicious/noExplicitAny: the point is to pass what the types forbid
type Loose = any;

const INVALID = InvalidArgumentError.code;

describe('every exported function and class, called wrongly', () => {
  it('is a typed error or a normal return, never a TypeError from inside', async () => {
    const { called, untyped } = await untypedThrows(api);
    expect(called).toBeGreaterThan(15);
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
