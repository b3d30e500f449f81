import { ManualClock } from '@lattice/core/testing';
import { MemoryStore } from '../src/index.js';
import { runStoreTests } from '../src/compliance/index.js';

let store: MemoryStore | undefined;
runStoreTests(
  'MemoryStore',
  {
    setup: async () => {
      const clock = new ManualClock();
      store = new MemoryStore({ clock });
      return { store, clock };
    },
    teardown: async () => {
      await store?.close();
      store = undefined;
    },
  },
  { numRuns: Number(process.env['RATELIMIT_SOAK_RUNS'] ?? 150) },
);
