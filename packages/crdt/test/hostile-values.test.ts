import { ByteWriter, DecodeError, InvalidArgumentError, type LatticeError } from '@lattice/core';
import { ManualClock } from '@lattice/core/testing';
import { MemoryNetwork } from '@lattice/transport';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Crdt,
  CrdtSync,
  crdtFromJSON,
  crdtToJSON,
  decodeCrdt,
  decodeSyncMessage,
  encodeCrdt,
  GCounter,
  type JsonValue,
  LWWMap,
  LWWRegister,
  MAX_VALUE_BYTES,
  MAX_VALUE_DEPTH,
  MVRegister,
  mergeEncoded,
  ORMap,
  ORSet,
  ValueTooDeepError,
  ValueTooLargeError,
} from '../src/index.js';

const HOSTILE_DEPTH = 100_000;
const deepText = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const oversizeText = () => JSON.stringify('x'.repeat(MAX_VALUE_BYTES));

/** A value nested `depth` arrays deep, built without recursion. */
function deepValue(depth: number): unknown {
  let value: unknown = [];
  for (let i = 1; i < depth; i++) value = [value];
  return value;
}

/** The header of a CRDT encoding (format 1) with a one-node string table. */
function crdtHeader(tag: number, node = 'evil'): ByteWriter {
  const w = new ByteWriter(64);
  w.byte(0x4c);
  w.byte(0x43);
  w.uint(1);
  w.byte(tag);
  w.uint(1);
  w.string(node);
  return w;
}

/** An LWW-Register state holding `json` (not checked: the bytes a hostile peer could send). */
function lwwRegisterBytes(json: string, wallTime = 1_000_000): Uint8Array {
  const w = crdtHeader(3);
  w.byte(1);
  w.uint(wallTime);
  w.uint(0);
  w.uint(0);
  w.string(json);
  return w.finish();
}

/** An MV-Register delta with one entry holding `json`. */
function mvRegisterBytes(json: string): Uint8Array {
  const w = crdtHeader(4);
  w.uint(1); // context: one node
  w.uint(0);
  w.uint(1);
  w.uint(0);
  w.uint(1); // store: one entry
  w.uint(0);
  w.uint(1);
  w.string(json);
  return w.finish();
}

/** An LWW-Map state with one key holding `json`. */
function lwwMapBytes(json: string): Uint8Array {
  const w = crdtHeader(8);
  w.uint(1);
  w.byte(0);
  w.string('k');
  w.uint(1_000_000);
  w.uint(0);
  w.uint(0);
  w.byte(1);
  w.string(json);
  return w.finish();
}

/** A sync `deltas` message on `topic` carrying one raw delta encoding. */
function syncDeltasBytes(topic: string, delta: Uint8Array, seq = 1): Uint8Array {
  const w = new ByteWriter(64);
  w.byte(0x4c);
  w.byte(0x53);
  w.uint(1);
  w.byte(2);
  w.string(topic);
  w.uint(1);
  w.string('evil');
  w.uint(1);
  w.uint(0);
  w.uint(seq);
  w.bytes(delta);
  return w.finish();
}

const canonical = (crdt: Crdt) => JSON.stringify(crdtToJSON(crdt));

