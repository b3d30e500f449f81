/**
 * Counters, registers, sets and maps against `delta-crdts` (the delta-state CRDT library of
 * Almeida et al.'s design), side by side in one process: delta merge throughput, full-state
 * merge, and encode/decode throughput (ours: the binary format; theirs: their msgpack codec).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type BenchResult, opsPerSecond, result } from '@lattice/bench-kit';
import {
  type Crdt,
  decodeCrdt,
  encodeCrdt,
  GCounter,
  LWWRegister,
  MVRegister,
  ORMap,
  ORSet,
  PNCounter,
} from '../src/index.js';

const require = createRequire(import.meta.url);

interface DeltaReplica {
  apply(delta: unknown): unknown;
  state(): unknown;
  value(): unknown;
  [mutator: string]: unknown;
}
type DeltaType = ((id: string) => DeltaReplica) & { join?: (a: unknown, b: unknown) => unknown };
const deltaCrdts = require('delta-crdts') as ((name: string) => DeltaType) & { type(name: string): { join(a: unknown, b: unknown): unknown } };
const msgpack = require('delta-crdts-msgpack-codec') as { encode(value: unknown): Uint8Array; decode(bytes: Uint8Array): unknown };

function peerName(): string {
  const pkg = JSON.parse(readFileSync(require.resolve('delta-crdts/package.json'), 'utf8')) as { version: string };
  return `delta-crdts@${pkg.version}`;
}

type Mutate<R> = (replica: R, i: number) => unknown;

/** Builds `count` deltas by mutating `writers` replicas in turn. */
function makeDeltas<R>(writers: R[], count: number, mutate: Mutate<R>): unknown[] {
  const deltas: unknown[] = [];
  for (let i = 0; i < count; i++) deltas.push(mutate(writers[i % writers.length]!, i));
  return deltas;
}

async function deltaMerge(
  name: string,
  peer: string,
  count: number,
  ours: { create(node: string): Crdt; mutate: Mutate<Crdt> },
  theirs: { type: string; mutate: Mutate<DeltaReplica> },
  rounds = 5,
): Promise<BenchResult> {
  const writers = ['w1', 'w2', 'w3', 'w4'];
  const oursDeltas = makeDeltas(
    writers.map((w) => ours.create(w)),
    count,
    ours.mutate,
  ) as Crdt[];
  const Type = deltaCrdts(theirs.type);
  const theirDeltas = makeDeltas(
    writers.map((w) => Type(w)),
    count,
    theirs.mutate,
  );
  let sink = 0;
  const rates = await opsPerSecond(
    (n) => {
      const receiver = ours.create('r');
      for (let i = 0; i < n; i++) receiver.join(oursDeltas[i % count]!);
      sink += receiver.value() === undefined ? 0 : 1;
    },
    (n) => {
      const receiver = Type('r');
      for (let i = 0; i < n; i++) receiver.apply(theirDeltas[i % count]);
      sink += receiver.value() === undefined ? 0 : 1;
    },
    { iterations: count, rounds, warmup: 1 },
  );
  if (sink < 0) console.log(sink);
  return result({ case: name, unit: 'deltas/s', betterIs: 'higher', ours: rates.ours, peer, peerValue: rates.peer!, note: `${count} deltas from 4 writers` });
}

