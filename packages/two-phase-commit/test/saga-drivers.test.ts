/**
 * The Saga orchestrator's driver on a real write-ahead log in a temp dir, `MemoryNetwork` and
 * `SagaParticipant`s: the API (run, idempotence by id, result, typed errors), a crash of the
 * orchestrator at every reply it receives (its log reopened by a new orchestrator, the sagas
 * resumed), and the bank under message loss, duplication and reordering with random crashes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortError, ClosedError, DecodeError, InvalidArgumentError, ProtocolViolationError, seededRandom } from '@lattice/core';
import { MemoryNetwork } from '@lattice/transport';
import { openWal } from '@lattice/wal';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeSagaMessage, InvalidGidError, SagaConflictError, SagaOrchestrator, SagaParticipant, UnknownSagaError } from '../src/index.js';
import { checkRealBanks, memoryBank, runRealBank } from './saga-real.js';
import { bankAccounts, encodeLeg, randomSagas, SCENARIO, SCENARIO_BANKS } from './saga-world.js';

const accounts = bankAccounts(SCENARIO_BANKS);

describe('SagaOrchestrator on a write-ahead log', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'saga-driver-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('commits, compensates, is idempotent by id, reports outcomes after a restart, and refuses bad input with typed errors', async () => {
    const network = new MemoryNetwork();
    const bank = memoryBank('bank', { alice: 50 }, seededRandom(1));
    const participant = new SagaParticipant({ endpoint: await network.open('bank'), handle: bank.handle });
    let log = await openWal(join(dir, 'sagas'));
    let orchestrator = await SagaOrchestrator.open({ endpoint: await network.open('orchestrator'), log, replyTimeoutMs: 100 });
    const pay = (amount: number) => [{ participant: 'bank', action: encodeLeg('alice', -amount), compensation: encodeLeg('alice', amount) }];
    const first = await orchestrator.run(pay(30), { gid: 'pay-1' });
    expect(first).toEqual({ gid: 'pay-1', outcome: 'committed', reason: 'every step succeeded' });
    expect(await orchestrator.run(pay(30), { gid: 'pay-1' })).toEqual(first); // idempotent: not run twice
    const second = await orchestrator.run(pay(30), { gid: 'pay-2' });
    expect(second.outcome).toBe('compensated');
    expect(second.reason).toBe('step 0 ("bank") failed');
    expect((await bank.balances()).get('alice')).toBe(20);
    const generated = await orchestrator.run(pay(5));
    expect(generated.gid.startsWith('orchestrator:')).toBe(true);
    await expect(orchestrator.run(pay(31), { gid: 'pay-1' })).rejects.toMatchObject({ code: SagaConflictError.code });
    await expect(orchestrator.run(pay(1), { gid: '' })).rejects.toMatchObject({ code: InvalidGidError.code });
    await expect(orchestrator.run([], { gid: 'empty' })).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(orchestrator.run(pay(1), null as never)).rejects.toMatchObject({ code: InvalidArgumentError.code });
    await expect(orchestrator.result('never')).rejects.toMatchObject({ code: UnknownSagaError.code });
    await expect(orchestrator.run(pay(1), { gid: 'aborted', signal: AbortSignal.abort() })).rejects.toMatchObject({ code: AbortError.code });
    expect(orchestrator.core.state('aborted')).toBe('unknown');
    await orchestrator.idle();
    expect(orchestrator.core.activeCount).toBe(0);
    await orchestrator.close();
    await log.close();
    // A new orchestrator on the same log knows every outcome.
    log = await openWal(join(dir, 'sagas'));
    orchestrator = await SagaOrchestrator.open({ endpoint: await network.open('orchestrator-2'), log });
    expect((await orchestrator.result('pay-2')).outcome).toBe('compensated');
    expect(orchestrator.core.state('pay-1')).toBe('committed');
    await orchestrator.close();
    await expect(orchestrator.run(pay(1), { gid: 'late' })).rejects.toMatchObject({ code: ClosedError.code });
    await log.close();
    await participant.close();
    await network.close();
  });

  it('a participant reports garbage and messages it does not take as typed errors and answers nothing', async () => {
    const network = new MemoryNetwork();
    const bank = memoryBank('bank', { alice: 50 }, seededRandom(1));
    const participant = new SagaParticipant({ endpoint: await network.open('bank'), handle: bank.handle });
    const errors: string[] = [];
    participant.on('error', (error) => errors.push(error.code));
    const peer = await network.open('peer');
    let answers = 0;
    peer.onMessage(() => answers++);
    await peer.send('bank', Uint8Array.from([1, 2, 3]));
    await peer.send('bank', encodeSagaMessage({ type: 'reply', gid: 'g', step: 0, op: 'action', reply: 'succeeded' }));
    const deadline = performance.now() + 5_000;
    while (errors.length < 2 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(errors).toEqual([DecodeError.code, ProtocolViolationError.code]);
    expect(answers).toBe(0);
    expect((await bank.balances()).get('alice')).toBe(50);
    expect(() => new SagaParticipant({ endpoint: peer, handle: 'no' as never })).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
    await participant.close();
    await network.close();
  });

  it('a crash of the orchestrator at every reply it receives: a new one on the same log finishes every saga, each step applied once', async () => {
    const clean = await runRealBank({ banks: SCENARIO_BANKS.map((id) => memoryBank(id, accounts[id]!, seededRandom(1))), sagas: SCENARIO });
    expect(clean.crashes).toBe(0);
    let crashes = 0;
    for (let at = 0; at < clean.replies; at++) {
      const banks = SCENARIO_BANKS.map((id) => memoryBank(id, accounts[id]!, seededRandom(1)));
      const run = await runRealBank({ banks, sagas: SCENARIO, crashAt: [at] });
      expect(await checkRealBanks(banks, accounts, SCENARIO, run.outcomes), `crash at reply ${at}`).toEqual([]);
      crashes += run.crashes;
    }
    console.log(`${clean.replies} crash points on a FileWal: ${crashes} restarts, every saga finished and balanced`);
    expect(crashes).toBe(clean.replies);
  });

  it('the bank under loss, duplication and reordering, with crashes: money conserved and every step applied exactly once', async () => {
    for (let seed = 1; seed <= 4; seed++) {
      const banks = SCENARIO_BANKS.map((id) => memoryBank(id, accounts[id]!, seededRandom(seed), 0.1));
      const sagas = randomSagas(seed, SCENARIO_BANKS, 10);
      const run = await runRealBank({ banks, sagas, seed, crashAt: [7 + seed, 25 + 3 * seed], faults: { dropRate: 0.05, duplicateRate: 0.1, reorderRate: 0.2, latency: { min: 0, max: 3 } } });
      expect(await checkRealBanks(banks, accounts, sagas, run.outcomes), `seed ${seed}`).toEqual([]);
      expect(run.crashes).toBeGreaterThanOrEqual(1);
    }
  });
});
