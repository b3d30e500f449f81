import { ClosedError, DecodeError, type Endpoint, InvalidArgumentError } from '@lattice/core';
import { ManualClock } from '@lattice/core/testing';
import { MemoryNetwork } from '@lattice/transport';
import { describe, expect, it } from 'vitest';
import {
  CausalCounter,
  CounterOverflowError,
  type Crdt,
  CrdtSync,
  CrdtTypeMismatchError,
  crdtCodec,
  crdtFromJSON,
  crdtJsonCodec,
  crdtToJSON,
  DotContext,
  decodeCrdt,
  decodeSyncMessage,
  describeType,
  encodeCrdt,
  encodeSyncMessage,
  GCounter,
  GSet,
  LWWMap,
  LWWRegister,
  MVRegister,
  mergeEncoded,
  ORMap,
  ORSet,
  PNCounter,
  ReadOnlyReplicaError,
  readSyncTopic,
  SyncProtocol,
  sameType,
  TwoPhaseSet,
} from '../src/index.js';

/** Any value, for calls a type checker would refuse. */
const bad = <T = never>(value: unknown): T => value as T;

type ErrorClass = { readonly code: string };

const INVALID = InvalidArgumentError;
const MISMATCH = CrdtTypeMismatchError;
const READ_ONLY = ReadOnlyReplicaError;
const OVERFLOW = CounterOverflowError;
const CLOSED = ClosedError;
const DECODE = DecodeError;

/** Calls `call` and asserts it throws a Lattice error of `error`'s code (never a TypeError or RangeError). */
function expectCode(call: () => unknown, error: ErrorClass): void {
  let thrown: unknown;
  try {
    call();
  } catch (caught) {
    thrown = caught;
  }
  expect(thrown, 'expected a throw').toBeDefined();
  expect((thrown as { code?: unknown }).code, String(thrown)).toBe(error.code);
}

type Case = readonly [string, () => unknown, ErrorClass];

function run(cases: readonly Case[]): void {
  it.each(cases)('%s', (_name, call, error) => expectCode(call, error));
}

const gcounterBytes = () => encodeCrdt(new GCounter('x').increment(1));

describe('constructors', () => {
  run([
    ['GCounter with a non-string node', () => new GCounter(bad(5)), INVALID],
    ['GCounter with an empty node', () => new GCounter(''), INVALID],
    ['GCounter with totals that are not a Map', () => new GCounter('a', bad({ a: 1 })), INVALID],
    ['GCounter with a negative total', () => new GCounter('a', new Map([['a', -1]])), INVALID],
    ['PNCounter with a node id of control characters', () => new PNCounter('a\u0000'), INVALID],
    ['PNCounter with NaN decrements', () => new PNCounter('a', new Map(), new Map([['a', Number.NaN]])), INVALID],
    ['CausalCounter with a non-string node', () => new CausalCounter(bad(1)), INVALID],
    ['CausalCounter with a garbage state', () => new CausalCounter('a', bad({ store: 5, context: 5 })), INVALID],
    ['LWWRegister with a non-string node', () => new LWWRegister(bad({})), INVALID],
    ['LWWRegister with null options', () => new LWWRegister('a', bad(null)), INVALID],
    ['LWWRegister with an hlc that is not one', () => new LWWRegister('a', bad({ hlc: {} })), INVALID],
    ['LWWRegister with a clock without now()', () => new LWWRegister('a', bad({ clock: 5 })), INVALID],
    ['LWWRegister with a garbage entry', () => new LWWRegister('a', {}, bad({ value: 1 })), INVALID],
    ['LWWMap with a non-string node', () => new LWWMap(bad(7)), INVALID],
    ['LWWMap with entries that are not a Map', () => new LWWMap('a', {}, bad([])), INVALID],
    ['MVRegister with a non-string node', () => new MVRegister(bad(true)), INVALID],
    ['MVRegister with a garbage state', () => new MVRegister('a', bad({ store: new Map(), context: new DotContext() })), INVALID],
    ['GSet with a non-iterable', () => new GSet(bad(5)), INVALID],
    ['GSet with a string instead of elements', () => new GSet(bad('abc')), INVALID],
    ['GSet with an object element', () => new GSet(bad([{}])), INVALID],
    ['TwoPhaseSet with a non-iterable', () => new TwoPhaseSet(bad(5)), INVALID],
    ['TwoPhaseSet with a NaN removal', () => new TwoPhaseSet([], bad([Number.NaN])), INVALID],
    ['ORSet with a non-string node', () => new ORSet(bad(1)), INVALID],
    ['ORSet with a garbage state', () => new ORSet('a', bad({ store: [], context: {} })), INVALID],
    ['ORMap without a value kind', () => new ORMap('a', bad(undefined)), INVALID],
    ['ORMap with a garbage value kind', () => new ORMap('a', bad(5)), INVALID],
    ['ORMap with a non-string node', () => new ORMap(bad(5), ORSet.kind), INVALID],
    ['ORMap.kindOf a garbage kind', () => ORMap.kindOf(bad({})), INVALID],
    ['SyncProtocol without options', () => new SyncProtocol(bad(undefined)), INVALID],
    ['SyncProtocol with a garbage replica', () => new SyncProtocol(bad({ replica: 5 })), INVALID],
    ['SyncProtocol without an origin', () => new SyncProtocol({ replica: new GSet() }), INVALID],
    ['SyncProtocol with non-iterable peers', () => new SyncProtocol({ replica: new GCounter('a'), peers: bad(5) }), INVALID],
    ['SyncProtocol with an empty peer id', () => new SyncProtocol({ replica: new GCounter('a'), peers: [''] }), INVALID],
    ['SyncProtocol with maxLogEntries 0', () => new SyncProtocol({ replica: new GCounter('a'), maxLogEntries: 0 }), INVALID],
    ['SyncProtocol with maxDeltasPerMessage 1.5', () => new SyncProtocol({ replica: new GCounter('a'), maxDeltasPerMessage: 1.5 }), INVALID],
  ]);
});

