import { runTransportTests } from '@lattice/core/compliance';
import { MemoryNetwork } from '../src/index.js';

runTransportTests('MemoryNetwork', {
  setup: async ({ maxMessageSize }) => new MemoryNetwork({ maxMessageSize }),
  teardown: async () => {},
});
