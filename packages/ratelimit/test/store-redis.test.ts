import { ManualClock } from '@lattice/core/testing';
import { describeWithService } from '@lattice/test-kit/vitest';
import { RedisStore } from '../src/index.js';
import { runStoreTests } from '../src/compliance/index.js';
import { clockedAdapter, connectIoredis } from './redis-helpers.js';

// The same suite against Redis: the Lua port runs on a real redis-server, its time taken from a
// ManualClock (the script's TIME lines swapped for an argument) so it can be compared exactly.
describeWithService('redis', 'on a private redis-server', (redis) => {
  let close: (() => Promise<void>) | undefined;
  runStoreTests(
    'RedisStore (Lua on redis-server, ManualClock time)',
    {
      setup: async () => {
        const clock = new ManualClock();
        const client = connectIoredis(redis().url);
        const store = new RedisStore({ adapter: clockedAdapter(client, clock), prefix: `t${Date.now().toString(36)}:` });
        close = async () => {
          await store.close();
          client.disconnect();
        };
        return { store, clock };
      },
      teardown: async () => {
        await close?.();
        close = undefined;
      },
    },
    { numRuns: Math.ceil(Number(process.env['RATELIMIT_SOAK_RUNS'] ?? 150) / 4) },
  );
});