export async function catalogueBenchmarks(): Promise<BenchResult[]> {
  const peer = peerName();
  const rows: BenchResult[] = [];
  const log = (row: BenchResult) => {
    rows.push(row);
    console.log(`${row.case}: ours ${row.ours.toFixed(0)} ${row.unit}, ${row.peer} ${row.peerValue?.toFixed(0)} (${row.ratio}x)`);
  };

  log(
    await deltaMerge(
      'g-counter delta merge',
      peer,
      20_000,
      { create: (n) => new GCounter(n), mutate: (c) => (c as GCounter).increment() },
      { type: 'gcounter', mutate: (c) => (c.inc as () => unknown)() },
    ),
  );
  log(
    await deltaMerge(
      'pn-counter delta merge',
      peer,
      20_000,
      { create: (n) => new PNCounter(n), mutate: (c, i) => (i % 3 === 0 ? (c as PNCounter).decrement() : (c as PNCounter).increment()) },
      { type: 'pncounter', mutate: (c, i) => (i % 3 === 0 ? (c.dec as () => unknown)() : (c.inc as () => unknown)()) },
    ),
  );
  log(
    await deltaMerge(
      'lww-register delta merge',
      peer,
      20_000,
      { create: (n) => new LWWRegister(n), mutate: (r, i) => (r as LWWRegister).set(i) },
      { type: 'lwwreg', mutate: (r, i) => (r.write as (v: unknown) => unknown)(i) },
    ),
  );
  log(
    await deltaMerge(
      'mv-register delta merge',
      peer,
      5_000,
      { create: (n) => new MVRegister(n), mutate: (r, i) => (r as MVRegister).set(i) },
      { type: 'mvreg', mutate: (r, i) => (r.write as (v: unknown) => unknown)(i) },
    ),
  );
  log(
    await deltaMerge(
      'or-set add delta merge (1.5k elements)',
      peer,
      1_500,
      { create: (n) => new ORSet(n), mutate: (s, i) => (s as ORSet).add(`e${i}`) },
      { type: 'aworset', mutate: (s, i) => (s.add as (v: unknown) => unknown)(`e${i}`) },
      3,
    ),
  );
  log(
    await deltaMerge(
      'or-set add+remove delta merge (1k)',
      peer,
      1_000,
      { create: (n) => new ORSet(n), mutate: (s, i) => (i % 4 === 3 ? (s as ORSet).remove(`e${i - 1}`) : (s as ORSet).add(`e${i}`)) },
      { type: 'aworset', mutate: (s, i) => (i % 4 === 3 ? (s.remove as (v: unknown) => unknown)(`e${i - 1}`) : (s.add as (v: unknown) => unknown)(`e${i}`)) },
      3,
    ),
  );
  log(
    await deltaMerge(
      'or-map<or-set> update delta merge (2k)',
      peer,
      2_000,
      { create: (n) => new ORMap(n, ORSet.kind), mutate: (m, i) => (m as ORMap<string, ORSet>).update(`k${i % 200}`, (s) => s.add(`v${i}`)) },
      { type: 'ormap', mutate: (m, i) => (m.applySub as (...args: unknown[]) => unknown)(`k${i % 200}`, 'aworset', 'add', `v${i}`) },
    ),
  );

  // Full-state merge of two 2k-element OR-Sets with 1k elements in common.
  {
    const size = 2000;
    const [a, b] = [new ORSet<string>('a'), new ORSet<string>('b')];
    const Type = deltaCrdts('aworset');
    const [ta, tb] = [Type('a'), Type('b')];
    for (let i = 0; i < size; i++) {
      a.add(`e${i}`);
      b.add(`e${i + size / 2}`);
      (ta.add as (v: string) => unknown)(`e${i}`);
      (tb.add as (v: string) => unknown)(`e${i + size / 2}`);
    }
    const join = deltaCrdts.type('aworset').join;
    const rates = await opsPerSecond(
      (n) => {
        for (let i = 0; i < n; i++) a.clone().join(b);
      },
      (n) => {
        for (let i = 0; i < n; i++) join(ta.state(), tb.state());
      },
      { iterations: 20, rounds: 5, warmup: 1 },
    );
    log(result({ case: 'or-set full-state merge (2k+2k)', unit: 'merges/s', betterIs: 'higher', ours: rates.ours, peer, peerValue: rates.peer!, note: 'ours includes a clone' }));
  }

  // Encode / decode of a 10k-element OR-Set state and a 1k-node PN-Counter.
  {
    const size = 10_000;
    const ours = new ORSet<string>('a');
    const Type = deltaCrdts('aworset');
    const theirs = Type('a');
    for (let i = 0; i < size; i++) {
      ours.add(`element-${i}`);
      (theirs.add as (v: string) => unknown)(`element-${i}`);
    }
    const ourBytes = encodeCrdt(ours);
    const theirBytes = msgpack.encode(theirs.state());
    const encodeRates = await opsPerSecond(
      (n) => {
        for (let i = 0; i < n; i++) encodeCrdt(ours);
      },
      (n) => {
        for (let i = 0; i < n; i++) msgpack.encode(theirs.state());
      },
      { iterations: 10, rounds: 5, warmup: 1 },
    );
    log(
      result({
        case: 'or-set encode (10k elements)',
        unit: 'states/s',
        betterIs: 'higher',
        ours: encodeRates.ours,
        peer: `${peer} + delta-crdts-msgpack-codec`,
        peerValue: encodeRates.peer!,
        note: `ours ${ourBytes.length} B, theirs ${theirBytes.length} B`,
      }),
    );
    const decodeRates = await opsPerSecond(
      (n) => {
        for (let i = 0; i < n; i++) decodeCrdt(ourBytes);
      },
      (n) => {
        for (let i = 0; i < n; i++) msgpack.decode(theirBytes);
      },
      { iterations: 10, rounds: 5, warmup: 1 },
    );
    log(
      result({
        case: 'or-set decode (10k elements)',
        unit: 'states/s',
        betterIs: 'higher',
        ours: decodeRates.ours,
        peer: `${peer} + delta-crdts-msgpack-codec`,
        peerValue: decodeRates.peer!,
      }),
    );
    log(
      result({
        case: 'or-set encoded size (10k elements)',
        unit: 'bytes',
        betterIs: 'lower',
        ours: ourBytes.length,
        peer: `${peer} + delta-crdts-msgpack-codec`,
        peerValue: theirBytes.length,
      }),
    );
  }
  {
    const ours = new PNCounter();
    const Type = deltaCrdts('pncounter');
    const theirs = Type('x');
    for (let i = 0; i < 1000; i++) {
      ours.join(new PNCounter(`node-${i}`).increment(i + 1));
      theirs.apply((Type(`node-${i}`).inc as () => unknown)());
    }
    const rates = await opsPerSecond(
      (n) => {
        for (let i = 0; i < n; i++) encodeCrdt(ours);
      },
      (n) => {
        for (let i = 0; i < n; i++) msgpack.encode(theirs.state());
      },
      { iterations: 200, rounds: 5, warmup: 1 },
    );
    log(
      result({
        case: 'pn-counter encode (1k nodes)',
        unit: 'states/s',
        betterIs: 'higher',
        ours: rates.ours,
        peer: `${peer} + delta-crdts-msgpack-codec`,
        peerValue: rates.peer!,
        note: `ours ${encodeCrdt(ours).length} B, theirs ${msgpack.encode(theirs.state()).length} B`,
      }),
    );
  }
  return rows;
}
