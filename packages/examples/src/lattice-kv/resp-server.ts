/**
 * The Redis-facing side of a lattice-kv node: one RESP connection per socket, commands answered
 * in order per connection (and a GET after a SET on the same connection sees it), writes proposed
 * through Raft, reads served after the connection's chosen read barrier. A pipeline's commands
 * run concurrently: its reads share barriers, its writes at the leader are proposed at once.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { isLatticeError, TimeoutError } from '@lattice/core';
import { type KvCommand, type KvStateMachine, NOT_INTEGER, parseInt64 } from './kv-state-machine.js';
import type { Nemesis } from './nemesis.js';
import { array, bulk, encodeReplyText, errorReply, integer, map, OK, type Reply, RespRequestParser, simple } from './resp.js';

/** How a connection's reads are made safe. */
export type ReadMode = 'linearizable' | 'lease' | 'follower';

/** What the RESP server needs from the node underneath. */
export interface KvBackend {
  readonly machine: KvStateMachine;
  /** Replicates a write; settles with its reply once applied on this node. */
  propose(command: KvCommand): Promise<Reply>;
  /**
   * Whether writes proposed now are appended in the order proposed (true at the leader), so a
   * connection's pipelined writes can all be proposed at once. Elsewhere (and without it) each
   * waits for the one before.
   */
  pipelineWrites?(): boolean;
  /** Resolves when this node may serve a read under `mode` ('follower' never waits). */
  readBarrier(mode: 'linearizable' | 'lease'): Promise<void>;
  /** Whether a read may be served now with no barrier at all (a leader whose lease holds). */
  readNow?(): boolean;
  /** Whether the node was started with lease reads. */
  readonly leaseReads: boolean;
  /** Lines of the `# Replication` / `# Raft` sections of INFO. */
  info(): Record<string, string | number>;
  /** Fault injection for tests (`LATTICE.NEMESIS`); absent on ordinary nodes, where the command is unknown. */
  readonly nemesis?: Nemesis;
}

const WRONG_ARGS = (name: string) => errorReply(`ERR wrong number of arguments for '${name}' command`);
const SYNTAX = errorReply('ERR syntax error');

/** Redis glob matching (`*`, `?`, `[...]`, `\`), as KEYS and SCAN MATCH use it. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') source += '[\\s\\S]*';
    else if (c === '?') source += '[\\s\\S]';
    else if (c === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i]!);
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close === -1) source += '\\[';
      else {
        let body = pattern.slice(i + 1, close);
        const negate = body.startsWith('^');
        if (negate) body = body.slice(1);
        source += `[${negate ? '^' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
        i = close;
      }
    } else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

function failureReply(error: unknown): Reply {
  if (isLatticeError(error, TimeoutError.code)) return errorReply(`TIMEOUT the write's outcome is unknown: ${error.message}`);
  if (isLatticeError(error)) return errorReply(`TRYAGAIN ${error.code}: ${error.message}`);
  return errorReply(`ERR ${String(error)}`);
}

class Connection {
  protocol: 2 | 3 = 2;
  /** Reads of this connection waiting to be served (they are served in their turn, from the state then). */
  unansweredReads = 0;
  /** Writes of this connection waiting for their turn to be proposed. */
  waitingWrites = 0;
  reads: ReadMode = 'linearizable';
  name = '';
  /**
   * Whether reads may be served with no barrier, asked of the backend once per chunk of input
   * (undefined: not asked yet in this chunk). The lease cannot end within one synchronous run
   * of a chunk's commands by more than the microseconds it takes, which its margin covers.
   */
  readNow: boolean | undefined = undefined;
}