describe('value limits on decode', () => {
  const cases = [
    { name: 'LWWRegister', like: () => new LWWRegister('a'), bytes: lwwRegisterBytes },
    { name: 'MVRegister', like: () => new MVRegister('a'), bytes: mvRegisterBytes },
    { name: 'LWWMap', like: () => new LWWMap('a'), bytes: lwwMapBytes },
  ];

  it.each(cases)('$name: decodeCrdt refuses a value nested 100,000 deep and one over the size limit', ({ like, bytes }) => {
    expect(() => decodeCrdt(bytes(deepText(HOSTILE_DEPTH)), like())).toThrow(expect.objectContaining({ code: ValueTooDeepError.code }));
    expect(() => decodeCrdt(bytes(oversizeText()), like())).toThrow(expect.objectContaining({ code: ValueTooLargeError.code }));
  });

  it.each(cases)('$name: mergeEncoded of a hostile value leaves the replica as it was, and it still encodes', ({ like, bytes }) => {
    const replica = like() as LWWRegister | MVRegister | LWWMap;
    if (replica instanceof LWWMap) replica.set('kept', 1);
    else replica.set('kept');
    const before = canonical(replica);
    expect(() => mergeEncoded(replica, bytes(deepText(HOSTILE_DEPTH)))).toThrow(expect.objectContaining({ code: ValueTooDeepError.code }));
    expect(() => mergeEncoded(replica, bytes(oversizeText()))).toThrow(expect.objectContaining({ code: ValueTooLargeError.code }));
    expect(canonical(replica)).toBe(before);
    expect(canonical(decodeCrdt(encodeCrdt(replica), replica))).toBe(before);
  });

  it('accepts values exactly at the limits, and they round-trip', () => {
    const register = new LWWRegister('a');
    register.set(deepValue(MAX_VALUE_DEPTH) as never);
    const copy = decodeCrdt(encodeCrdt(register), register);
    expect(copy.value()).toEqual(register.value());
    const atDepth = decodeCrdt(lwwRegisterBytes(deepText(MAX_VALUE_DEPTH)), register);
    expect(JSON.stringify(atDepth.value())).toBe(deepText(MAX_VALUE_DEPTH));
    const largest = 'y'.repeat(MAX_VALUE_BYTES - 2);
    expect(decodeCrdt(lwwRegisterBytes(JSON.stringify(largest)), register).value()).toBe(largest);
  });

  it('crdtFromJSON refuses a hostile value given as a string or as an object', () => {
    const register = new LWWRegister('a');
    const json = { format: 'lattice-crdt', version: 1, type: { name: 'lww-register' }, state: { timestamp: [1, 0, 'evil'], value: deepValue(HOSTILE_DEPTH) } };
    expect(() => crdtFromJSON(json, register)).toThrow(expect.objectContaining({ code: ValueTooDeepError.code }));
    const text = `{"format":"lattice-crdt","version":1,"type":{"name":"lww-register"},"state":{"timestamp":[1,0,"evil"],"value":${deepText(HOSTILE_DEPTH)}}}`;
    expect(() => crdtFromJSON(text, register)).toThrow(expect.objectContaining({ code: ValueTooDeepError.code }));
    const big = { ...json, state: { timestamp: [1, 0, 'evil'], value: 'z'.repeat(MAX_VALUE_BYTES) } };
    expect(() => crdtFromJSON(big, register)).toThrow(expect.objectContaining({ code: ValueTooLargeError.code }));
    const mv = { format: 'lattice-crdt', version: 1, type: { name: 'mv-register' }, state: { context: { evil: { max: 1, cloud: [] } }, store: [['evil', 1, deepValue(HOSTILE_DEPTH)]] } };
    expect(() => crdtFromJSON(mv, new MVRegister('a'))).toThrow(expect.objectContaining({ code: ValueTooDeepError.code }));
    // Objects JSON.parse cannot produce are not JSON values.
    const notJson = { ...json, state: { timestamp: [1, 0, 'evil'], value: { when: new Date(0) } } };
    expect(() => crdtFromJSON(notJson, register)).toThrow(expect.objectContaining({ code: DecodeError.code }));
  });
});

