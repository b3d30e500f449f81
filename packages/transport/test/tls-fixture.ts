import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TcpTlsOptions } from '../src/tcp/index.js';

interface Fixture {
  /** A node certificate signed by the cluster CA, valid for 127.0.0.1. */
  node: TcpTlsOptions;
  /** A certificate from a different CA: must be refused. */
  stranger: TcpTlsOptions;
}

let cached: Fixture | undefined;

/** Generates (once per test file) a CA, a node certificate and a stranger's certificate with openssl. */
export function testTls(): Fixture {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'lattice-tls-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ext = join(dir, 'ext.cnf');
  execFileSync('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ${ext}`]);
  for (const ca of ['ca', 'otherca']) {
    run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=${ca}`);
  }
  for (const [name, ca] of [['node', 'ca'], ['stranger', 'otherca']] as const) {
    run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', ext);
  }
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  cached = {
    node: { key: read('node.key'), cert: read('node.pem'), ca: read('ca.pem') },
    stranger: { key: read('stranger.key'), cert: read('stranger.pem'), ca: read('ca.pem') },
  };
  rmSync(dir, { recursive: true, force: true });
  return cached;
}
