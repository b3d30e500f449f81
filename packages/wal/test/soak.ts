/**
 * Long crash soak: `npm run soak -w @lattice/wal [-- rounds]` (default 200 rounds). Each round
 * runs a child that appends (and now and then compacts or truncates) from 1 to 64 concurrent writers
 * (writer thread 'auto', 'always' and 'never' in turn), SIGKILLs
 * it at a random moment, reopens the log and checks every acknowledged record. Prints what it
 * checked; exits non-zero on the first violation.
 */
import { seededRandom } from '@lattice/core';
import { crashRound, newCrashState } from './crash-harness.js';
import { tempDir } from './helpers.js';

const rounds = Number(process.argv[2] ?? 200);
const seed = Number(process.argv[3] ?? Date.now() % 1_000_000);
const random = seededRandom(seed);
const { dir, cleanup } = await tempDir('soak');
const state = newCrashState();
let acknowledged = 0;
let checked = 0;
let truncations = 0;
console.log(`crash soak: ${rounds} rounds, seed ${seed}, log in ${dir}`);
try {
  for (let round = 1; round <= rounds; round++) {
    const writers = [1, 4, 16, 64][random.int(4)]!;
    const killAfter = 20 + random.int(800);
    const writerThread = (['auto', 'always', 'never'] as const)[round % 3]!;
    const report = await crashRound(dir, state, killAfter, writers, writerThread);
    acknowledged += report.acknowledged;
    checked += report.checked;
    truncations += report.truncations;
    console.log(
      `round ${round}: ${writers} writers (writer thread ${writerThread}), killed after ${killAfter} ms, ${report.acknowledged} acknowledged, ${report.truncations} truncations, ` +
        `log [${report.firstIndex}, ${report.lastIndex}], ${report.checked} acknowledged records verified`,
    );
  }
  console.log(`OK: ${rounds} SIGKILLs, ${acknowledged} acknowledged appends, ${truncations} suffix truncations, ${checked} record checks, none lost or damaged`);
} catch (error) {
  console.error(`FAILED (seed ${seed}):`, error);
  process.exitCode = 1;
} finally {
  await cleanup();
}