describe('value limits on local writes', () => {
  it('refuse too deep and too large values with the same errors, and change nothing', () => {
    const register = new LWWRegister<JsonValue[]>('a');
    const map = new LWWMap<string, JsonValue[]>('a');
    const mv = new MVRegister<JsonValue[]>('a');
    for (const write of [(v: unknown) => register.set(v as never), (v: unknown) => map.set('k', v as never), (v: unknown) => mv.set(v as never)]) {
      expect(() => write(deepValue(HOSTILE_DEPTH))).toThrow(expect.objectContaining({ code: ValueTooDeepError.code }));
      expect(() => write(deepValue(MAX_VALUE_DEPTH + 1))).toThrow(expect.objectContaining({ code: ValueTooDeepError.code }));
      expect(() => write(['x'.repeat(MAX_VALUE_BYTES)])).toThrow(expect.objectContaining({ code: ValueTooLargeError.code }));
    }
    expect(register.value()).toBeUndefined();
    expect(map.value().size).toBe(0);
    expect(mv.value()).toEqual([]);
    // A sparse array claims its length without allocating it.
    expect(() => register.set(new Array(2 ** 31) as never)).toThrow(expect.objectContaining({ code: ValueTooLargeError.code }));
    // A cyclic value is infinitely deep.
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(() => register.set(cyclic as never)).toThrow(expect.objectContaining({ code: ValueTooDeepError.code }));
  });

  it('store the JSON form, so the writer holds what every peer decodes', () => {
    const register = new LWWRegister<{ when: string }>('a');
    register.set({ when: new Date(0) } as never);
    expect(register.value()).toEqual({ when: '1970-01-01T00:00:00.000Z' });
    expect(decodeCrdt(encodeCrdt(register), register).value()).toEqual(register.value());
  });
});

