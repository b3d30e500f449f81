import { connect } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RespProtocolError } from '../src/lattice-kv/errors.js';
import { decodeKvCommand, encodeKvCommand, KvStateMachine, stampKvCommand } from '../src/lattice-kv/kv-state-machine.js';
import { array, bulk, encodeReply, integer, map, OK, RespRequestParser } from '../src/lattice-kv/resp.js';
import { globToRegExp, startRespServer } from '../src/lattice-kv/resp-server.js';

const encodeRequest = (args: string[]) => Buffer.from(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`).join('')}`, 'latin1');
const asText = (requests: Buffer[][]) => requests.map((r) => r.map((a) => a.toString('latin1')));

describe('RespRequestParser', () => {
  it('parses pipelined requests in one chunk, in order', () => {
    const parser = new RespRequestParser();
    const chunk = Buffer.concat([encodeRequest(['SET', 'k', 'v']), encodeRequest(['GET', 'k']), Buffer.from('PING\r\n')]);
    expect(asText(parser.push(chunk).requests)).toEqual([['SET', 'k', 'v'], ['GET', 'k'], ['PING']]);
    expect(parser.pendingBytes).toBe(0);
  });

  it('reassembles any fragmentation of a pipeline, binary values included', () => {
    const word = fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 20 });
    fc.assert(
      fc.property(fc.array(fc.array(word, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 20 }), (requests, cuts) => {
        const bytes = Buffer.concat(requests.map(encodeRequest));
        const parser = new RespRequestParser();
        const seen: string[][] = [];
        let offset = 0;
        for (const cut of cuts) {
          if (offset >= bytes.length) break;
          const result = parser.push(bytes.subarray(offset, offset + cut));
          expect(result.error).toBeUndefined();
          seen.push(...asText(result.requests));
          offset += cut;
        }
        if (offset < bytes.length) seen.push(...asText(parser.push(bytes.subarray(offset)).requests));
        expect(seen).toEqual(requests);
      }),
      { numRuns: 200 },
    );
  });

  it('splits inline requests on spaces and honours quotes', () => {
    expect(asText(new RespRequestParser().push(Buffer.from('set  "a b" c\r\n')).requests)).toEqual([['set', 'a b', 'c']]);
  });

  it('answers the good requests before garbage, then reports a protocol error and stays failed', () => {
    const parser = new RespRequestParser();
    const result = parser.push(Buffer.concat([encodeRequest(['PING']), Buffer.from('*2\r\n$3\r\nGET\r\n:12\r\n')]));
    expect(asText(result.requests)).toEqual([['PING']]);
    expect(result.error?.code).toBe(RespProtocolError.code);
    expect(result.error?.message).toMatch(/expected '\$', got ':'/);
    expect(parser.push(encodeRequest(['PING'])).error?.code).toBe(RespProtocolError.code);
  });

  it('refuses bad lengths and oversize input without buffering it', () => {
    for (const garbage of ['*abc\r\n', '*1\r\n$-5\r\n', '*1\r\n$99999999999\r\n', '*1\r\n$3\r\nabcXY']) {
      expect(new RespRequestParser().push(Buffer.from(garbage)).error?.code, garbage).toBe(RespProtocolError.code);
    }
    const small = new RespRequestParser({ maxBulkBytes: 10, maxInlineBytes: 16, maxArguments: 2 });
    expect(small.push(Buffer.from('*1\r\n$11\r\n')).error?.code).toBe(RespProtocolError.code);
    expect(new RespRequestParser({ maxInlineBytes: 16 }).push(Buffer.alloc(100, 0x61)).error?.code).toBe(RespProtocolError.code);
    expect(new RespRequestParser({ maxArguments: 2 }).push(Buffer.from('*3\r\n')).error?.code).toBe(RespProtocolError.code);
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const result = new RespRequestParser({ maxInlineBytes: 64 }).push(bytes);
        expect(result.error === undefined || result.error.code === RespProtocolError.code).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('reply encoding', () => {
  it('speaks RESP2 and RESP3', () => {
    expect(encodeReply(OK, 2).toString()).toBe('+OK\r\n');
    expect(encodeReply(bulk(null), 2).toString()).toBe('$-1\r\n');
    expect(encodeReply(bulk(null), 3).toString()).toBe('_\r\n');
    expect(encodeReply(array([bulk('a'), integer(3)]), 2).toString()).toBe('*2\r\n$1\r\na\r\n:3\r\n');
    expect(encodeReply(map([[bulk('k'), bulk('v')]]), 2).toString()).toBe('*2\r\n$1\r\nk\r\n$1\r\nv\r\n');
    expect(encodeReply(map([[bulk('k'), bulk('v')]]), 3).toString()).toBe('%1\r\n$1\r\nk\r\n$1\r\nv\r\n');
  });
});

describe('KvStateMachine', () => {
  const apply = (machine: KvStateMachine, at: number, command: Parameters<typeof encodeKvCommand>[1]) => machine.apply(encodeKvCommand(at, command));

  it('expires keys on the time agreed through the log, never going back', () => {
    const machine = new KvStateMachine();
    apply(machine, 1000, { op: 'set', key: 'k', value: 'v', expireMs: 500 });
    expect(machine.pttl('k')).toBe(500);
    apply(machine, 1400, { op: 'tick' });
    expect(machine.get('k')).toBe('v');
    apply(machine, 900, { op: 'tick' }); // a node with a slow clock stamps an older time
    expect(machine.time).toBe(1400);
    apply(machine, 1500, { op: 'tick' });
    expect(machine.get('k')).toBeUndefined();
    expect(machine.pttl('k')).toBe(-2);
    expect(machine.hasVolatileKeys).toBe(false);
  });

  it('INCRBY keeps 64-bit range and refuses non-integers', () => {
    const machine = new KvStateMachine();
    expect(apply(machine, 1, { op: 'incrby', key: 'n', by: '9223372036854775806' })).toEqual(integer(9223372036854775806n));
    expect(apply(machine, 1, { op: 'incrby', key: 'n', by: '1' })).toEqual(integer(9223372036854775807n));
    expect(apply(machine, 1, { op: 'incrby', key: 'n', by: '1' })).toEqual({ type: 'error', value: 'ERR increment or decrement would overflow' });
    apply(machine, 1, { op: 'set', key: 's', value: 'abc' });
    expect(apply(machine, 1, { op: 'incrby', key: 's', by: '1' })).toEqual({ type: 'error', value: 'ERR value is not an integer or out of range' });
  });

  it('encodes a plain SET without JSON, and every command, stamped or not, decodes to itself', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 12 });
    const command = fc.oneof(
      fc.record({ op: fc.constant('set' as const), key: text, value: fc.oneof(text, fc.string({ unit: 'binary', maxLength: 6 })) }),
      fc.record({ op: fc.constant('set' as const), key: text, value: text, expireMs: fc.integer({ min: 1, max: 50 }) }),
      fc.record({ op: fc.constant('set' as const), key: text, value: text, nx: fc.constant(true), get: fc.boolean() }),
      fc.record({ op: fc.constant('del' as const), keys: fc.array(text, { minLength: 1, maxLength: 2 }) }),
    );
    fc.assert(
      fc.property(command, fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 65_535 }), (c, at, logical) => {
        const encoded = encodeKvCommand(0, c);
        expect(decodeKvCommand(encoded)).toEqual({ at: 0, logical: 0, command: c });
        // As the leader stamps it, and as it arrives from the network or the log (a Uint8Array view into a larger buffer).
        const stamped = stampKvCommand(encoded, at, logical);
        const framed = new Uint8Array(stamped.byteLength + 5);
        framed.set(stamped, 3);
        expect(decodeKvCommand(framed.subarray(3, 3 + stamped.byteLength))).toEqual({ at, logical, command: c });
      }),
      { numRuns: 300 },
    );
    expect(encodeKvCommand(5, { op: 'set', key: 'k', value: 'v' })[0]).toBe(3); // no JSON
    expect(encodeKvCommand(5, { op: 'set', key: 'k', value: 'v', nx: true })[0]).toBe(2); // options: JSON
    expect(encodeKvCommand(5, { op: 'set', key: 'k', value: '\ud800' })[0]).toBe(2); // a lone surrogate: JSON carries it exactly
    expect(() => decodeKvCommand(new Uint8Array([3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 200, 0, 0, 0]))).toThrow(/not a stamped lattice-kv SET/);
  });

  it('replicas applying the same log agree, and a snapshot restores the same state', () => {
    const key = fc.constantFrom('a', 'b', 'c');
    const command = fc.oneof(
      fc.record({ op: fc.constant('set' as const), key, value: fc.string({ maxLength: 3 }), expireMs: fc.integer({ min: 1, max: 50 }) }),
      fc.record({ op: fc.constant('incrby' as const), key, by: fc.integer({ min: -5, max: 5 }).map(String) }),
      fc.record({ op: fc.constant('del' as const), keys: fc.array(key, { minLength: 1, maxLength: 2 }) }),
      fc.record({ op: fc.constant('expire' as const), key, ms: fc.integer({ min: -5, max: 50 }) }),
      fc.constant({ op: 'tick' as const }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), command), { maxLength: 40 }), fc.nat(40), (log, cut) => {
        const one = new KvStateMachine();
        const other = new KvStateMachine();
        const replies = log.map(([at, c]) => apply(one, at, c));
        for (const [at, c] of log.slice(0, cut)) apply(other, at, c);
        const restored = new KvStateMachine();
        restored.restore(other.snapshot());
        const rest = log.slice(cut).map(([at, c]) => apply(restored, at, c));
        expect(rest).toEqual(replies.slice(Math.min(cut, log.length)));
        expect(restored.snapshot()).toEqual(one.snapshot());
      }),
      { numRuns: 200 },
    );
  });
});

