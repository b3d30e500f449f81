import fc from 'fast-check';

// `npm run soak` sets CLOCKS_SOAK_RUNS to run every property many more times than `npm test`.
const runs = Number(process.env.CLOCKS_SOAK_RUNS ?? 0);
if (runs > 0) {
  fc.configureGlobal({ numRuns: runs });
  console.log(`soak: every fast-check property runs ${runs} times (default 100)`);
}