describe('mutators and queries', () => {
  const readOnly = () => decodeCrdt(gcounterBytes(), new GCounter('a'));
  run([
    ['GCounter.increment(NaN)', () => new GCounter('a').increment(Number.NaN), INVALID],
    ['GCounter.increment(-1)', () => new GCounter('a').increment(-1), INVALID],
    ['GCounter.increment(1.5)', () => new GCounter('a').increment(1.5), INVALID],
    ['GCounter.increment("1")', () => new GCounter('a').increment(bad('1')), INVALID],
    ['GCounter.increment(Infinity)', () => new GCounter('a').increment(Number.POSITIVE_INFINITY), INVALID],
    ['GCounter.increment of a decoded state', () => readOnly().increment(), READ_ONLY],
    ['GCounter.increment past 2^53 - 1', () => new GCounter('a', new Map([['a', Number.MAX_SAFE_INTEGER]])).increment(), OVERFLOW],
    ['PNCounter.increment(NaN)', () => new PNCounter('a').increment(Number.NaN), INVALID],
    ['PNCounter.decrement(-Infinity)', () => new PNCounter('a').decrement(Number.NEGATIVE_INFINITY), INVALID],
    ['PNCounter.decrement("2")', () => new PNCounter('a').decrement(bad('2')), INVALID],
    ['PNCounter.increment without a node', () => new PNCounter().increment(), READ_ONLY],
    ['PNCounter.decrement past 2^53 - 1', () => new PNCounter('a', new Map(), new Map([['a', Number.MAX_SAFE_INTEGER]])).decrement(), OVERFLOW],
    ['CausalCounter.increment(NaN)', () => new CausalCounter('a').increment(Number.NaN), INVALID],
    ['CausalCounter.increment(0.5)', () => new CausalCounter('a').increment(0.5), INVALID],
    ['CausalCounter.decrement("x")', () => new CausalCounter('a').decrement(bad('x')), INVALID],
    ['CausalCounter.increment without a node', () => new CausalCounter().increment(), READ_ONLY],
    [
      'CausalCounter.increment past 2^53 - 1',
      () => {
        const counter = new CausalCounter('a');
        counter.increment(Number.MAX_SAFE_INTEGER);
        return counter.increment();
      },
      OVERFLOW,
    ],
    ['LWWRegister.set() with nothing', () => new LWWRegister('a').set(bad(undefined)), INVALID],
    ['LWWRegister.set(function)', () => new LWWRegister('a').set(bad(() => 1)), INVALID],
    ['LWWRegister.set(bigint)', () => new LWWRegister('a').set(bad(1n)), INVALID],
    ['LWWRegister.set({ fn }) (not cloneable)', () => new LWWRegister('a').set(bad({ fn: () => 1, n: 1n })), INVALID],
    ['LWWRegister.set without a node', () => new LWWRegister().set(1), READ_ONLY],
    ['LWWMap.set with an object key', () => new LWWMap('a').set(bad({}), 1), INVALID],
    ['LWWMap.set with a NaN key', () => new LWWMap('a').set(bad(Number.NaN), 1), INVALID],
    ['LWWMap.set with no value', () => new LWWMap('a').set('k', bad(undefined)), INVALID],
    ['LWWMap.set without a node', () => new LWWMap().set('k', 1), READ_ONLY],
    ['LWWMap.delete with a null key', () => new LWWMap('a').delete(bad(null)), INVALID],
    ['LWWMap.get with an array key', () => new LWWMap('a').get(bad([])), INVALID],
    ['LWWMap.has with no key', () => new LWWMap('a').has(bad(undefined)), INVALID],
    ['MVRegister.set(symbol)', () => new MVRegister('a').set(bad(Symbol('x'))), INVALID],
    ['MVRegister.set without a node', () => new MVRegister().set(1), READ_ONLY],
    ['GSet.add(object)', () => new GSet().add(bad({})), INVALID],
    ['GSet.add(Infinity)', () => new GSet().add(Number.POSITIVE_INFINITY), INVALID],
    ['GSet.has(null)', () => new GSet().has(bad(null)), INVALID],
    ['TwoPhaseSet.add(undefined)', () => new TwoPhaseSet().add(bad(undefined)), INVALID],
    ['TwoPhaseSet.remove(object)', () => new TwoPhaseSet().remove(bad({})), INVALID],
    ['TwoPhaseSet.has(NaN)', () => new TwoPhaseSet().has(Number.NaN), INVALID],
    ['ORSet.add(object)', () => new ORSet('a').add(bad({})), INVALID],
    ['ORSet.add without a node', () => new ORSet().add('x'), READ_ONLY],
    ['ORSet.remove(null)', () => new ORSet('a').remove(bad(null)), INVALID],
    ['ORSet.has(undefined)', () => new ORSet('a').has(bad(undefined)), INVALID],
    ['ORMap.update with an object key', () => new ORMap('a', ORSet.kind).update(bad({}), (set) => set.add('x')), INVALID],
    ['ORMap.update without a function', () => new ORMap('a', ORSet.kind).update('k', bad('add')), INVALID],
    ['ORMap.update with a callback returning no delta', () => new ORMap('a', ORSet.kind).update('k', (set) => set), INVALID],
    ['ORMap.update without a node', () => new ORMap(undefined, ORSet.kind).update('k', (set) => set.add('x')), READ_ONLY],
    ['ORMap.remove(NaN)', () => new ORMap('a', ORSet.kind).remove(Number.NaN), INVALID],
    ['ORMap.get(null)', () => new ORMap('a', ORSet.kind).get(bad(null)), INVALID],
    ['ORMap.has(object)', () => new ORMap('a', ORSet.kind).has(bad({})), INVALID],
  ]);
});

