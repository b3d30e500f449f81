/**
 * The Saga bank over three in-memory participants (test/saga-world.ts): 300 seeds of 8 transfers
 * each — some with two concurrent debits, half with a retriable credit — under orchestrator crashes
 * (the unsynced tail of its log lost in part or whole), message loss, duplication and reordering,
 * and injected action failures. Balances may be off while a saga runs; once all have finished the
 * total is conserved and the barrier rows account for every balance.
 */
import { describe, expect, it } from 'vitest';
import { bankAccounts, randomSagas, runSagaWorld } from './saga-world.js';

const BANKS = ['b1', 'b2', 'b3'];
export const SAGA_BANK_FAULTS = { crash: 0.01, drop: 0.05, duplicate: 0.05, fail: 0.1 } as const;

describe('saga bank over in-memory participants', () => {
  it('300 random seeds: every saga finishes, money is conserved, every step applied exactly once', () => {
    const totals = { committed: 0, compensated: 0, crashes: 0, duplicate: 0, nullCompensation: 0, hanging: 0 };
    for (let seed = 1; seed <= 300; seed++) {
      const run = runSagaWorld({ seed, accounts: bankAccounts(BANKS), sagas: randomSagas(seed, BANKS, 8), random: SAGA_BANK_FAULTS });
      expect(run.problems, `seed ${seed}`).toEqual([]);
      expect(run.committed + run.compensated).toBe(8);
      totals.committed += run.committed;
      totals.compensated += run.compensated;
      totals.crashes += run.crashes;
      totals.duplicate += run.barrier['duplicate'] ?? 0;
      totals.nullCompensation += run.barrier['null-compensation'] ?? 0;
      totals.hanging += run.barrier['hanging'] ?? 0;
    }
    console.log(`300 seeds: ${JSON.stringify(totals)}`);
    // The faults must actually exercise each barrier case and recovery.
    expect(totals.crashes).toBeGreaterThan(100);
    expect(totals.committed).toBeGreaterThan(500);
    expect(totals.compensated).toBeGreaterThan(300);
    expect(totals.duplicate).toBeGreaterThan(100);
    expect(totals.nullCompensation).toBeGreaterThan(100);
    expect(totals.hanging).toBeGreaterThan(10);
  });
});
