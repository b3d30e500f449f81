import type { Clock } from '@lattice/core';
import { ManualClock } from '@lattice/core/testing';
import { MemoryNetwork } from '@lattice/transport';
import fc from 'fast-check';
import {
  CausalCounter,
  type Crdt,
  CrdtSync,
  type CrdtSyncOptions,
  crdtToJSON,
  GCounter,
  GSet,
  LWWMap,
  LWWRegister,
  MVRegister,
  ORMap,
  ORSet,
  PNCounter,
  TwoPhaseSet,
} from '../src/index.js';

/** A CRDT type under test: how to make a replica and which mutations to try. */
export interface TypeSpec {
  name: string;
  create(node: string, clock: Clock): Crdt;
  /** A mutation: applies itself to the replica and returns the delta. */
  op: fc.Arbitrary<(replica: Crdt) => Crdt>;
}

const element = fc.constantFrom('a', 'b', 'ünï', 'x'.repeat(50) + 'é', 1, 2.5, true);
const key = fc.constantFrom('x', 'y', 'z');
const json = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom('r', 's', null), fc.constant({ k: [1, 'v'] }));
const amount = fc.integer({ min: 0, max: 5 });

type Op<C> = fc.Arbitrary<(replica: C) => Crdt>;
const op = <C>(arbitrary: Op<C>) => arbitrary as unknown as fc.Arbitrary<(replica: Crdt) => Crdt>;

const orSetOps = fc.oneof(
  { weight: 3, arbitrary: element.map((e) => (s: ORSet) => s.add(e)) },
  { weight: 2, arbitrary: element.map((e) => (s: ORSet) => s.remove(e)) },
  { weight: 1, arbitrary: fc.constant((s: ORSet) => s.clear()) },
);
const mvOps = fc.oneof(
  { weight: 4, arbitrary: json.map((v) => (r: MVRegister) => r.set(v)) },
  { weight: 1, arbitrary: fc.constant((r: MVRegister) => r.clear()) },
);
const ccOps = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -5, max: 5 }).map((n) => (c: CausalCounter) => c.increment(n)) },
  { weight: 1, arbitrary: fc.constant((c: CausalCounter) => c.reset()) },
);

export const specs: TypeSpec[] = [
  { name: 'GCounter', create: (node) => new GCounter(node), op: op(amount.map((n) => (c: GCounter) => c.increment(n))) },
  {
    name: 'PNCounter',
    create: (node) => new PNCounter(node),
    op: op(fc.integer({ min: -5, max: 5 }).map((n) => (c: PNCounter) => c.increment(n))),
  },
  {
    name: 'LWWRegister',
    create: (node, clock) => new LWWRegister(node, { clock }),
    op: op(json.map((v) => (r: LWWRegister) => r.set(v))),
  },
  { name: 'MVRegister', create: (node) => new MVRegister(node), op: op(mvOps) },
  { name: 'GSet', create: () => new GSet(), op: op(element.map((e) => (s: GSet) => s.add(e))) },
  {
    name: 'TwoPhaseSet',
    create: () => new TwoPhaseSet(),
    op: op(
      fc.oneof(
        element.map((e) => (s: TwoPhaseSet) => s.add(e)),
        element.map((e) => (s: TwoPhaseSet) => s.remove(e)),
      ),
    ),
  },
  { name: 'ORSet', create: (node) => new ORSet(node), op: op(orSetOps) },
  {
    name: 'LWWMap',
    create: (node, clock) => new LWWMap(node, { clock }),
    op: op(
      fc.oneof(
        { weight: 3, arbitrary: fc.tuple(key, json).map(([k, v]) => (m: LWWMap) => m.set(k, v)) },
        { weight: 1, arbitrary: key.map((k) => (m: LWWMap) => m.delete(k)) },
      ),
    ),
  },
  { name: 'CausalCounter', create: (node) => new CausalCounter(node), op: op(ccOps) },
  {
    name: 'ORMap<ORSet>',
    create: (node) => new ORMap(node, ORSet.kind),
    op: op(
      fc.oneof(
        { weight: 3, arbitrary: fc.tuple(key, orSetOps).map(([k, f]) => (m: ORMap<string, ORSet>) => m.update(k, f)) },
        { weight: 1, arbitrary: key.map((k) => (m: ORMap<string, ORSet>) => m.remove(k)) },
      ),
    ),
  },
  {
    name: 'ORMap<ORMap<MVRegister|CausalCounter>>',
    create: (node) => new ORMap(node, ORMap.kindOf(MVRegister.kind)),
    op: op(
      fc.oneof(
        {
          weight: 3,
          arbitrary: fc
            .tuple(key, key, mvOps)
            .map(([k, j, f]) => (m: ORMap<string, ORMap<string, MVRegister>>) => m.update(k, (inner) => inner.update(j, f))),
        },
        { weight: 1, arbitrary: fc.tuple(key, key).map(([k, j]) => (m: ORMap<string, ORMap<string, MVRegister>>) => m.update(k, (inner) => inner.remove(j))) },
        { weight: 1, arbitrary: key.map((k) => (m: ORMap<string, ORMap<string, MVRegister>>) => m.remove(k)) },
      ),
    ),
  },
  {
    name: 'ORMap<CausalCounter>',
    create: (node) => new ORMap(node, CausalCounter.kind),
    op: op(fc.tuple(key, ccOps).map(([k, f]) => (m: ORMap<string, CausalCounter>) => m.update(k, f))),
  },
];