describe('join with another type or garbage', () => {
  const states: [string, () => Crdt][] = [
    ['GCounter', () => new GCounter('a')],
    ['PNCounter', () => new PNCounter('a')],
    ['CausalCounter', () => new CausalCounter('a')],
    ['LWWRegister', () => new LWWRegister('a')],
    ['LWWMap', () => new LWWMap('a')],
    ['MVRegister', () => new MVRegister('a')],
    ['GSet', () => new GSet()],
    ['TwoPhaseSet', () => new TwoPhaseSet()],
    ['ORSet', () => new ORSet('a')],
    ['ORMap<ORSet>', () => new ORMap('a', ORSet.kind)],
    ['ORMap<MVRegister>', () => new ORMap('a', MVRegister.kind)],
  ];
  const cases: Case[] = [];
  for (const [name, make] of states) {
    for (const [otherName, makeOther] of states) {
      if (otherName !== name) cases.push([`${name}.join(${otherName})`, () => make().join(bad(makeOther())), MISMATCH]);
    }
    for (const garbage of [undefined, null, 5, 'state', {}, { type: make().type }]) {
      cases.push([`${name}.join(${JSON.stringify(garbage) ?? 'undefined'})`, () => make().join(bad(garbage)), MISMATCH]);
    }
  }
  run(cases);

  it('a failed join leaves the replica as it was', () => {
    const set = new ORSet<string>('a');
    set.add('kept');
    const before = JSON.stringify(crdtToJSON(set));
    expectCode(() => set.join(bad(new GCounter('b').increment())), MISMATCH);
    expect(JSON.stringify(crdtToJSON(set))).toBe(before);
  });
});