describe('globToRegExp', () => {
  it('matches like Redis KEYS', () => {
    expect(globToRegExp('user:*').test('user:1')).toBe(true);
    expect(globToRegExp('h?llo').test('hallo')).toBe(true);
    expect(globToRegExp('h[^e]llo').test('hello')).toBe(false);
    expect(globToRegExp('h[ae]llo').test('hello')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });
});

describe('RESP server', () => {
  // A backend without Raft: writes apply at once, and the read barrier is counted.
  async function withServer(body: (port: number, barriers: string[]) => Promise<void>) {
    const machine = new KvStateMachine();
    const barriers: string[] = [];
    let now = 1000;
    const server = await startRespServer(
      {
        machine,
        leaseReads: false,
        propose: async (command) => machine.apply(encodeKvCommand(now++, command)),
        readBarrier: async (mode) => {
          barriers.push(mode);
        },
        info: () => ({ raft_role: 'leader' }),
      },
      0,
    );
    const address = server.address();
    try {
      await body(typeof address === 'object' && address !== null ? address.port : 0, barriers);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  function exchange(port: number, bytes: string): Promise<{ reply: string; closed: boolean }> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let reply = '';
      const timer = setTimeout(() => {
        socket.destroy();
        resolve({ reply, closed: false });
      }, 300);
      socket.on('connect', () => {
        // Byte by byte: the worst fragmentation a client can produce.
        for (const byte of Buffer.from(bytes, 'latin1')) socket.write(Buffer.from([byte]));
      });
      socket.on('data', (chunk) => {
        reply += chunk.toString('latin1');
      });
      socket.on('end', () => {
        clearTimeout(timer);
        resolve({ reply, closed: true });
      });
      socket.on('error', reject);
    });
  }

  it('answers a fragmented pipeline in order', async () => {
    await withServer(async (port, barriers) => {
      const pipeline = Buffer.concat([encodeRequest(['SET', 'k', '1']), encodeRequest(['INCR', 'k']), encodeRequest(['GET', 'k']), encodeRequest(['MGET', 'k', 'x']), Buffer.from('PING\r\n')]).toString('latin1');
      const { reply, closed } = await exchange(port, pipeline);
      expect(reply).toBe('+OK\r\n:2\r\n$1\r\n2\r\n*2\r\n$1\r\n2\r\n$-1\r\n+PONG\r\n');
      expect(closed).toBe(false);
      expect(barriers).toEqual(['linearizable', 'linearizable']);
    });
  });

  it('answers a pipeline longer than the pending limit completely (pausing the socket), and QUIT closes', async () => {
    await withServer(async (port) => {
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        let data = '';
        socket.on('connect', () => socket.write(`${'INCR n\r\n'.repeat(3000)}QUIT\r\n`));
        socket.on('data', (chunk) => {
          data += chunk.toString('latin1');
        });
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
      });
      const lines = reply.split('\r\n');
      expect(lines.length).toBe(3002);
      expect(lines[2999]).toBe(':3000');
      expect(lines[3000]).toBe('+OK');
    });
  });

  it('answers garbage with a protocol error after the good replies, closes, and keeps serving others', async () => {
    await withServer(async (port) => {
      const { reply, closed } = await exchange(port, 'PING\r\n*1\r\n$x\r\n');
      expect(reply).toBe('+PONG\r\n-ERR Protocol error: invalid bulk length\r\n');
      expect(closed).toBe(true);
      expect((await exchange(port, 'PING\r\n')).reply).toBe('+PONG\r\n');
    });
  });

  it('switches to RESP3 with HELLO 3, serves follower reads without a barrier, refuses lease reads when off', async () => {
    await withServer(async (port, barriers) => {
      const { reply } = await exchange(port, 'HELLO 3\r\nGET nothing\r\nLATTICE.READS lease\r\nLATTICE.READS follower\r\nGET nothing\r\nCONFIG GET save\r\nSET k v EX 0\r\nSET k\r\nFOO bar\r\n');
      expect(reply.startsWith('%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n')).toBe(true);
      expect(reply).toContain('$5\r\nproto\r\n:3\r\n');
      expect(reply.slice(reply.indexOf('$7\r\nmodules\r\n*0\r\n') + '$7\r\nmodules\r\n*0\r\n'.length)).toBe(
        "_\r\n-ERR lease reads are off on this node: start it with --lease-reads\r\n+OK\r\n_\r\n%1\r\n$4\r\nsave\r\n$0\r\n\r\n-ERR invalid expire time in 'set' command\r\n-ERR wrong number of arguments for 'set' command\r\n-ERR unknown command 'FOO', with args beginning with: 'bar' \r\n",
      );
      expect(barriers).toEqual(['linearizable']);
    });
  });
});