/** Canonical form of a state: equal states give equal strings. */
export function canonical(crdt: Crdt): string {
  return JSON.stringify(crdtToJSON(crdt).state);
}

/** A step of a random replicated history. */
export type Step = { kind: 'op'; replica: number; op: (replica: Crdt) => Crdt } | { kind: 'merge'; into: number; from: number } | { kind: 'tick' };

export function steps(spec: TypeSpec, replicas: number, maxLength = 25): fc.Arbitrary<Step[]> {
  const index = fc.integer({ min: 0, max: replicas - 1 });
  return fc.array(
    fc.oneof(
      { weight: 5, arbitrary: fc.tuple(index, spec.op).map(([replica, f]): Step => ({ kind: 'op', replica, op: f })) },
      { weight: 2, arbitrary: fc.tuple(index, index).map(([into, from]): Step => ({ kind: 'merge', into, from })) },
      { weight: 1, arbitrary: fc.constant<Step>({ kind: 'tick' }) },
    ),
    { maxLength },
  );
}

/** A controllable wall clock for the LWW types. */
export function steppingClock(): Clock & { tick(): void } {
  let now = 1_700_000_000_000;
  return { now: () => now, monotonic: () => now, tick: () => void (now += 1) };
}

/** Runs a history: returns the replicas, every delta produced, and snapshots of states along the way. */
export function run(spec: TypeSpec, count: number, history: Step[]): { replicas: Crdt[]; deltas: Crdt[]; snapshots: Crdt[] } {
  const clock = steppingClock();
  const replicas = Array.from({ length: count }, (_, i) => spec.create(`n${i}`, clock));
  const deltas: Crdt[] = [];
  const snapshots: Crdt[] = [];
  for (const step of history) {
    if (step.kind === 'op') deltas.push(step.op(replicas[step.replica]!));
    else if (step.kind === 'merge') replicas[step.into]!.join(replicas[step.from]!.clone());
    else clock.tick();
    snapshots.push(replicas[step.kind === 'op' ? step.replica : step.kind === 'merge' ? step.into : 0]!.clone());
  }
  return { replicas, deltas, snapshots };
}

/** Replicas of `spec`, one per node, each syncing with all the others over one seeded MemoryNetwork under a ManualClock. */
export async function syncCluster(
  spec: TypeSpec,
  nodes: readonly string[],
  seed: number,
  options: Partial<Pick<CrdtSyncOptions<Crdt>, 'intervalMs' | 'maxLogEntries' | 'maxDeltasPerMessage'>> = {},
): Promise<{ clock: ManualClock; network: MemoryNetwork; syncs: CrdtSync<Crdt>[] }> {
  const clock = new ManualClock();
  const network = new MemoryNetwork({ timers: clock, seed });
  const syncs: CrdtSync<Crdt>[] = [];
  for (const node of nodes) {
    syncs.push(
      new CrdtSync({
        endpoint: await network.open(node),
        replica: spec.create(node, clock),
        origin: node,
        peers: nodes.filter((peer) => peer !== node),
        timers: clock,
        intervalMs: 100,
        ...options,
      }),
    );
  }
  return { clock, network, syncs };
}
