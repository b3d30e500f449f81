/**
 * The generated list-append workload against a real PostgreSQL server at each of its isolation
 * levels, as Elle's own PostgreSQL test does: eight clients on their own connections, each
 * transaction `BEGIN ISOLATION LEVEL …`, a `SELECT` per read, an upsert that appends per append,
 * `COMMIT`; a serialization failure or deadlock is a `fail`. The checker must find exactly what
 * each level allows.
 */
import { seededRandom } from '@lattice/core';
import { describeWithService } from '@lattice/test-kit/vitest';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type AnomalyType, check, createWorkload, HistoryRecorder, type MicroOp, type Transaction } from '../src/index.js';

type Level = 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';
const CLIENTS = 8;
const TRANSACTIONS = 500;
/** Runs per level: at least two, and more (up to six) until every expected anomaly showed (real concurrency varies). */
const MIN_RUNS = 2;
const MAX_RUNS = 6;
/** SQLSTATEs of a transaction PostgreSQL refused: serialization failure, deadlock. */
const REFUSED = new Set(['40001', '40P01']);

describeWithService('postgres', 'the list-append workload against a real PostgreSQL at each isolation level', (postgres) => {
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: postgres().url, max: CLIENTS + 1 });
    // pool.end() resolves before every backend has gone; the server's shutdown then reaches an ended client (57P01).
    pool.on('error', (error) => {
      if ((error as { code?: string }).code !== '57P01') throw error;
    });
  });
  afterAll(async () => {
    await pool?.end();
  });

  async function run(level: Level, seed: number): Promise<Transaction[]> {
    const table = `lists_${level.replace(' ', '_').toLowerCase()}_${seed}`;
    await pool.query(`CREATE TABLE ${table} (k integer PRIMARY KEY, v text NOT NULL)`);
    const workload = createWorkload({ model: 'list-append', random: seededRandom(seed), keys: 4, maxLength: 4, readFraction: 0.5, maxWritesPerKey: 24 });
    const recorder = new HistoryRecorder();
    let remaining = TRANSACTIONS;
    const client = async (process: number): Promise<void> => {
      const connection = await pool.connect();
      // A deadlock is refused after deadlock_timeout (1 s by default): find it sooner.
      await connection.query("SET deadlock_timeout = '20ms'");
      try {
        while (remaining-- > 0) {
          const ops = workload.next();
          const handle = recorder.invoke(process, ops, performance.now());
          const done: MicroOp[] = [];
          try {
            await connection.query(`BEGIN ISOLATION LEVEL ${level}`);
            for (const op of ops) {
              if (op[0] === 'r') {
                const row = (await connection.query(`SELECT v FROM ${table} WHERE k = $1`, [op[1]])).rows[0] as { v: string } | undefined;
                done.push(['r', op[1], row === undefined ? [] : row.v.split(',').map(Number)]);
              } else {
                await connection.query(`INSERT INTO ${table} AS t (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = t.v || ',' || excluded.v`, [op[1], String(op[2])]);
                done.push(op);
              }
            }
            await connection.query('COMMIT');
            recorder.complete(handle, 'ok', performance.now(), done);
          } catch (error) {
            await connection.query('ROLLBACK');
            if (!REFUSED.has((error as { code?: string }).code ?? '')) throw error;
            recorder.complete(handle, 'fail', performance.now());
          }
        }
      } finally {
        connection.release();
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
    return recorder.history('list-append');
  }

  /** A level that allows a cycle class allows it closed by realtime or process order too. */
  const withOrders = (types: readonly AnomalyType[]): AnomalyType[] =>
    types.flatMap((t) => (t.startsWith('G') ? [t, `${t}-realtime`, `${t}-process`] : [t]) as AnomalyType[]);
  // PostgreSQL's serializable (SSI) is strict serializable on one server: a transaction's
  // snapshot is taken at its first statement, after every transaction that returned before it.
  const CASES: readonly { level: Level; allowed: readonly AnomalyType[]; expected: readonly AnomalyType[] }[] = [
    { level: 'SERIALIZABLE', allowed: [], expected: [] },
    { level: 'REPEATABLE READ', allowed: withOrders(['G2-item']), expected: ['G2-item'] },
    { level: 'READ COMMITTED', allowed: withOrders(['G-single', 'G2-item', 'lost-update']), expected: ['G-single', 'lost-update'] },
  ];
  for (const { level, allowed, expected } of CASES) {
    it(`${level}: only what the level allows (${allowed.join(', ') || 'nothing'}), and ${expected.join(', ') || 'no anomaly'} found`, async () => {
      const seen = new Set<AnomalyType>();
      const runs: string[] = [];
      for (let seed = 1; seed <= MAX_RUNS && (seed <= MIN_RUNS || expected.some((t) => !seen.has(t))); seed++) {
        const history = await run(level, seed);
        const result = check(history, { consistency: 'strict-serializable', session: true });
        for (const type of result.anomalyTypes) {
          const anomaly = result.anomalies.find((a) => a.type === type)!;
          expect(allowed, `seed ${seed}: ${anomaly.explanation}`).toContain(type);
          seen.add(type);
        }
        const committed = history.filter((t) => t.type === 'ok').length;
        runs.push(`${committed} committed, ${history.length - committed} refused`);
        // Busy enough to mean something: most committed under the weak levels, many under SSI.
        expect(committed, `seed ${seed}`).toBeGreaterThan(TRANSACTIONS * 0.3);
      }
      console.log(`${level}: ${runs.join('; ')}; anomalies: ${[...seen].join(', ') || 'none'}`);
      for (const type of expected) expect([...seen]).toContain(type);
    }, 120_000);
  }
});
