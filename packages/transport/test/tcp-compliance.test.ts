import { runTransportTests } from '@lattice/core/testing';
import { TcpTransport } from '../src/tcp/index.js';
import { testTls } from './tls-fixture.js';

const secret = 'compliance-secret-0123456789';

runTransportTests('TcpTransport', async ({ maxMessageSize }) => ({ transport: new TcpTransport({ secret, maxMessageSize }) }));

runTransportTests('TcpTransport with mutual TLS', async ({ maxMessageSize }) => ({
  transport: new TcpTransport({ secret, maxMessageSize, tls: testTls().node }),
}));
