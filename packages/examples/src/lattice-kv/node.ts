/**
 * One lattice-kv node as a process:
 *
 *   tsx --conditions=@lattice/source node.ts <id> <dataDir> <respPort> <id=host:port,...> [--lease-reads]
 *     [--snapshot-every=<entries>] [--http=<port> --http-peers=<id=host:port,...>] [--nats-url=<url> --nats-cluster=<name>]
 *
 * Prints "ready <id> <respPort>" once redis clients can connect. SIGINT/SIGTERM stop it cleanly.
 */
import { startKvNode } from './kv-node.js';
import { parseKvNodeFlags } from './node-flags.js';

const args = process.argv.slice(2);
const leaseReads = args.includes('--lease-reads');
const nemesis = args.includes('--nemesis'); // tests only: LATTICE.NEMESIS partitions the node
const [id, dataDir, respPort, peerList] = args.filter((arg) => !arg.startsWith('--'));
if (id === undefined || dataDir === undefined || respPort === undefined || peerList === undefined) {
  console.error('usage: node.ts <id> <dataDir> <respPort> <id=host:port,...> [--lease-reads]');
  process.exit(2);
}
const flags = parseKvNodeFlags(args);
const peers = Object.fromEntries(peerList.split(',').map((pair) => pair.split('=') as [string, string]));
const node = await startKvNode({
  id,
  dataDir,
  peers,
  respPort: Number(respPort),
  secret: process.env['LATTICE_KV_SECRET'] ?? 'lattice-kv-local-cluster-secret',
  leaseReads,
  ...flags,
  nemesis,
});
console.log(`ready ${id} ${node.respPort}${node.httpPort === undefined ? '' : ` http ${node.httpPort}`}`);
const shutdown = () => {
  node.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
