/**
 * Draws the guide's space-time diagrams from simulated runs (`npm run diagrams -w
 * @lattice/two-phase-commit`): a commit, an abort, a coordinator crash after the commit decision
 * and its recovery, and a coordinator crash before any decision (presumed abort). The cores run
 * under `@lattice/sim` with their records on the simulated disk, the way test/sim.test.ts runs
 * them; the runs are seeded, so the pictures change only when the protocol does. Writes
 * docs/img/2pc-*.svg at the repository root.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NodeId, ProtocolDriver } from '@lattice/core';
import { DiskRecordLog, Simulation, spaceTimeSvg } from '@lattice/sim';
import {
  CoordinatorCore,
  coordinatorRecordCodec,
  encodeKvOps,
  type KvOp,
  MemoryKv,
  ParticipantCore,
  type ParticipantEffect,
  type ParticipantRecord,
  participantRecordCodec,
  type TwoPhaseMessage,
  twoPhaseMessageCodec,
} from '../src/index.js';

const img = (name: string) => fileURLToPath(new URL(`../../../docs/img/${name}`, import.meta.url));
const PARTICIPANTS = ['bank-a', 'bank-b', 'bank-c'];

interface Scenario {
  readonly title: string;
  readonly seed: number;
  /** Each bank's legs of the one transfer. */
  readonly legs: Readonly<Record<NodeId, readonly KvOp[]>>;
  /** Crashes the coordinator when it has logged a decision (after) or as the votes come in (before). */
  readonly crash?: 'after-decision' | 'before-decision';
  readonly duration: number;
  readonly pixelsPerMs: number;
}

async function diagram(scenario: Scenario): Promise<string> {
  let coordinator: CoordinatorCore | undefined;
  let crashed = false;
  const sim = new Simulation({
    seed: scenario.seed,
    nodes: ['coordinator', ...PARTICIPANTS],
    faults: false,
    network: { latency: { min: 4, max: 9 } },
    node: (ctx) => {
      if (ctx.id === 'coordinator') {
        const storage = new DiskRecordLog(ctx.disk, { file: 'coordinator', codec: coordinatorRecordCodec() });
        const stored = storage.load();
        const core = new CoordinatorCore({ now: ctx.clock.monotonic(), stored, voteTimeoutMs: 300, retry: { initialMs: 40, maxMs: 200 } });
        coordinator = core;
        if (stored.length > 0) ctx.log(`restarted: re-drives ${core.inDoubt().join(', ') || 'nothing'}`);
        const driver = ctx.runCore({
          core,
          codec: twoPhaseMessageCodec(),
          storage,
          apply: (effect) => {
            ctx.log(effect.type === 'decided' ? `decided ${effect.outcome}: ${effect.reason}` : `forgot ${effect.gid}`);
            if (effect.type === 'decided' && scenario.crash === 'after-decision' && !crashed) {
              crashed = true;
              sim.at(sim.now() + 2, () => sim.crash('coordinator'));
              sim.at(sim.now() + 80, () => sim.restart('coordinator'));
            }
          },
        });
        return { begin: () => driver.run(() => core.begin('transfer-1', Object.entries(scenario.legs).map(([participant, ops]) => ({ participant, ops: encodeKvOps(ops) })))) };
      }
      const storage = new DiskRecordLog(ctx.disk, { file: 'participant', codec: participantRecordCodec() });
      const core = new ParticipantCore({ id: ctx.id, now: ctx.clock.monotonic(), stored: storage.load(), voteTimeoutMs: 200, inquiry: { initialMs: 50, maxMs: 100 } });
      const kv = new MemoryKv({ [`${ctx.id}-x`]: 100 });
      let driver: ProtocolDriver<TwoPhaseMessage, ParticipantRecord, ParticipantEffect> | undefined;
      driver = ctx.runCore({
        core,
        codec: twoPhaseMessageCodec(),
        storage,
        apply: (effect) => {
          if (effect.type === 'prepare') {
            const vote = kv.prepare(effect.gid, effect.ops);
            ctx.log(`prepare: votes ${vote}`);
            driver?.run(() => core.voted(effect.gid, vote));
            if (scenario.crash === 'before-decision' && vote === 'yes' && !crashed) {
              crashed = true;
              sim.at(sim.now() + 1, () => sim.crash('coordinator'));
              sim.at(sim.now() + 130, () => sim.restart('coordinator'));
            }
          } else if (effect.type === 'restore') kv.restore(effect.gid, effect.ops);
          else {
            if (effect.type === 'commit') kv.commit(effect.gid);
            else if (effect.type === 'abort') kv.abort(effect.gid);
            ctx.log(`${effect.type}: ${ctx.id}-x = ${kv.get(`${ctx.id}-x`)}`);
          }
        },
      });
      return {};
    },
  });
  sim.at(10, () => (sim.handle('coordinator') as { begin?: () => void } | undefined)?.begin?.());
  const result = await sim.run({ duration: scenario.duration });
  if (coordinator === undefined) throw new Error('no coordinator ran');
  return spaceTimeSvg(result.diagram({ title: scenario.title, from: 0, to: scenario.duration, pixelsPerMs: scenario.pixelsPerMs }));
}

const transfer = { 'bank-a': [{ op: 'add', key: 'bank-a-x', amount: -30 }], 'bank-b': [{ op: 'add', key: 'bank-b-x', amount: 10 }], 'bank-c': [{ op: 'add', key: 'bank-c-x', amount: 20 }] } as const;
const overdraft = { ...transfer, 'bank-a': [{ op: 'add', key: 'bank-a-x', amount: -300 }] } as const;

export const scenarios: Record<string, Scenario> = {
  '2pc-commit.svg': { title: '2PC: a commit', seed: 1, legs: transfer, duration: 50, pixelsPerMs: 9 },
  '2pc-abort.svg': { title: '2PC: bank-a votes no, so everyone aborts', seed: 1, legs: overdraft, duration: 50, pixelsPerMs: 9 },
  '2pc-coordinator-crash.svg': { title: '2PC: the coordinator crashes after logging the commit and re-drives it on restart', seed: 2, legs: transfer, crash: 'after-decision', duration: 150, pixelsPerMs: 4 },
  '2pc-presumed-abort.svg': { title: '2PC: the coordinator crashes before deciding; in-doubt banks ask and are told "aborted"', seed: 3, legs: transfer, crash: 'before-decision', duration: 240, pixelsPerMs: 2.5 },
};

if (import.meta.url === `file://${process.argv[1]}`) {
  mkdirSync(img(''), { recursive: true });
  for (const [name, scenario] of Object.entries(scenarios)) writeFileSync(img(name), await diagram(scenario));
  console.log(`wrote ${Object.keys(scenarios).map((name) => `docs/img/${name}`).join(', ')}`);
}
