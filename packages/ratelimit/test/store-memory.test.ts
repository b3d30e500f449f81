import { ManualClock } from '@lattice/core/testing';
import { MemoryStore } from '../src/index.js';
import { runStoreCompliance } from './compliance.js';

runStoreCompliance(
  'MemoryStore',
  async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    return { store, clock, close: () => store.close() };
  },
  { numRuns: Number(process.env['RATELIMIT_SOAK_RUNS'] ?? 150) },
);
