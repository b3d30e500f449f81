import { DecodeError, isLatticeError } from '@lattice/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  crdtCodec,
  crdtFromJSON,
  crdtJsonCodec,
  crdtToJSON,
  CrdtTypeMismatchError,
  decodeCrdt,
  encodeCrdt,
  GCounter,
  mergeEncoded,
  ORMap,
  ORSet,
  PNCounter,
  UnsupportedVersionError,
} from '../src/index.js';
import { canonical, run, specs, steps } from './specs.js';

describe.each(specs)('encodings of $name', (spec) => {
  it('binary and JSON round-trip every reachable state and delta', () => {
    fc.assert(
      fc.property(steps(spec, 2, 15), (history) => {
        const { replicas, deltas } = run(spec, 2, history);
        for (const state of [...replicas, ...deltas]) {
          const fromBinary = decodeCrdt(encodeCrdt(state), state);
          expect(canonical(fromBinary)).toBe(canonical(state));
          expect(fromBinary.value()).toEqual(state.value());
          const fromJson = crdtFromJSON(JSON.parse(JSON.stringify(crdtToJSON(state))), state);
          expect(canonical(fromJson)).toBe(canonical(state));
          expect(canonical(crdtCodec(state).decode(crdtCodec(state).encode(state)))).toBe(canonical(state));
          expect(canonical(crdtJsonCodec(state).decode(crdtJsonCodec(state).encode(state)))).toBe(canonical(state));
        }
      }),
      { numRuns: 40 },
    );
  });

  it('decoding corrupted bytes throws a typed error and never touches the replica', () => {
    fc.assert(
      fc.property(steps(spec, 2, 10), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), (history, position, byte, truncate) => {
        const { replicas } = run(spec, 2, history);
        const [replica, other] = replicas as [typeof replicas[0], typeof replicas[0]];
        const bytes = encodeCrdt(other);
        const corrupt = truncate ? bytes.subarray(0, position % bytes.length) : bytes.slice();
        if (!truncate) corrupt[position % corrupt.length] = byte;
        const before = canonical(replica);
        try {
          mergeEncoded(replica, corrupt);
        } catch (error) {
          expect(isLatticeError(error)).toBe(true);
          expect([DecodeError.code, UnsupportedVersionError.code, CrdtTypeMismatchError.code]).toContain((error as { code: string }).code);
          expect(canonical(replica)).toBe(before);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('encodings', () => {
  it('reject random garbage with DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(() => decodeCrdt(bytes)).toThrow(expect.objectContaining({ code: DecodeError.code }));
      }),
    );
    // Behind a valid header, random bodies either decode or fail with a typed error, never anything else.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.uint8Array({ maxLength: 48 }), (tag, body) => {
        const bytes = new Uint8Array([0x4c, 0x43, 1, tag, ...body]);
        try {
          const decoded = decodeCrdt(bytes);
          decoded.value();
          expect(decoded.type.name).toBeTypeOf('string');
        } catch (error) {
          expect(isLatticeError(error)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
    expect(() => crdtFromJSON('{not json')).toThrow(expect.objectContaining({ code: DecodeError.code }));
    expect(() => crdtFromJSON({ format: 'lattice-crdt', version: 1, type: { name: 'or-set' }, state: { context: {}, store: 5 } })).toThrow(
      expect.objectContaining({ code: DecodeError.code }),
    );
  });

  it('reject a newer format version with UnsupportedVersionError', () => {
    const counter = new GCounter('a');
    counter.increment();
    const bytes = encodeCrdt(counter);
    bytes[2] = 2;
    expect(() => decodeCrdt(bytes)).toThrow(expect.objectContaining({ code: UnsupportedVersionError.code, version: 2 }));
    expect(() => crdtFromJSON({ ...crdtToJSON(counter), version: 7 })).toThrow(expect.objectContaining({ code: UnsupportedVersionError.code }));
  });

  it('reject a state of another type, and a store dot outside its context', () => {
    const counter = new PNCounter('a');
    expect(() => decodeCrdt(encodeCrdt(counter), new GCounter())).toThrow(expect.objectContaining({ code: CrdtTypeMismatchError.code }));
    const nested = new ORMap('a', ORSet.kind);
    expect(() => crdtFromJSON(crdtToJSON(nested), new ORMap('a', ORMap.kindOf(ORSet.kind)))).toThrow(
      expect.objectContaining({ code: CrdtTypeMismatchError.code }),
    );
    const set = new ORSet<string>('a');
    set.add('x');
    const json = crdtToJSON(set) as { state: { context: unknown } };
    expect(() => crdtFromJSON({ ...json, state: { ...json.state, context: {} } })).toThrow(expect.objectContaining({ code: DecodeError.code }));
  });

  it('is compact: node ids are written once', () => {
    const set = new ORSet<number>('a-rather-long-node-identifier');
    for (let i = 0; i < 100; i++) set.add(i);
    const bytes = encodeCrdt(set);
    expect(bytes.length).toBeLessThan(100 * 6 + 64);
    expect(JSON.stringify(crdtToJSON(set)).length).toBeGreaterThan(bytes.length * 4);
  });
});
