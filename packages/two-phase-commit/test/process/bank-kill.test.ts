/**
 * Money moves between accounts spread over three private PostgreSQL instances (fsync on), through
 * a coordinator running in its own process with an fsync'd log, while the coordinator — and in
 * every other round one of the databases — is SIGKILLed at a random moment and restarted on its
 * own data. Afterwards: the total balance is what it was, nothing is left in `pg_prepared_xacts`,
 * every transfer the client saw committed is in both banks' ledgers exactly once with the balances
 * to match, and none the client saw aborted left a trace. `npm run soak` runs 100 rounds.
 */
import { seededRandom } from '@lattice/core';
import { describeWithService } from '@lattice/test-kit/vitest';
import { afterAll, expect, it } from 'vitest';
import { accountName } from './bank-schema.js';
import { BankCluster, sleep } from './bank-cluster.js';

const ROUNDS = Number(process.env['BANK_KILL_ROUNDS'] ?? 5);
const SEED = Number(process.env['BANK_KILL_SEED'] ?? Math.floor(Math.random() * 1_000_000));
const BANKS = 3;
const ACCOUNTS = 8;
const BALANCE = 1000;
const CLIENTS = 8;

type Seen = 'committed' | 'aborted' | 'unknown' | 'refused';

for (const compaction of [false, true]) {
describeWithService('postgres', `a bank over three PostgreSQL instances under SIGKILL (real processes, TCP, fsync)${compaction ? ', with participant compaction' : ''}`, () => {
  const cluster = new BankCluster({ banks: BANKS, accountsPerBank: ACCOUNTS, balance: BALANCE, poolSize: 8, compaction });
  afterAll(() => cluster.close(), 60_000);

  it(`keeps every transfer atomic and exactly once over ${ROUNDS} rounds of killing the coordinator and a database`, async () => {
    const started = performance.now();
    await cluster.init();
    await cluster.startCoordinator();
    const random = seededRandom(SEED);
    const seen = new Map<string, { from: string; to: string; outcome: Seen }>();
    let running = true;
    let counter = 0;

    const client = async (index: number) => {
      const mine = seededRandom(SEED * 31 + index);
      while (running) {
        if (!cluster.coordinatorUp) {
          await sleep(10);
          continue;
        }
        const from = mine.int(BANKS);
        const to = (from + 1 + mine.int(BANKS - 1)) % BANKS;
        const id = `t${counter++}`;
        const query = new URLSearchParams({
          id,
          from: `bank-${from}`,
          fromAccount: accountName(mine.int(ACCOUNTS)),
          to: `bank-${to}`,
          toAccount: accountName(mine.int(ACCOUNTS)),
          amount: String(1 + mine.int(50)),
        });
        const transfer = { from: `bank-${from}`, to: `bank-${to}`, outcome: 'unknown' as Seen };
        seen.set(id, transfer);
        try {
          const response = await fetch(`http://127.0.0.1:${cluster.httpPort}/transfer?${query}`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
          const body = await response.text();
          if (response.status !== 200) throw new Error(`the coordinator answered ${response.status}: ${body}`);
          transfer.outcome = body as Seen;
        } catch (error) {
          if ((error as Error).message.startsWith('the coordinator answered')) throw error;
          // Refused before it reached the coordinator: never sent, so it must leave no trace.
          if (((error as Error).cause as { code?: string } | undefined)?.code === 'ECONNREFUSED') transfer.outcome = 'refused';
        }
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, i) => client(i));

    let databaseKills = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await sleep(300 + random.int(700));
      const victim = round % 2 === 1 ? cluster.banks[random.int(BANKS)]! : undefined;
      // The database goes down before, with or after the coordinator.
      const order = random.int(3);
      if (victim !== undefined && order === 0) await victim.postgres.kill();
      await cluster.killCoordinator();
      if (victim !== undefined && order === 1) await victim.postgres.kill();
      await sleep(50 + random.int(250));
      if (victim !== undefined && order === 2) await victim.postgres.kill();
      if (victim !== undefined) databaseKills++;
      await Promise.all([cluster.startCoordinator(), victim?.postgres.restart()]);
    }
    await sleep(500);
    running = false;
    await Promise.all(clients);

    // Recovery: the coordinator re-drives what it decided, participants in doubt ask, failed
    // commits at a restarted database are repeated.
    const deadline = performance.now() + 30_000;
    let settled = false;
    let last = '';
    while (!settled && performance.now() < deadline) {
      const status = await cluster.coordinatorStatus();
      const prepared = await Promise.all(cluster.banks.map((bank) => cluster.preparedCount(bank).catch(() => -1)));
      const inDoubt = cluster.banks.map((bank) => bank.participant.core.inDoubt().length);
      last = `coordinator ${JSON.stringify(status)}, prepared ${prepared.join('/')}, in doubt ${inDoubt.join('/')}`;
      settled = status?.active === 0 && prepared.every((n) => n === 0) && inDoubt.every((n) => n === 0);
      if (!settled) await sleep(100);
    }
    expect(settled, `not settled 30 s after the last round: ${last}`).toBe(true);
    await Promise.all(cluster.banks.map((bank) => bank.participant.settled()));

    // The data: balances, the ledgers, and what the client saw.
    const ledger = new Map<string, { bank: string; account: string; delta: number }[]>();
    let total = 0;
    for (const bank of cluster.banks) {
      const rows = (await bank.pool.query('SELECT transfer, account, delta FROM ledger')).rows;
      for (const row of rows) {
        const entries = ledger.get(row.transfer) ?? [];
        entries.push({ bank: bank.id, account: row.account, delta: Number(row.delta) });
        ledger.set(row.transfer, entries);
      }
      const balances = (await bank.pool.query('SELECT id, balance FROM accounts')).rows;
      for (const { id, balance } of balances) {
        total += Number(balance);
        const applied = rows.filter((row) => row.account === id).reduce((sum, row) => sum + Number(row.delta), 0);
        expect(Number(balance), `${bank.id} ${id}: balance against its ledger`).toBe(BALANCE + applied);
      }
      expect(await cluster.preparedCount(bank)).toBe(0);
    }
    expect(total).toBe(BANKS * ACCOUNTS * BALANCE);
    const counts = { committed: 0, aborted: 0, unknown: 0, refused: 0, unknownApplied: 0 };
    for (const [id, transfer] of seen) {
      const entries = ledger.get(id) ?? [];
      counts[transfer.outcome]++;
      if (transfer.outcome === 'committed') expect(entries.map((e) => e.bank).sort(), `${id} committed`).toEqual([transfer.from, transfer.to].sort());
      else if (transfer.outcome === 'aborted' || transfer.outcome === 'refused') expect(entries, `${id} ${transfer.outcome}`).toEqual([]);
      else {
        // Unknown to the client (the coordinator died with it in flight): all or nothing.
        expect([0, 2], `${id} unknown: ${JSON.stringify(entries)}`).toContain(entries.length);
        if (entries.length === 2) counts.unknownApplied++;
      }
      if (entries.length === 2) expect(entries[0]!.delta + entries[1]!.delta).toBe(0);
    }
    for (const id of ledger.keys()) expect(seen.has(id), `${id} in a ledger but never sent`).toBe(true);
    console.log(
      `bank kill test (seed ${SEED}): ${ROUNDS} rounds, ${ROUNDS} coordinator kills, ${databaseKills} database kills, ${seen.size} transfers ` +
        `(${counts.committed} committed, ${counts.aborted} aborted, ${counts.unknown} unknown to the client of which ${counts.unknownApplied} applied, ${counts.refused} refused), ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    // Work got done between the kills (a machine under load gets less of it done; some is enough).
    expect(counts.committed).toBeGreaterThanOrEqual(ROUNDS);
    if (compaction) {
      // Every participant forgets everything (announced, or asked again after a lost announcement),
      // and its log lost its forgotten prefix (PostgreSQL keeps committed work: durableCommits).
      const forgetBy = performance.now() + 30_000;
      const known = () => cluster.banks.map((bank) => bank.participant.core.knownCount);
      while (known().some((n) => n > 0) && performance.now() < forgetBy) await sleep(100);
      const lengths = cluster.banks.map((bank) => `${bank.id} ${bank.log.firstIndex}..${bank.log.lastIndex}`);
      console.log(`compaction: remembered ${known().join('/')}, logs ${lengths.join(', ')}`);
      expect(known()).toEqual(cluster.banks.map(() => 0));
      for (const bank of cluster.banks) expect(bank.log.firstIndex, bank.id).toBeGreaterThan(1);
    }
  }, 90_000 + ROUNDS * 15_000);
});
}
