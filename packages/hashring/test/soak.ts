// Long checks kept out of `npm test`: `npm run soak -w @lattice/hashring`.
// 1. Ketama placement against the hashring package on many large random server lists.
// 2. Ketama placement against libmemcached (built from test/native with cc) on many weighted lists.
// 3. Bounded loads keep peak/mean ≤ 1 + ε with 1,000,000 keys.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@lattice/core';
import HashRingPeer from 'hashring';
import { BoundedLoadRing, KetamaRing } from '../src/index.js';

const random = seededRandom(Number(process.env['SOAK_SEED'] ?? 20261121));
let passed = 0;
let failed = 0;
function check(ok: boolean, what: string): void {
  if (ok) passed++;
  else {
    failed++;
    console.error(`FAIL: ${what}`);
  }
}

interface PeerInternals {
  ring: { server: string }[];
  find(hash: number): number;
  hashValue(key: string): number;
}

const lists = Number(process.env['SOAK_LISTS'] ?? 200);
let keysChecked = 0;
for (let list = 0; list < lists; list++) {
  const count = 1 + random.int(list % 10 === 0 ? 1000 : 200);
  const servers = [...new Set(Array.from({ length: count }, () => `10.${random.int(256)}.${random.int(256)}.${random.int(256)}:${11211 + random.int(3)}`))];
  const weighted = list % 2 === 1;
  const weights = servers.map(() => 1 + random.int(500));
  const spec: Record<string, number> = {};
  servers.forEach((s, i) => {
    spec[s] = weights[i]!;
  });
  const peer = (weighted ? new HashRingPeer(spec) : new HashRingPeer(servers)) as unknown as PeerInternals & HashRingPeer;
  const ours = new KetamaRing({ members: weighted ? servers.map((id, i) => ({ id, weight: weights[i]! })) : servers, pointCounts: 'hashring' });
  let mismatches = 0;
  for (let k = 0; k < 5000; k++) {
    const key = `k:${list}:${k}:${random.int(1e9)}`;
    if (ours.lookup(key) !== peer.ring[peer.find(peer.hashValue(key))]!.server) mismatches++;
    if (k % 50 === 0 && servers.length >= 3 && ours.lookupN(key, 3).join() !== peer.range(key, 3).join()) mismatches++;
    keysChecked++;
  }
  check(mismatches === 0, `ketama list ${list} (${servers.length} servers, weighted ${weighted}): ${mismatches} mismatches`);
}
console.log(`ketama vs hashring: ${lists} server lists, ${keysChecked} keys`);

{
  const dir = mkdtempSync(join(tmpdir(), 'lattice-ketama-soak-'));
  const oracle = join(dir, 'ketama-oracle');
  const build = spawnSync('cc', ['-O2', '-o', oracle, fileURLToPath(new URL('./native/ketama-oracle.c', import.meta.url)), '-lmemcached'], { encoding: 'utf8' });
  if (build.error !== undefined || build.status !== 0) {
    const required = Boolean(process.env['CI']) || process.env['LATTICE_REQUIRE_SERVICES'] === '1';
    check(!required, 'libmemcached oracle could not be built');
    console.log('ketama vs libmemcached: skipped, no cc or libmemcached (apt-get install -y libmemcached-dev gcc)');
  } else {
    const memcachedLists = Number(process.env['SOAK_MEMCACHED_LISTS'] ?? 1000);
    let memcachedKeys = 0;
    for (let list = 0; list < memcachedLists; list++) {
      // libmemcached holds at most 100 servers.
      const count = 1 + random.int(100);
      const hosts = [...new Set(Array.from({ length: count }, () => `10.${random.int(256)}.${random.int(256)}.${random.int(256)}:${11211 + random.int(2)}`))];
      const weights = hosts.map(() => (list % 3 === 0 ? 1 : 1 + random.int(list % 3 === 1 ? 10 : 5000)));
      const keys = Array.from({ length: 2000 }, (_, k) => `k:${list}:${k}:${random.int(1e9)}`);
      const input = [`${hosts.length}`, ...hosts.map((h, i) => `${h.replace(':', ' ')} ${weights[i]}`), ...keys.map((k) => Buffer.from(k).toString('hex'))].join('\n');
      const picks = spawnSync(oracle, { input: `${input}\n`, encoding: 'utf8' }).stdout.trim().split('\n').map(Number);
      const ring = new KetamaRing({ members: hosts.map((id, i) => ({ id, weight: weights[i]! })), pointCounts: 'libmemcached', defaultPort: 11211 });
      let mismatches = 0;
      keys.forEach((key, k) => {
        if (ring.lookup(key) !== hosts[picks[k]!]) mismatches++;
      });
      memcachedKeys += keys.length;
      check(mismatches === 0, `libmemcached list ${list} (${hosts.length} servers): ${mismatches} mismatches`);
    }
    console.log(`ketama vs libmemcached: ${memcachedLists} server lists, ${memcachedKeys} keys`);
  }
  rmSync(dir, { recursive: true, force: true });
}

const keys = Array.from({ length: 1_000_000 }, (_, i) => `key-${i}`);
for (const nodes of [100, 1000]) {
  for (const epsilon of [0.05, 0.1, 0.25]) {
    const ring = new BoundedLoadRing({ members: Array.from({ length: nodes }, (_, i) => `n${i}`), epsilon });
    for (const key of keys) ring.acquire(key);
    const loads = [...ring.loadsByNode().values()];
    const peak = Math.max(...loads) / (keys.length / nodes);
    check(peak <= 1 + epsilon + nodes / keys.length, `bounded loads ${nodes} nodes ε=${epsilon}: peak/mean ${peak}`);
    console.log(`bounded loads: ${nodes} nodes, ε=${epsilon}, 1,000,000 keys: peak/mean ${peak.toFixed(4)}`);
  }
}

console.log(`${passed} passed, ${failed} failed`);
if (failed > 0) process.exitCode = 1;
