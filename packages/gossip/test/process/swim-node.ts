/**
 * One SWIM member as a real process: `Swim` over TCP on loopback, every message sealed with a
 * keyring (AES-GCM on node:crypto).
 *
 *   node --conditions=@lattice/source --import tsx swim-node.ts <id> <id=host:port,...> <seed|-> <base64 key,...> <profile JSON>
 *
 * Reads key-ring commands on stdin ("install|use|remove <base64 key>", one a line, each
 * acknowledged with `{"keys":command}`). Prints "ready <id>" once listening, then one JSON line per member event
 * (`{"event":kind,"id","state","incarnation"}`), one per error (`{"error":code,"message"}`)
 * and, every 100 ms, its view (`{"view":{id:[state,incarnation],...}}`).
 */
import { TcpTransport } from '@lattice/transport/tcp';
import { Keyring, Swim, type SwimProfile } from '../../src/index.js';
import { nodeAesGcm } from '../../src/node/index.js';

const [id, peerList, seed, keyList, profileJson] = process.argv.slice(2);
if (id === undefined || peerList === undefined || seed === undefined || keyList === undefined || profileJson === undefined) {
  console.error('usage: swim-node <id> <id=host:port,...> <seed|-> <base64 key,...> <profile JSON>');
  process.exit(2);
}
const peers = Object.fromEntries(peerList.split(',').map((pair) => pair.split('=') as [string, string]));
const [host, port] = peers[id]!.split(':') as [string, string];
const [primary, ...others] = keyList.split(',').map((key) => new Uint8Array(Buffer.from(key, 'base64')));
const profile = JSON.parse(profileJson) as Partial<SwimProfile>;

const transport = new TcpTransport({ secret: 'swim-process-test-cluster-secret', peers, reconnect: { initialDelayMs: 50, maxDelayMs: 500 } });
const endpoint = await transport.open(id, { listen: { host, port: Number(port) } });
const keyring = new Keyring(primary!, others);
const swim = new Swim({ endpoint, profile, encryption: { keyring, cipher: nodeAesGcm } });
// Key rotation commands on stdin, one a line: "install|use|remove <base64 key>".
let pending = '';
process.stdin.on('data', (chunk: Buffer) => {
  pending += chunk.toString();
  const lines = pending.split('\n');
  pending = lines.pop()!;
  for (const line of lines) {
    const [command, key] = line.split(' ') as ['install' | 'use' | 'remove', string];
    keyring[command](new Uint8Array(Buffer.from(key, 'base64')));
    print({ keys: command });
  }
});
const print = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);
swim.on('member', (e) => print({ event: e.kind, id: e.member.id, state: e.member.state, incarnation: e.member.incarnation }));
// Every error goes to the test, which tells the expected ones (sends to a killed member) from the
// ones that must not happen (a message that does not authenticate or decode).
swim.on('error', (error) => print({ error: error.code, message: error.message }));
const dump = () => print({ view: Object.fromEntries(swim.members().map((m) => [m.id, [m.state, m.incarnation]])) });
setInterval(dump, 100);
console.log(`ready ${id}`);
if (seed !== '-') swim.join([seed]);
