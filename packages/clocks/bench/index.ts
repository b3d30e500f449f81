// Side-by-side benchmark: `npm run bench -w @lattice/clocks`. Writes bench/results.json.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Timestamp, makeClock, setClock } from '@actual-app/crdt';
import { type BenchResult, opsPerSecond, report, result } from '@lattice/bench-kit';
import { cachedSystemClock } from '@lattice/core';
import * as thing from '@thi.ng/vclock';
import vectorclock from 'vectorclock';
import { formatHlc, type HlcTimestamp, HybridLogicalClock, hlcFromBytes, hlcToBytes, LogicalOverflowError, parseHlc, VectorClock } from '../src/index.js';

const require = createRequire(import.meta.url);
/** `name@version` of an installed peer (found by walking up from its entry; some hide package.json from exports). */
function peerName(pkg: string): string {
  let dir = dirname(require.resolve(pkg));
  for (;;) {
    try {
      const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version: string };
      if (json.name === pkg) return `${pkg}@${json.version}`;
    } catch {
      // no package.json at this level
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the version of ${pkg}`);
    dir = parent;
  }
}

const ACTUAL = peerName('@actual-app/crdt');
const VECTORCLOCK = peerName('vectorclock');
const THING = peerName('@thi.ng/vclock');
const results: BenchResult[] = [];
let sink: unknown;

/** Polls until the shared cached clock's ticker thread has written (it starts in the background). */
async function cachedClockReady() {
  const clock = cachedSystemClock();
  for (let i = 0; i < 1000 && !clock.cached; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!clock.cached) throw new Error('cachedSystemClock did not start');
  return clock;
}

async function hlcCases(): Promise<void> {
  const iterations = 200_000;
  const cached = await cachedClockReady();
  // What a clock read costs: the floor under every HLC operation below.
  let total = 0;
  const read = await opsPerSecond(
    (n) => {
      for (let i = 0; i < n; i++) total += cached.now();
    },
    (n) => {
      for (let i = 0; i < n; i++) total += Date.now();
    },
    { iterations: iterations * 5 },
  );
  sink = total;
  results.push(
    result({ case: 'clock read', unit: 'ops/s', betterIs: 'higher', ours: read.ours, peer: 'Date.now', peerValue: read.peer!, note: 'cachedSystemClock().now() vs Date.now()' }),
  );

  // Ours on the system clock (the default) and on the cached clock (the hot-path option); the
  // peer reads Date.now() inside Timestamp.send/recv and takes no clock.
  const ours = new HybridLogicalClock({ node: 'bench-node-a' });
  const oursCached = new HybridLogicalClock({ node: 'bench-node-a', clock: cached });
  // The peer keeps its clock in module state; give it the same node-id length.
  setClock(makeClock(new Timestamp(0, 0, '00bench-node-a')));

  // Each loop issues exactly n timestamps. On the cached clock ours can exceed 65,536 events in
  // one millisecond (the 16-bit logical counter's capacity, ~65M/s): such a call throws
  // LogicalOverflowError and is retried, so the figure is timestamps actually issued per second.
  // The peer's loop has the same shape (retrying its own OverflowError), so neither side's loop
  // is compiled differently.
  for (const [label, clock] of [
    ['hlc.now', ours],
    ['hlc.now, cachedSystemClock', oursCached],
  ] as const) {
    const now = await opsPerSecond(
      (n) => {
        for (let i = 0; i < n; ) {
          try {
            sink = clock.now();
            i++;
          } catch (error) {
            if (!(error instanceof LogicalOverflowError)) throw error;
          }
        }
      },
      (n) => {
        for (let i = 0; i < n; ) {
          try {
            sink = Timestamp.send();
            i++;
          } catch (error) {
            if (!(error instanceof Timestamp.OverflowError)) throw error;
          }
        }
      },
      { iterations },
    );
    results.push(result({ case: label, unit: 'ops/s', betterIs: 'higher', ours: now.ours, peer: ACTUAL, peerValue: now.peer! }));
  }

  // Remote timestamps from 25 ms behind to 1 ms ahead of local time. (Further ahead, a
  // benchmark loop of millions of receives per second would push more than 65,535 events into
  // one wall-clock millisecond and overflow the logical counter, which no live cluster does.)
  const base = Date.now();
  const remotesOurs: HlcTimestamp[] = [];
  const remotesPeer: Timestamp[] = [];
  for (let i = 0; i < 1024; i++) {
    const wallTime = base + ((i * 7) % 27) - 25;
    remotesOurs.push({ wallTime, logical: i % 8, node: 'bench-node-b' });
    remotesPeer.push(new Timestamp(wallTime, i % 8, '00bench-node-b'));
  }
  for (const [label, clock] of [
    ['hlc.update', ours],
    ['hlc.update, cachedSystemClock', oursCached],
  ] as const) {
    const update = await opsPerSecond(
      (n) => {
        for (let i = 0; i < n; ) {
          try {
            sink = clock.update(remotesOurs[i & 1023]!);
            i++;
          } catch (error) {
            if (!(error instanceof LogicalOverflowError)) throw error;
          }
        }
      },
      (n) => {
        for (let i = 0; i < n; ) {
          try {
            sink = Timestamp.recv(remotesPeer[i & 1023]!);
            i++;
          } catch (error) {
            if (!(error instanceof Timestamp.OverflowError)) throw error;
          }
        }
      },
      { iterations },
    );
    results.push(result({ case: label, unit: 'ops/s', betterIs: 'higher', ours: update.ours, peer: ACTUAL, peerValue: update.peer! }));
  }

  // Both call Date.now() once per operation, and on this machine that read alone costs ~170 ns,
  // which bounds both. These rows replace Date.now with a counter for both, to show what each
  // library adds on top of the clock read.
  const realNow = Date.now;
  let fake = base;
  Date.now = () => (fake += 1);
  const oursFake = new HybridLogicalClock({ node: 'bench-node-a', maxOffsetMs: Number.POSITIVE_INFINITY });
  setClock(makeClock(new Timestamp(0, 0, '00bench-node-a')));
  const nowFast = await opsPerSecond(
    (n) => {
      for (let i = 0; i < n; i++) sink = oursFake.now();
    },
    (n) => {
      for (let i = 0; i < n; i++) sink = Timestamp.send();
    },
    { iterations },
  );
  const updateFast = await opsPerSecond(
    (n) => {
      for (let i = 0; i < n; i++) sink = oursFake.update(remotesOurs[i & 1023]!);
    },
    (n) => {
      for (let i = 0; i < n; i++) sink = Timestamp.recv(remotesPeer[i & 1023]!);
    },
    { iterations },
  );
  Date.now = realNow;
  const note = 'Date.now stubbed for both';
  results.push(result({ case: 'hlc.now (clock read excluded)', unit: 'ops/s', betterIs: 'higher', ours: nowFast.ours, peer: ACTUAL, peerValue: nowFast.peer!, note }));
  results.push(
    result({ case: 'hlc.update (clock read excluded)', unit: 'ops/s', betterIs: 'higher', ours: updateFast.ours, peer: ACTUAL, peerValue: updateFast.peer!, note }),
  );

  const encode = await opsPerSecond(
    (n) => {
      for (let i = 0; i < n; i++) sink = formatHlc(remotesOurs[i & 1023]!);
    },
    (n) => {
      for (let i = 0; i < n; i++) sink = remotesPeer[i & 1023]!.toString();
    },
    { iterations },
  );
  results.push(
    result({ case: 'hlc.encode (string)', unit: 'ops/s', betterIs: 'higher', ours: encode.ours, peer: ACTUAL, peerValue: encode.peer! }),
  );

  const stringsOurs = remotesOurs.map(formatHlc);
  const stringsPeer = remotesPeer.map((t) => t.toString());
  const decode = await opsPerSecond(
    (n) => {
      for (let i = 0; i < n; i++) sink = parseHlc(stringsOurs[i & 1023]!);
    },
    (n) => {
      for (let i = 0; i < n; i++) sink = Timestamp.parse(stringsPeer[i & 1023]!);
    },
    { iterations },
  );
  results.push(
    result({ case: 'hlc.decode (string)', unit: 'ops/s', betterIs: 'higher', ours: decode.ours, peer: ACTUAL, peerValue: decode.peer! }),
  );

  // The peer has no binary form: these rows have no peer.
  const buffer = new Uint8Array(8);
  const bytes = await opsPerSecond(
    (n) => {
      for (let i = 0; i < n; i++) sink = hlcFromBytes(hlcToBytes(remotesOurs[i & 1023]!, buffer), 'bench-node-b');
    },
    undefined,
    { iterations },
  );
  results.push(result({ case: 'hlc.toBytes + fromBytes', unit: 'ops/s', betterIs: 'higher', ours: bytes.ours, peer: null }));
}

/** Two clocks over the same `size` members, built independently (no shared internals), b = a + one tick. */
function makeClocks(size: number) {
  const ids = Array.from({ length: size }, (_, i) => `node-${String(i).padStart(4, '0')}`);
  const json: Record<string, number> = {};
  for (let i = 0; i < size; i++) json[ids[i]!] = 1 + ((i * 31) % 97);
  const jsonB = { ...json, [ids[size - 1]!]: json[ids[size - 1]!]! + 1 };
  // A concurrent pair for merge: each is ahead on a different entry.
  const jsonC = { ...json, [ids[0]!]: json[ids[0]!]! + 5 };
  return {
    ids,
    ours: { a: VectorClock.from(json), b: VectorClock.fromJSON(JSON.stringify(jsonB)), c: VectorClock.fromJSON(JSON.stringify(jsonC)) },
    plain: { a: { ...json }, b: { ...jsonB }, c: { ...jsonC } },
  };
}

async function vectorCases(size: number): Promise<void> {
  const iterations = size >= 128 ? 50_000 : 200_000;
  const { ids, ours, plain } = makeClocks(size);
  const own = ids[size >> 1]!;
  const peers: [string, { increment: (n: number) => void; merge: (n: number) => void; compare: (n: number) => void }][] = [
    [
      VECTORCLOCK,
      {
        increment: (n) => {
          const clock = { ...plain.a };
          for (let i = 0; i < n; i++) vectorclock.increment(clock, own);
          sink = clock;
        },
        merge: (n) => {
          for (let i = 0; i < n; i++) sink = vectorclock.merge(plain.b, plain.c);
        },
        compare: (n) => {
          for (let i = 0; i < n; i++) sink = vectorclock.compare(plain.a, plain.b);
        },
      },
    ],
    [
      THING,
      {
        increment: (n) => {
          let clock = plain.a;
          for (let i = 0; i < n; i++) clock = thing.inc(clock, own);
          sink = clock;
        },
        merge: (n) => {
          for (let i = 0; i < n; i++) sink = thing.merge(plain.b, plain.c);
        },
        compare: (n) => {
          for (let i = 0; i < n; i++) sink = thing.compare(plain.a, plain.b);
        },
      },
    ],
  ];
  const mine = {
    increment: (n: number) => {
      const clock = ours.a.clone();
      for (let i = 0; i < n; i++) clock.increment(own);
      sink = clock;
    },
    // The peers return a new clock, so ours does too (join = clone + merge).
    merge: (n: number) => {
      for (let i = 0; i < n; i++) sink = VectorClock.join(ours.b, ours.c);
    },
    compare: (n: number) => {
      for (let i = 0; i < n; i++) sink = ours.a.compare(ours.b);
    },
  };
  const encoded = ours.a.encode();
  const binary = await opsPerSecond(
    (n) => {
      for (let i = 0; i < n; i++) sink = VectorClock.decode(ours.a.encode());
    },
    undefined,
    { iterations: iterations >> 2 },
  );
  results.push(
    result({ case: `vclock.encode + decode @${size}`, unit: 'ops/s', betterIs: 'higher', ours: binary.ours, peer: null, note: `${encoded.length} bytes` }),
  );
  for (const op of ['increment', 'merge', 'compare'] as const) {
    for (const [name, peer] of peers) {
      const measured = await opsPerSecond(mine[op], peer[op], { iterations });
      results.push(
        result({
          case: `vclock.${op} @${size}`,
          unit: 'ops/s',
          betterIs: 'higher',
          ours: measured.ours,
          peer: name,
          peerValue: measured.peer!,
          note: `${size} entries`,
        }),
      );
    }
  }
}

// BENCH_ONLY=hlc or BENCH_ONLY=vclock runs one group (for quick profiling); the default runs both.
const only = process.env.BENCH_ONLY;
if (only === undefined || only === 'hlc') await hlcCases();
if (only === undefined || only === 'vclock') for (const size of [4, 16, 128]) await vectorCases(size);
report(fileURLToPath(new URL('./results.json', import.meta.url)), results);
if (sink === undefined) console.log('');