describe('one limit for writes and decoders (fast-check)', () => {
  it('a value is written locally if and only if it decodes, and what is written round-trips', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.integer({ min: 0, max: 3 * MAX_VALUE_DEPTH }), (leaf, extraDepth) => {
        let value: unknown = leaf;
        for (let i = 0; i < extraDepth; i++) value = i % 2 === 0 ? [value] : { k: value };
        const text = JSON.stringify(value);
        const register = new LWWRegister('a');
        let written = true;
        try {
          register.set(value as never);
        } catch (error) {
          expect((error as { code?: string }).code).toBe(ValueTooDeepError.code);
          written = false;
        }
        let decoded: unknown;
        try {
          decoded = decodeCrdt(lwwRegisterBytes(text), register).value();
        } catch (error) {
          expect((error as { code?: string }).code).toBe(ValueTooDeepError.code);
          decoded = undefined;
        }
        expect(decoded !== undefined).toBe(written);
        if (written) {
          expect(JSON.stringify(decoded)).toBe(text);
          expect(JSON.stringify(decodeCrdt(encodeCrdt(register), register).value())).toBe(text);
          expect(JSON.stringify(crdtFromJSON(JSON.parse(JSON.stringify(crdtToJSON(register))), register).value())).toBe(text);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('a CrdtSync peer sending a hostile value', () => {
  it('is a typed error event; the replica is unchanged and later syncs still work', async () => {
    const clock = new ManualClock();
    const network = new MemoryNetwork({ timers: clock });
    const evil = await network.open('evil');
    const a = new CrdtSync({ endpoint: await network.open('a'), replica: new LWWRegister<string>('a', { clock }), peers: ['b'], timers: clock, intervalMs: 100 });
    const b = new CrdtSync({ endpoint: await network.open('b'), replica: new LWWRegister<string>('b', { clock }), peers: ['a'], timers: clock, intervalMs: 100 });
    const errors: LatticeError[] = [];
    a.onError((error) => errors.push(error));
    b.onError((error) => errors.push(error));
    a.update((register) => register.set('kept'));
    await clock.advanceAsync(50);
    const before = canonical(a.replica);
    // Timestamps far ahead, so the hostile writes would win if they were joined.
    await evil.send('a', syncDeltasBytes('crdt', lwwRegisterBytes(deepText(HOSTILE_DEPTH), 2 ** 50), 1));
    await evil.send('a', syncDeltasBytes('crdt', lwwRegisterBytes(oversizeText(), 2 ** 50), 2));
    await clock.advanceAsync(10);
    expect(errors.map((error) => error.code)).toEqual([ValueTooDeepError.code, ValueTooLargeError.code]);
    expect(a.stats().rejected).toBe(2);
    expect(canonical(a.replica)).toBe(before);
    expect(a.protocol.have.has('evil', 1)).toBe(false);

    clock.advance(1);
    b.update((register) => register.set('later'));
    await clock.advanceAsync(500);
    expect(a.replica.value()).toBe('later');
    expect(b.replica.value()).toBe('later');
    expect(errors).toHaveLength(2);
    await a.close();
    await b.close();
    await network.close();
  });
});

describe('other decoders refuse hostile shapes with a typed error', () => {
  const decodeError = expect.objectContaining({ code: DecodeError.code });

  it('counts claiming more items than the bytes hold, before allocating', () => {
    const counter = crdtHeader(1);
    counter.uint(2 ** 40);
    expect(() => decodeCrdt(counter.finish(), new GCounter('a'))).toThrow(decodeError);
    const set = crdtHeader(7);
    set.uint(0); // empty context
    set.uint(Number.MAX_SAFE_INTEGER);
    expect(() => decodeCrdt(set.finish(), new ORSet('a'))).toThrow(decodeError);
    const context = crdtHeader(7);
    context.uint(2 ** 45);
    expect(() => decodeCrdt(context.finish(), new ORSet('a'))).toThrow(decodeError);
    const table = new ByteWriter(16);
    table.byte(0x4c);
    table.byte(0x43);
    table.uint(1);
    table.byte(1);
    table.uint(2 ** 50);
    expect(() => decodeCrdt(table.finish(), new GCounter('a'))).toThrow(decodeError);
    const entries = new ByteWriter(16);
    entries.byte(0x4c);
    entries.byte(0x53);
    entries.uint(1);
    entries.byte(2);
    entries.string('crdt');
    entries.uint(0);
    entries.uint(2 ** 48);
    expect(() => decodeSyncMessage(entries.finish(), new GCounter('a'))).toThrow(decodeError);
  });

  it('lengths claiming more bytes than present', () => {
    const w = crdtHeader(3);
    w.byte(1);
    w.uint(1);
    w.uint(0);
    w.uint(0);
    w.uint(2 ** 40); // a JSON string "of" a terabyte
    expect(() => decodeCrdt(w.finish(), new LWWRegister('a'))).toThrow(decodeError);
  });

  it('OR-Map types nested 100,000 deep, in binary and in JSON', () => {
    const w = new ByteWriter(HOSTILE_DEPTH + 16);
    w.byte(0x4c);
    w.byte(0x43);
    w.uint(1);
    for (let i = 0; i < HOSTILE_DEPTH; i++) w.byte(9);
    w.byte(7);
    expect(() => decodeCrdt(w.finish())).toThrow(decodeError);
    let type: unknown = { name: 'or-set' };
    for (let i = 0; i < HOSTILE_DEPTH; i++) type = { name: 'or-map', value: type };
    expect(() => crdtFromJSON({ format: 'lattice-crdt', version: 1, type, state: {} })).toThrow(decodeError);
  });

  it('an OR-Map nesting deeper than the decoders accept cannot be built', () => {
    let kind = ORSet.kind as never;
    for (let i = 0; i < 31; i++) kind = ORMap.kindOf(kind) as never;
    const deepest = new ORMap('a', kind); // 32 maps, the most a decoder accepts
    expect(() => new ORMap('a', ORMap.kindOf(kind))).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
    expect(() => ORMap.kindOf(ORMap.kindOf(kind))).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
    expect(decodeCrdt(encodeCrdt(deepest), deepest).type).toEqual(deepest.type);
  });

  it('cloud dots beyond 2^53 - 1', () => {
    const w = crdtHeader(7);
    w.uint(1);
    w.uint(0);
    w.uint(Number.MAX_SAFE_INTEGER);
    w.uint(1);
    w.uint(1);
    w.uint(0);
    expect(() => decodeCrdt(w.finish(), new ORSet('a'))).toThrow(decodeError);
  });
});
