import { runTransportTests } from '@lattice/core/compliance';
import { TcpTransport } from '../src/tcp/index.js';
import { testTls } from './tls-fixture.js';

const secret = 'compliance-secret-0123456789';

runTransportTests('TcpTransport', {
  setup: async ({ maxMessageSize }) => new TcpTransport({ secret, maxMessageSize }),
  teardown: async () => {},
});

runTransportTests('TcpTransport with mutual TLS', {
  setup: async ({ maxMessageSize }) => new TcpTransport({ secret, maxMessageSize, tls: testTls().node }),
  teardown: async () => {},
});
