import { ManualClock } from '@lattice/core/testing';
import { RedisStore } from '../src/index.js';
import { runStoreCompliance } from './compliance.js';
import { clockedAdapter, connectIoredis } from './redis-helpers.js';

// The same suite against Redis: the Lua port runs on a real redis-server, its time taken from a
// ManualClock (the script's TIME lines swapped for an argument) so it can be compared exactly.
runStoreCompliance(
  'RedisStore (Lua on redis-server, ManualClock time)',
  async () => {
    const clock = new ManualClock();
    const client = connectIoredis();
    const store = new RedisStore({ adapter: clockedAdapter(client, clock), prefix: `t${Date.now().toString(36)}:` });
    return {
      store,
      clock,
      close: async () => {
        await store.close();
        client.disconnect();
      },
    };
  },
  { numRuns: Math.ceil(Number(process.env['RATELIMIT_SOAK_RUNS'] ?? 150) / 4) },
);