describe('encodings', () => {
  run([
    ['encodeCrdt(undefined)', () => encodeCrdt(bad(undefined)), INVALID],
    ['encodeCrdt(object)', () => encodeCrdt(bad({ type: { name: 'g-counter' } })), INVALID],
    ['crdtToJSON(null)', () => crdtToJSON(bad(null)), INVALID],
    ['decodeCrdt(string)', () => decodeCrdt(bad('LC')), INVALID],
    ['decodeCrdt(number[])', () => decodeCrdt(bad([0x4c, 0x43, 1, 1, 0, 0])), INVALID],
    ['decodeCrdt with a garbage expected', () => decodeCrdt(gcounterBytes(), bad(5)), INVALID],
    ['decodeCrdt of garbage bytes', () => decodeCrdt(new Uint8Array([9, 9, 9])), DECODE],
    ['decodeCrdt of another type', () => decodeCrdt(gcounterBytes(), new ORSet('a')), MISMATCH],
    ['crdtFromJSON with a garbage expected', () => crdtFromJSON(crdtToJSON(new GCounter('a')), bad('g-counter')), INVALID],
    ['crdtFromJSON of garbage', () => crdtFromJSON({ format: 'nope' }), DECODE],
    ['crdtFromJSON of another type', () => crdtFromJSON(crdtToJSON(new GCounter('a')), new PNCounter('a')), MISMATCH],
    ['mergeEncoded into garbage', () => mergeEncoded(bad({}), gcounterBytes()), INVALID],
    ['mergeEncoded of a string', () => mergeEncoded(new GCounter('a'), bad('bytes')), INVALID],
    ['mergeEncoded of another type', () => mergeEncoded(new ORSet('a'), gcounterBytes()), MISMATCH],
    ['crdtCodec(garbage)', () => crdtCodec(bad(5)), INVALID],
    ['crdtCodec.encode(garbage)', () => crdtCodec(new GCounter('a')).encode(bad(5)), INVALID],
    ['crdtJsonCodec(garbage)', () => crdtJsonCodec(bad(undefined)), INVALID],
    ['crdtJsonCodec.decode(string)', () => crdtJsonCodec(new GCounter('a')).decode(bad('{}')), INVALID],
    ['describeType(undefined)', () => describeType(bad(undefined)), INVALID],
    ['describeType of an unknown name', () => describeType(bad({ name: 'b-tree' })), INVALID],
    ['sameType with garbage', () => sameType({ name: 'g-set' }, bad(5)), INVALID],
    ['DotContext.fromJSON(garbage)', () => DotContext.fromJSON([1, 2]), DECODE],
  ]);
});

