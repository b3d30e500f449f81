import { runTransportTests } from '@lattice/core/compliance';
import { describeWithService } from '@lattice/test-kit/vitest';
import { NatsTransport } from '../src/nats/index.js';

describeWithService('nats', 'NatsTransport against a real nats-server', (nats) => {
  let run = 0;
  // A cluster name per test: one test's endpoints never hear another's.
  runTransportTests('NatsTransport', {
    setup: async ({ maxMessageSize }) => new NatsTransport({ cluster: `compliance-${++run}`, maxMessageSize, connect: { servers: nats().url } }),
    teardown: async () => {},
  });
});