/** Starts a RESP server over `backend` on `port` (0: any) at `host`. */
export function startRespServer(backend: KvBackend, port: number, host = '127.0.0.1'): Promise<Server> {
  const server = createServer((socket) => serve(backend, socket));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

const MAX_PENDING_REQUESTS = 1024;

/** A read waiting for its barrier; served when every earlier command of its connection has answered. */
class DeferredRead {
  constructor(
    readonly barrier: Promise<void> | undefined,
    readonly serve: () => Reply,
  ) {}
}

/** A write that may only be proposed once every earlier command of its connection has answered. */
class DeferredWrite {
  constructor(readonly start: () => Promise<Reply>) {}
}

/** What `execute` gives back: a reply now, one to come, or a command to finish in its turn. */
type Outcome = Reply | Promise<Reply> | DeferredRead | DeferredWrite;

/** One command of a connection, from its arrival to its answer (answers leave in arrival order). */
interface Slot {
  readonly protocol: 2 | 3;
  reply: Reply | undefined;
  serve: (() => Reply) | undefined;
  start: (() => Promise<Reply>) | undefined;
  /** Waiting for a barrier or a write. */
  blocked: boolean;
  /** A read (counted in `Connection.unansweredReads` until answered). */
  read: boolean;
  quit: boolean;
}

function serve(backend: KvBackend, socket: Socket): void {
  // Replies of one pipeline may leave in several writes (reads finishing in different rounds):
  // without this, Nagle holds the second back until the client's delayed ACK, ~40 ms.
  socket.setNoDelay(true);
  const parser = new RespRequestParser();
  const connection = new Connection();
  // Commands run concurrently (reads wait for one shared barrier, writes at the leader are
  // proposed at once, in order) but answer in order; a read is served only when it reaches the
  // head, after the connection's earlier writes were applied, so it sees them.
  let slots: Slot[] = [];
  let head = 0;
  let closed = false;
  let failed = false;
  let flushScheduled = false;
  socket.on('error', () => {
    closed = true;
  });
  socket.on('close', () => {
    closed = true;
  });

  const settle = (slot: Slot, outcome: Promise<Reply>) => {
    outcome.then(
      (reply) => {
        slot.reply = reply;
        slot.blocked = false;
        scheduleFlush();
      },
      (failure: unknown) => {
        slot.reply = failureReply(failure);
        slot.blocked = false;
        scheduleFlush();
      },
    );
  };

  const flush = () => {
    flushScheduled = false;
    if (closed) return;
    let out = '';
    let quit = false;
    while (head < slots.length) {
      const slot = slots[head]!;
      if (slot.blocked) break;
      if (slot.start !== undefined) {
        const start = slot.start;
        slot.start = undefined;
        connection.waitingWrites--;
        slot.blocked = true;
        settle(slot, start());
        break;
      }
      let reply = slot.reply;
      if (slot.read) connection.unansweredReads--;
      if (slot.serve !== undefined) {
        try {
          reply = slot.serve();
        } catch (failure) {
          reply = failureReply(failure);
        }
        slot.serve = undefined;
      }
      out += encodeReplyText(reply ?? OK, slot.protocol);
      head++;
      if (slot.quit) {
        quit = true;
        break;
      }
    }
    if (head === slots.length) {
      slots = [];
      head = 0;
    } else if (head > 1024) {
      slots = slots.slice(head);
      head = 0;
    }
    if (out !== '') socket.write(out, 'latin1');
    if (quit) {
      closed = true;
      socket.end();
      return;
    }
    if (!failed && slots.length - head <= MAX_PENDING_REQUESTS / 2 && socket.isPaused()) socket.resume();
  };

  // Many replies settle in one turn (Raft applies entries in batches): one write for them all.
  const scheduleFlush = () => {
    if (flushScheduled) return;
    flushScheduled = true;
    queueMicrotask(flush);
  };

  socket.on('data', (chunk: Buffer) => {
    if (failed || closed) return;
    const { requests, error } = parser.pushText(chunk);
    connection.readNow = undefined;
    // Replies ready at once while nothing of this connection waits ahead of them leave in one
    // write at the end of the chunk: the common case (a GET served from a lease, a PING, the
    // whole of a pipeline of such) needs no slot, no microtask and one string.
    let out = '';
    let quit = false;
    for (const request of requests) {
      // The hottest command first: a GET that needs no barrier, with nothing of this connection
      // ahead of it, is answered from the state machine here (what `execute` would do, minus
      // its allocations).
      if (request.length === 2 && head === slots.length && isGet(request[0]!) && readsNow(backend, connection)) {
        const value = backend.machine.get(request[1]!);
        out += value === undefined ? (connection.protocol === 3 ? '_\r\n' : '$-1\r\n') : `$${value.length}\r\n${value}\r\n`;
        continue;
      }
      let outcome: Outcome;
      try {
        outcome = execute(backend, connection, request);
      } catch (failure) {
        outcome = failureReply(failure);
      }
      // Replies are encoded in the protocol in force once their command ran (HELLO 3's own reply is a RESP3 map).
      const protocol = connection.protocol;
      const isQuit = request[0]!.length === 4 && request[0]!.toLowerCase() === 'quit';
      if (head === slots.length && !(outcome instanceof Promise) && !(outcome instanceof DeferredWrite) && !(outcome instanceof DeferredRead && outcome.barrier !== undefined)) {
        let reply: Reply;
        if (outcome instanceof DeferredRead) {
          try {
            reply = outcome.serve();
          } catch (failure) {
            reply = failureReply(failure);
          }
        } else reply = outcome;
        out += encodeReplyText(reply, protocol);
        if (isQuit) {
          quit = true;
          break;
        }
        continue;
      }
      const slot: Slot = { protocol, reply: undefined, serve: undefined, start: undefined, blocked: false, read: false, quit: isQuit };
      if (outcome instanceof Promise) {
        slot.blocked = true;
        settle(slot, outcome);
      } else if (outcome instanceof DeferredRead) {
        slot.serve = outcome.serve;
        slot.read = true;
        connection.unansweredReads++;
        if (outcome.barrier !== undefined) {
          slot.blocked = true;
          outcome.barrier.then(
            () => {
              slot.blocked = false;
              scheduleFlush();
            },
            (failure: unknown) => {
              slot.serve = undefined;
              slot.reply = failureReply(failure);
              slot.blocked = false;
              scheduleFlush();
            },
          );
        }
      } else if (outcome instanceof DeferredWrite) {
        slot.start = outcome.start;
        connection.waitingWrites++;
      } else slot.reply = outcome;
      slots.push(slot);
      if (slot.quit) break;
    }
    if (out !== '') socket.write(out, 'latin1');
    if (quit) {
      closed = true;
      socket.end();
      return;
    }
    if (error !== undefined) {
      failed = true;
      socket.pause();
      slots.push({ protocol: connection.protocol, reply: errorReply(`ERR ${error.message}`), serve: undefined, start: undefined, blocked: false, read: false, quit: true });
    }
    if (head === slots.length) return;
    // A client that pipelines faster than Raft commits waits in TCP instead of in our memory.
    if (slots.length - head > MAX_PENDING_REQUESTS) socket.pause();
    scheduleFlush();
  });
}

const isGet = (name: string): boolean => name.length === 3 && (name === 'GET' || name === 'get' || name.toLowerCase() === 'get');

/** Whether a read of `connection` may be served now with no barrier (follower reads, or a lease that holds). */
function readsNow(backend: KvBackend, connection: Connection): boolean {
  if (connection.reads === 'follower') return true;
  connection.readNow ??= backend.readNow?.() === true;
  return connection.readNow;
}

function read(backend: KvBackend, connection: Connection, serve: () => Reply): DeferredRead {
  const mode = connection.reads;
  if (mode === 'follower' || readsNow(backend, connection)) return new DeferredRead(undefined, serve);
  return new DeferredRead(backend.readBarrier(mode), serve);
}

/** At the leader, writes are appended in the order proposed, so a pipeline's writes go at once; elsewhere each waits for its turn. */
function write(backend: KvBackend, connection: Connection, command: KvCommand): Promise<Reply> | DeferredWrite {
  // A read still to be served before this write must not see it, and a write still waiting for
  // its turn must go first: then this one waits its turn too.
  const now = backend.pipelineWrites?.() === true && connection.unansweredReads === 0 && connection.waitingWrites === 0;
  return now ? backend.propose(command) : new DeferredWrite(() => backend.propose(command));
}

function seconds(text: string): number | undefined {
  const value = parseInt64(text);
  return value === undefined ? undefined : Number(value);
}

function execute(backend: KvBackend, connection: Connection, request: string[]): Outcome {
  const name = request[0]!.toLowerCase();
  const args = request.slice(1);
  const arity = (min: number, max = min) => args.length >= min && args.length <= max;
  const machine = backend.machine;
  switch (name) {
    case 'ping':
      if (!arity(0, 1)) return WRONG_ARGS(name);
      return args.length === 0 ? simple('PONG') : bulk(args[0]!);
    case 'echo':
      return arity(1) ? bulk(args[0]!) : WRONG_ARGS(name);
    case 'get':
      if (!arity(1)) return WRONG_ARGS(name);
      return read(backend, connection, () => bulk(machine.get(args[0]!) ?? null));
    case 'mget':
      if (args.length < 1) return WRONG_ARGS(name);
      return read(backend, connection, () => array(args.map((key) => bulk(machine.get(key) ?? null))));
    case 'exists':
      if (args.length < 1) return WRONG_ARGS(name);
      return read(backend, connection, () => integer(args.filter((key) => machine.get(key) !== undefined).length));
    case 'ttl':
    case 'pttl':
      if (!arity(1)) return WRONG_ARGS(name);
      return read(backend, connection, () => {
        const ms = machine.pttl(args[0]!);
        return integer(ms < 0 || name === 'pttl' ? ms : Math.round(ms / 1000));
      });
    case 'dbsize':
      return arity(0) ? read(backend, connection, () => integer(machine.size)) : WRONG_ARGS(name);
    case 'keys': {
      if (!arity(1)) return WRONG_ARGS(name);
      const pattern = globToRegExp(args[0]!);
      return read(backend, connection, () => array(machine.keys().filter((key) => pattern.test(key)).map((key) => bulk(key))));
    }
    case 'scan':
      return scan(backend, connection, args);
    case 'set':
      return set(backend, connection, args);
    case 'mset': {
      if (args.length < 2 || args.length % 2 !== 0) return WRONG_ARGS(name);
      const pairs: [string, string][] = [];
      for (let i = 0; i < args.length; i += 2) pairs.push([args[i]!, args[i + 1]!]);
      return write(backend, connection, { op: 'mset', pairs });
    }
    case 'del':
    case 'unlink':
      return args.length < 1 ? WRONG_ARGS(name) : write(backend, connection, { op: 'del', keys: args });
    case 'incr':
    case 'decr':
      return arity(1) ? write(backend, connection, { op: 'incrby', key: args[0]!, by: name === 'incr' ? '1' : '-1' }) : WRONG_ARGS(name);
    case 'incrby':
    case 'decrby': {
      if (!arity(2)) return WRONG_ARGS(name);
      const by = parseInt64(args[1]!);
      if (by === undefined) return errorReply(NOT_INTEGER);
      return write(backend, connection, { op: 'incrby', key: args[0]!, by: (name === 'incrby' ? by : -by).toString() });
    }
    case 'expire':
    case 'pexpire': {
      if (!arity(2)) return WRONG_ARGS(name);
      const amount = seconds(args[1]!);
      if (amount === undefined) return errorReply(NOT_INTEGER);
      return write(backend, connection, { op: 'expire', key: args[0]!, ms: name === 'expire' ? amount * 1000 : amount });
    }
    case 'flushdb':
    case 'flushall':
      return arity(0, 1) ? write(backend, connection, { op: 'flushdb' }) : WRONG_ARGS(name);
    case 'select':
      if (!arity(1)) return WRONG_ARGS(name);
      return args[0] === '0' ? OK : errorReply('ERR DB index is out of range');
    case 'hello':
      return hello(connection, args);
    case 'client':
      return client(connection, args);
    case 'command':
      // redis-cli asks for COMMAND DOCS to show hints; an empty answer means "no hints".
      if (args.length === 0 || ['docs', 'info'].includes(args[0]!.toLowerCase())) return connection.protocol === 3 && args[0]?.toLowerCase() === 'docs' ? map([]) : array([]);
      if (args[0]!.toLowerCase() === 'count') return integer(COMMAND_NAMES.length);
      return errorReply(`ERR unknown subcommand '${args[0]}'. Try COMMAND HELP.`);
    case 'config':
      return config(args);
    case 'info':
      return bulk(info(backend));
    case 'lattice.reads': {
      if (!arity(0, 1)) return WRONG_ARGS(name);
      if (args.length === 0) return bulk(connection.reads);
      const mode = args[0]!.toLowerCase();
      if (mode !== 'linearizable' && mode !== 'lease' && mode !== 'follower') return errorReply('ERR LATTICE.READS takes linearizable, lease or follower');
      if (mode === 'lease' && !backend.leaseReads) return errorReply('ERR lease reads are off on this node: start it with --lease-reads');
      connection.reads = mode;
      return OK;
    }
    case 'readonly':
      connection.reads = 'follower';
      return OK;
    case 'readwrite':
      connection.reads = 'linearizable';
      return OK;
    case 'quit':
      return OK;
    case 'lattice.nemesis':
      if (backend.nemesis !== undefined) return nemesis(backend.nemesis, args);
      return unknownCommand(request, args);
    default:
      return unknownCommand(request, args);
  }
}

function unknownCommand(request: string[], args: string[]): Reply {
  return errorReply(`ERR unknown command '${request[0]}', with args beginning with: ${args.slice(0, 8).map((arg) => `'${arg}' `).join('')}`);
}

function nemesis(control: Nemesis, args: string[]): Reply {
  const sub = (args[0] ?? '').toLowerCase();
  if (sub === 'isolate' && args.length >= 2) control.isolate(args.slice(1));
  else if (sub === 'heal' && args.length === 1) control.heal();
  else if (args.length !== 0) return errorReply('ERR LATTICE.NEMESIS takes ISOLATE <peer>… or HEAL');
  return array(control.isolated.map((peer) => bulk(peer)));
}

const COMMAND_NAMES = ['get', 'set', 'del', 'exists', 'incr', 'incrby', 'decr', 'decrby', 'mget', 'mset', 'expire', 'pexpire', 'ttl', 'pttl', 'keys', 'scan', 'ping', 'echo', 'info', 'dbsize', 'flushdb', 'hello', 'command', 'config', 'select', 'client', 'lattice.reads', 'readonly', 'readwrite'];

function set(backend: KvBackend, connection: Connection, args: string[]): Outcome {
  if (args.length < 2) return WRONG_ARGS('set');
  const command: KvCommand & { op: 'set' } = { op: 'set', key: args[0]!, value: args[1]! };
  for (let i = 2; i < args.length; i++) {
    const option = args[i]!.toUpperCase();
    if (option === 'NX' && command.xx !== true) command.nx = true;
    else if (option === 'XX' && command.nx !== true) command.xx = true;
    else if (option === 'GET') command.get = true;
    else if (option === 'KEEPTTL' && command.expireMs === undefined) command.keepTtl = true;
    else if ((option === 'EX' || option === 'PX') && command.expireMs === undefined && command.keepTtl !== true && i + 1 < args.length) {
      const amount = seconds(args[++i]!);
      if (amount === undefined) return errorReply(NOT_INTEGER);
      if (amount <= 0) return errorReply(`ERR invalid expire time in 'set' command`);
      command.expireMs = option === 'EX' ? amount * 1000 : amount;
    } else return SYNTAX;
  }
  return write(backend, connection, command);
}

function scan(backend: KvBackend, connection: Connection, args: string[]): Outcome {
  if (args.length < 1) return WRONG_ARGS('scan');
  const cursor = parseInt64(args[0]!);
  if (cursor === undefined || cursor < 0n) return errorReply('ERR invalid cursor');
  let count = 10;
  let pattern: RegExp | undefined;
  for (let i = 1; i < args.length; i += 2) {
    const option = args[i]!.toUpperCase();
    const value = args[i + 1];
    if (value === undefined) return SYNTAX;
    if (option === 'COUNT') {
      const parsed = parseInt64(value);
      if (parsed === undefined) return errorReply(NOT_INTEGER);
      if (parsed < 1n) return SYNTAX;
      count = Number(parsed);
    } else if (option === 'MATCH') pattern = globToRegExp(value);
    else if (option === 'TYPE') {
      if (value.toLowerCase() !== 'string') return read(backend, connection, () => array([bulk('0'), array([])]));
    } else return SYNTAX;
  }
  return read(backend, connection, () => {
    // The cursor is a position in the sorted key list: keys present for the whole scan are
    // returned unless keys before them were deleted meanwhile (Redis promises more).
    const keys = backend.machine.keys();
    const start = Number(cursor);
    const page = keys.slice(start, start + count);
    const next = start + count >= keys.length ? 0 : start + count;
    return array([bulk(String(next)), array(page.filter((key) => pattern === undefined || pattern.test(key)).map((key) => bulk(key)))]);
  });
}

function hello(connection: Connection, args: string[]): Reply {
  if (args.length > 0) {
    const version = args[0]!;
    if (version !== '2' && version !== '3') return errorReply('NOPROTO unsupported protocol version');
    for (let i = 1; i < args.length; i++) {
      const option = args[i]!.toUpperCase();
      if (option === 'SETNAME' && i + 1 < args.length) connection.name = args[++i]!;
      else if (option === 'AUTH' && i + 2 < args.length) i += 2;
      else return SYNTAX;
    }
    connection.protocol = version === '3' ? 3 : 2;
  }
  return map([
    [bulk('server'), bulk('redis')],
    [bulk('version'), bulk('7.0.0')],
    [bulk('proto'), integer(connection.protocol)],
    [bulk('id'), integer(1)],
    [bulk('mode'), bulk('standalone')],
    [bulk('role'), bulk('master')],
    [bulk('modules'), array([])],
  ]);
}

function client(connection: Connection, args: string[]): Reply {
  const sub = (args[0] ?? '').toLowerCase();
  if (sub === 'setname' && args.length === 2) {
    connection.name = args[1]!;
    return OK;
  }
  if (sub === 'getname' && args.length === 1) return bulk(connection.name === '' ? null : connection.name);
  if (sub === 'setinfo' && args.length === 3) return OK;
  if (sub === 'id' && args.length === 1) return integer(1);
  return errorReply(`ERR unknown subcommand '${args[0] ?? ''}'. Try CLIENT HELP.`);
}

// redis-benchmark reads `save` and `appendonly` to print the server's persistence settings.
const CONFIG: Record<string, string> = { save: '', appendonly: 'yes', appendfsync: 'always', databases: '1' };

function config(args: string[]): Reply {
  const sub = (args[0] ?? '').toLowerCase();
  if (sub !== 'get') return errorReply(`ERR unknown subcommand '${args[0] ?? ''}'. Try CONFIG HELP.`);
  if (args.length < 2) return WRONG_ARGS('config|get');
  const pairs: (readonly [Reply, Reply])[] = [];
  for (const pattern of args.slice(1)) {
    const matcher = globToRegExp(pattern.toLowerCase());
    for (const [key, value] of Object.entries(CONFIG)) if (matcher.test(key)) pairs.push([bulk(key), bulk(value)]);
  }
  return map(pairs);
}

function info(backend: KvBackend): string {
  const lines = ['# Server', 'redis_version:7.0.0', 'lattice_kv:1', 'redis_mode:standalone', '', '# Keyspace'];
  const size = backend.machine.size;
  if (size > 0) lines.push(`db0:keys=${size},expires=${backend.machine.volatileCount},avg_ttl=0`);
  lines.push('', '# Raft');
  for (const [key, value] of Object.entries(backend.info())) lines.push(`${key}:${value}`);
  return `${lines.join('\r\n')}\r\n`;
}
