import { runTransportTests } from '@lattice/core/testing';
import { MemoryNetwork } from '../src/index.js';

runTransportTests('MemoryNetwork', async ({ maxMessageSize }) => ({ transport: new MemoryNetwork({ maxMessageSize }) }));
