/**
 * The floor of the lattice-kv benchmark: the least a Node process must do to answer
 * `redis-benchmark -t set,get` — parse RESP arrays in place from each chunk, SET into / GET from
 * a `Map`, one socket write per chunk — with no Raft, no log and no ordering machinery. What it
 * reaches next to `redis-server` under the same load bounds what any Node implementation of
 * lattice-kv can reach on this machine. Run as its own process by `lattice-kv.ts`:
 *
 *   node --import tsx bench/node-floor.ts <port>     # prints "ready <port>"
 */
import { createServer } from 'node:net';

const CR = 13;
const OK = Buffer.from('+OK\r\n', 'latin1');
const NULL = Buffer.from('$-1\r\n', 'latin1');
const PONG = Buffer.from('+PONG\r\n', 'latin1');
const EMPTY = Buffer.from('*0\r\n', 'latin1');

/** A decimal integer at `from` up to its CR; returns [value, index of the CR] or undefined when incomplete. */
function readInt(buffer: Buffer, from: number): [number, number] | undefined {
  let value = 0;
  for (let i = from; i < buffer.length; i++) {
    const c = buffer[i]!;
    if (c === CR) return [value, i];
    value = value * 10 + (c - 48);
  }
  return undefined;
}

const store = new Map<string, Buffer>();

const server = createServer((socket) => {
  socket.setNoDelay(true);
  let pending: Buffer | undefined;
  socket.on('data', (chunk: Buffer) => {
    const buffer = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
    pending = undefined;
    const out: Buffer[] = [];
    let offset = 0;
    parse: while (offset < buffer.length) {
      if (buffer[offset] !== 0x2a) {
        socket.destroy();
        return;
      }
      const header = readInt(buffer, offset + 1);
      if (header === undefined) break;
      const [count, headerEnd] = header;
      let at = headerEnd + 2;
      const args: [number, number][] = [];
      for (let i = 0; i < count; i++) {
        const length = readInt(buffer, at + 1);
        if (length === undefined) break parse;
        const start = length[1] + 2;
        if (start + length[0] + 2 > buffer.length) break parse;
        args.push([start, start + length[0]]);
        at = start + length[0] + 2;
      }
      offset = at;
      const [nameStart, nameEnd] = args[0] ?? [0, 0];
      const first = buffer[nameStart]! | 0x20;
      if (nameEnd - nameStart === 3 && first === 0x73 /* s */ && args.length === 3) {
        store.set(buffer.toString('latin1', args[1]![0], args[1]![1]), Buffer.from(buffer.subarray(args[2]![0], args[2]![1])));
        out.push(OK);
      } else if (nameEnd - nameStart === 3 && first === 0x67 /* g */ && args.length === 2) {
        const value = store.get(buffer.toString('latin1', args[1]![0], args[1]![1]));
        if (value === undefined) out.push(NULL);
        else out.push(Buffer.from(`$${value.length}\r\n`, 'latin1'), value, Buffer.from('\r\n', 'latin1'));
      } else if (first === 0x70 /* ping */) out.push(PONG);
      else if (first === 0x63 /* config */ && args.length === 3) {
        // redis-benchmark's CONFIG GET save / appendonly at start: the name and an empty value.
        const name = buffer.subarray(args[2]![0], args[2]![1]);
        out.push(Buffer.from(`*2\r\n$${name.length}\r\n`, 'latin1'), name, Buffer.from('\r\n$0\r\n\r\n', 'latin1'));
      } else out.push(EMPTY); // anything else (COMMAND DOCS…)
    }
    if (offset < buffer.length) pending = Buffer.from(buffer.subarray(offset));
    if (out.length > 0) socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
  });
  socket.on('error', () => socket.destroy());
});

const port = Number(process.argv[2] ?? 0);
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  console.log(`ready ${typeof address === 'object' && address !== null ? address.port : port}`);
});
process.once('SIGTERM', () => process.exit(0));