describe('DotContext', () => {
  run([
    ['add with counter 0', () => new DotContext().add('a', 0), INVALID],
    ['add with a fractional counter', () => new DotContext().add('a', 1.5), INVALID],
    ['add with a NaN counter', () => new DotContext().add('a', Number.NaN), INVALID],
    ['add with an empty node', () => new DotContext().add('', 1), INVALID],
    ['add with a non-string node', () => new DotContext().add(bad(5), 1), INVALID],
    ['has with a non-string node', () => new DotContext().has(bad(5), 1), INVALID],
    ['has without a counter', () => new DotContext().has('a', bad(undefined)), INVALID],
    ['hasDot(null)', () => new DotContext().hasDot(bad(null)), INVALID],
    ['max(undefined)', () => new DotContext().max(bad(undefined)), INVALID],
    ['contiguous(5)', () => new DotContext().contiguous(bad(5)), INVALID],
    ['next("")', () => new DotContext().next(''), INVALID],
    [
      'next past 2^53 - 1',
      () => {
        const context = new DotContext();
        context.add('a', Number.MAX_SAFE_INTEGER);
        return context.next('a');
      },
      OVERFLOW,
    ],
    ['join(garbage)', () => new DotContext().join(bad({})), INVALID],
    ['includes(garbage)', () => new DotContext().includes(bad(undefined)), INVALID],
    ['missingFrom(garbage)', () => new DotContext().missingFrom(bad(5)), INVALID],
    ['missingFrom with a negative limit', () => new DotContext().missingFrom(new DotContext(), -1), INVALID],
  ]);
});

describe('sync messages and SyncProtocol', () => {
  const protocol = () => new SyncProtocol({ replica: new GCounter('a') });
  const digest = { type: 'digest', have: new DotContext(), reply: false } as const;
  run([
    ['encodeSyncMessage with a non-string topic', () => encodeSyncMessage(bad(5), digest), INVALID],
    ['encodeSyncMessage of garbage', () => encodeSyncMessage('t', bad({ type: 'gossip' })), INVALID],
    ['encodeSyncMessage of a digest without have', () => encodeSyncMessage('t', bad({ type: 'digest', reply: false })), INVALID],
    ['encodeSyncMessage of a delta with seq 0', () => encodeSyncMessage('t', bad({ type: 'deltas', entries: [{ origin: 'a', seq: 0, delta: new GCounter() }] })), INVALID],
    ['encodeSyncMessage of a garbage delta', () => encodeSyncMessage('t', bad({ type: 'deltas', entries: [{ origin: 'a', seq: 1, delta: {} }] })), INVALID],
    ['decodeSyncMessage of a string', () => decodeSyncMessage(bad('LS'), new GCounter('a')), INVALID],
    ['decodeSyncMessage with a garbage like', () => decodeSyncMessage(encodeSyncMessage('t', digest), bad(null)), INVALID],
    ['readSyncTopic(undefined)', () => readSyncTopic(bad(undefined)), INVALID],
    ['SyncProtocol.commit(garbage)', () => protocol().commit(bad(5)), MISMATCH],
    ['SyncProtocol.commit of another type', () => protocol().commit(bad(new ORSet('a').add('x'))), MISMATCH],
    ['SyncProtocol.step from an empty id', () => protocol().step('', digest), INVALID],
    ['SyncProtocol.step(null)', () => protocol().step('b', bad(null)), INVALID],
    ['SyncProtocol.step of an unknown type', () => protocol().step('b', bad({ type: 'gossip' })), INVALID],
    ['SyncProtocol.step of a digest with garbage have', () => protocol().step('b', bad({ type: 'digest', have: {}, reply: false })), INVALID],
    ['SyncProtocol.step of deltas that are not an array', () => protocol().step('b', bad({ type: 'deltas', entries: 5 })), INVALID],
    ['SyncProtocol.step of a delta with seq -1', () => protocol().step('b', bad({ type: 'deltas', entries: [{ origin: 'b', seq: -1, delta: new GCounter() }] })), INVALID],
    ['SyncProtocol.step of a state of another type', () => protocol().step('b', bad({ type: 'state', have: new DotContext(), state: new GSet() })), MISMATCH],
    ['SyncProtocol.digestFor("")', () => protocol().digestFor(''), INVALID],
    ['SyncProtocol.digestFor with a non-boolean reply', () => protocol().digestFor('b', bad('yes')), INVALID],
    ['SyncProtocol.addPeer(5)', () => protocol().addPeer(bad(5)), INVALID],
    ['SyncProtocol.removePeer(undefined)', () => protocol().removePeer(bad(undefined)), INVALID],
    ['SyncProtocol.forget with seq 0', () => protocol().forget('a', 0), INVALID],
    ['SyncProtocol.tick(NaN)', () => protocol().tick(Number.NaN), INVALID],
    ['SyncProtocol with intervalMs 0', () => new SyncProtocol({ replica: new GCounter('a'), intervalMs: 0 }), INVALID],
  ]);

  it('a deltas message with one bad entry applies none of them', () => {
    const sync = protocol();
    const good = new GCounter('b').increment(3);
    expectCode(() => sync.step('b', bad({ type: 'deltas', entries: [{ origin: 'b', seq: 1, delta: good }, { origin: 'b', seq: 2, delta: new GSet() }] })), MISMATCH);
    expect(sync.replica.value()).toBe(0);
    expect(sync.have.has('b', 1)).toBe(false);
    expect(sync.hasReady()).toBe(false);
  });
});

