/**
 * The Saga bank on real PostgreSQL: each bank is a participant whose accounts and barrier table live
 * in its own schema, every request one local transaction (`PostgresBarrier`); the orchestrator keeps
 * its log in a `FileWal` and crashes at chosen replies. Checked as in memory: every saga finished,
 * money conserved, and every balance exactly what the barrier rows say ran.
 */
import { seededRandom } from '@lattice/core';
import { describeWithService } from '@lattice/test-kit/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkRealBanks, postgresBank, type RealBank, runRealBank } from './saga-real.js';
import { bankAccounts, randomSagas, SCENARIO, SCENARIO_BANKS } from './saga-world.js';

const accounts = bankAccounts(SCENARIO_BANKS);

describeWithService('postgres', 'Saga bank on PostgreSQL participants', (postgres) => {
  let pool: pg.Pool;
  let schemas = 0;
  const banks = (seed: number, fail = 0): Promise<RealBank[]> => {
    const run = ++schemas;
    return Promise.all(SCENARIO_BANKS.map((id) => postgresBank(id, pool, `run${run}_${id}`, accounts[id]!, seededRandom(seed), fail)));
  };

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: postgres().url, max: 12 });
    // pool.end() resolves before every backend has gone; the server's shutdown then reaches an ended client (57P01).
    pool.on('error', (error) => {
      if ((error as { code?: string }).code !== '57P01') throw error;
    });
  });
  afterAll(async () => {
    await pool?.end();
  });

  it('a crash of the orchestrator at every reply: every saga finishes, each step applied once in the database', async () => {
    const clean = await runRealBank({ banks: await banks(1), sagas: SCENARIO });
    let restarts = 0;
    for (let at = 0; at < clean.replies; at++) {
      const participants = await banks(1);
      const run = await runRealBank({ banks: participants, sagas: SCENARIO, crashAt: [at] });
      expect(await checkRealBanks(participants, accounts, SCENARIO, run.outcomes), `crash at reply ${at}`).toEqual([]);
      restarts += run.crashes;
    }
    expect(restarts).toBe(clean.replies);
  }, 60_000); // one reopened FileWal per reply: 3.4 s alone, beyond vitest's 5 s default on a loaded machine

  it('random transfers under loss, duplication, reordering, failures and two crashes: money conserved, every step exactly once', async () => {
    let committed = 0;
    let compensated = 0;
    for (let seed = 1; seed <= 4; seed++) {
      const participants = await banks(seed, 0.1);
      const sagas = randomSagas(seed, SCENARIO_BANKS, 12);
      const run = await runRealBank({ banks: participants, sagas, seed, crashAt: [5 + seed, 30 + seed], faults: { dropRate: 0.05, duplicateRate: 0.1, reorderRate: 0.2, latency: { min: 0, max: 3 } } });
      expect(await checkRealBanks(participants, accounts, sagas, run.outcomes), `seed ${seed}`).toEqual([]);
      for (const outcome of run.outcomes.values()) outcome === 'committed' ? committed++ : compensated++;
    }
    console.log(`PostgreSQL saga bank, 4 seeds × 12 transfers: ${committed} committed, ${compensated} compensated`);
    expect(committed).toBeGreaterThan(5);
    expect(compensated).toBeGreaterThan(5);
  }, 60_000);
});
