/**
 * The Saga bank in `@lattice/sim`: the orchestrator's `SagaCore` under `ctx.runCore` with its log on
 * the simulated disk (`DiskRecordLog`: unsynced writes are lost in a crash), `SagaParticipant`s on
 * the simulated network whose banks (accounts and `MemoryBarrier` rows) are databases that outlive
 * their node's crashes, while the simulator crashes and restarts nodes, drops, duplicates, delays
 * and reorders messages and partitions the network. The client resubmits every saga it has no
 * outcome for (sagas are idempotent by id). After the faults stop, the world's checks apply.
 */
import type { NodeId } from '@lattice/core';
import { DiskRecordLog, Simulation, simulationSeeds } from '@lattice/sim';
import { describe, expect, it } from 'vitest';
import { MemoryBarrier, SagaCore, SagaParticipant, sagaMessageCodec, sagaRecordCodec, type SagaReply } from '../src/index.js';
import { bankAccounts, decodeLegForTests, randomSagas, sagaStages, type WorldSaga } from './saga-world.js';

const BANKS = ['b1', 'b2', 'b3'];

interface Bank {
  readonly balances: Map<string, number>;
  readonly barrier: MemoryBarrier;
}

interface Handle {
  readonly core?: SagaCore;
  readonly begin?: (saga: WorldSaga) => void;
}

async function simulateSagas(seed: number): Promise<{ problems: string[]; crashes: number; committed: number; compensated: number }> {
  const accounts = bankAccounts(BANKS);
  const banks = new Map<NodeId, Bank>(BANKS.map((id) => [id, { balances: new Map(Object.entries(accounts[id]!)), barrier: new MemoryBarrier() }]));
  const sagas = randomSagas(seed, BANKS, 10);
  const latest = new Map<NodeId, Handle>();
  const sim = new Simulation<Handle>({
    seed,
    nodes: ['orchestrator', ...BANKS],
    faults: { kinds: ['crash', 'drop', 'duplicate', 'delay', 'reorder', 'partition'], stop: 3_000 },
    replay: 'SIM_SEED={seed} npx vitest run test/saga-sim.test.ts',
    node: (ctx) => {
      if (ctx.id === 'orchestrator') {
        const storage = new DiskRecordLog(ctx.disk, { file: 'sagas', codec: sagaRecordCodec() });
        const core = new SagaCore({ now: ctx.clock.monotonic(), stored: storage.load(), replyTimeoutMs: 200, retry: { initialMs: 50, maxMs: 800 } });
        const driver = ctx.runCore({ core, codec: sagaMessageCodec(), storage });
        const handle: Handle = { core, begin: (saga) => driver.run(() => core.begin(saga.gid, sagaStages(saga))) };
        latest.set(ctx.id, handle);
        return handle;
      }
      const bank = banks.get(ctx.id)!;
      const participant = new SagaParticipant({
        endpoint: ctx.endpoint,
        handle: (request) => {
          const { account, amount } = decodeLegForTests(request.payload);
          return bank.barrier.runSync(request, (): SagaReply => {
            const value = bank.balances.get(account) ?? 0;
            if (request.op === 'action' && value + amount < 0) return 'failed';
            bank.balances.set(account, value + amount);
            return 'succeeded';
          }).reply;
        },
      });
      participant.on('error', () => undefined);
      const handle: Handle = {};
      latest.set(ctx.id, handle);
      return handle;
    },
    clients: {
      count: 1,
      run: async (client) => {
        for (const saga of sagas) {
          await client.sleep(150);
          client.node('orchestrator')?.begin?.(saga);
        }
        // Until the end: resubmit what the orchestrator does not know (a crash lost it before `begun` was synced).
        for (let t = 0; t < 10; t++) {
          await client.sleep(1_000);
          const orchestrator = client.node('orchestrator');
          for (const saga of sagas) if (orchestrator?.core?.state(saga.gid) === 'unknown') orchestrator.begin?.(saga);
        }
      },
    },
  });
  const result = await sim.run({ duration: 12_000 });
  const problems: string[] = [];
  const core = latest.get('orchestrator')?.core;
  let committed = 0;
  let compensated = 0;
  let total = 0;
  const expected = new Map<string, number>();
  for (const id of BANKS) for (const [account, value] of Object.entries(accounts[id]!)) expected.set(`${id}/${account}`, value);
  for (const saga of sagas) {
    const state = core?.state(saga.gid) ?? 'down';
    if (state === 'committed') committed++;
    else if (state === 'compensated') compensated++;
    else problems.push(`${saga.gid} is ${state} at the end`);
    let step = 0;
    for (const legs of saga.stages) {
      for (const leg of legs) {
        const rows = banks.get(leg.bank)!.barrier.records().filter((r) => r.gid === saga.gid && r.branch === String(step));
        const actionRan = rows.some((r) => r.op === 'action' && r.reason === 'action');
        const compensationRan = actionRan && rows.some((r) => r.op === 'compensate');
        if (state === 'committed' && (!actionRan || compensationRan)) problems.push(`${saga.gid} committed, but step ${step} does not show it`);
        if (state === 'compensated' && actionRan && !compensationRan) problems.push(`${saga.gid} compensated, but step ${step}'s action is not`);
        const key = `${leg.bank}/${leg.account}`;
        expected.set(key, (expected.get(key) ?? 0) + (actionRan ? leg.amount : 0) - (compensationRan ? leg.amount : 0));
        step++;
      }
    }
  }
  for (const [id, bank] of banks) {
    for (const [account, value] of bank.balances) {
      total += value;
      if (value !== expected.get(`${id}/${account}`)) problems.push(`${id}/${account} is ${value}, the barrier rows make it ${expected.get(`${id}/${account}`)}`);
    }
  }
  if (total !== 600) problems.push(`total balance ${total}, expected 600`);
  return { problems, crashes: result.stats.crashes, committed, compensated };
}

describe('saga bank in @lattice/sim', () => {
  it('every saga finishes, money is conserved and each step applied once across 100 seeds of crashes, loss, duplication and partitions', async () => {
    const totals = { crashes: 0, committed: 0, compensated: 0 };
    for (const seed of simulationSeeds({ count: 100 })) {
      const run = await simulateSagas(seed);
      expect(run.problems, `SIM_SEED=${seed} npx vitest run test/saga-sim.test.ts`).toEqual([]);
      totals.crashes += run.crashes;
      totals.committed += run.committed;
      totals.compensated += run.compensated;
    }
    console.log(`100 simulated seeds: ${totals.committed} sagas committed, ${totals.compensated} compensated, ${totals.crashes} crashes`);
    expect(totals.crashes).toBeGreaterThan(30);
    expect(totals.committed).toBeGreaterThan(100);
    expect(totals.compensated).toBeGreaterThan(30);
  });
});