describe('CrdtSync', () => {
  const setup = async () => {
    const clock = new ManualClock();
    const network = new MemoryNetwork({ timers: clock });
    const endpoint = await network.open('a');
    return { clock, network, endpoint };
  };
  const options = (endpoint: Endpoint, clock: ManualClock) => ({ endpoint, replica: new GCounter('a'), timers: clock });

  it('constructor options', async () => {
    const { clock, network, endpoint } = await setup();
    const base = options(endpoint, clock);
    const cases: Case[] = [
      ['no options', () => new CrdtSync(bad(undefined)), INVALID],
      ['no endpoint', () => new CrdtSync(bad({ replica: new GCounter('a') })), INVALID],
      ['a garbage endpoint', () => new CrdtSync(bad({ ...base, endpoint: { id: 'a' } })), INVALID],
      ['no replica', () => new CrdtSync(bad({ endpoint, timers: clock })), INVALID],
      ['a garbage replica', () => new CrdtSync(bad({ ...base, replica: { type: { name: 'g-counter' } } })), INVALID],
      ['garbage timers', () => new CrdtSync(bad({ ...base, timers: {} })), INVALID],
      ['a non-string topic', () => new CrdtSync(bad({ ...base, topic: 5 })), INVALID],
      ['non-iterable peers', () => new CrdtSync(bad({ ...base, peers: 5 })), INVALID],
      ['an empty peer id', () => new CrdtSync({ ...base, peers: [''] }), INVALID],
      ['intervalMs NaN', () => new CrdtSync({ ...base, intervalMs: Number.NaN }), INVALID],
      ['intervalMs -1', () => new CrdtSync({ ...base, intervalMs: -1 }), INVALID],
      ['intervalMs as a string', () => new CrdtSync(bad({ ...base, intervalMs: '100' })), INVALID],
      ['an empty origin', () => new CrdtSync({ ...base, origin: '' }), INVALID],
      ['maxLogEntries NaN', () => new CrdtSync({ ...base, maxLogEntries: Number.NaN }), INVALID],
      ['maxDeltasPerMessage -1', () => new CrdtSync({ ...base, maxDeltasPerMessage: -1 }), INVALID],
      ['a clock without monotonic', () => new CrdtSync(bad({ ...base, clock: { now: () => 0 } })), INVALID],
    ];
    for (const [name, call, error] of cases) {
      try {
        expectCode(call, error);
      } catch (failure) {
        throw new Error(`CrdtSync constructor with ${name}: ${String(failure)}`);
      }
    }
    // None of the refused constructions attached to the endpoint or started a timer.
    expect(clock.pendingTimers).toBe(0);
    await network.close();
  });

  it('methods', async () => {
    const { clock, network, endpoint } = await setup();
    const sync = new CrdtSync(options(endpoint, clock));
    expectCode(() => sync.update(bad('increment')), INVALID);
    expectCode(() => sync.update(() => bad(5)), MISMATCH);
    expectCode(() => sync.update(() => bad(new GSet().add('x'))), MISMATCH);
    expectCode(() => sync.commit(bad(undefined)), MISMATCH);
    expectCode(() => sync.addPeer(''), INVALID);
    expectCode(() => sync.removePeer(bad(5)), INVALID);
    expectCode(() => sync.onChange(bad(5)), INVALID);
    expectCode(() => sync.onError(bad(null)), INVALID);
    expect(sync.protocol.logSize).toBe(0);
    await sync.close();
    expectCode(() => sync.update((counter) => counter.increment()), CLOSED);
    expectCode(() => sync.commit(new GCounter('a').increment()), CLOSED);
    expectCode(() => sync.addPeer('b'), CLOSED);
    await network.close();
  });
});
