import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, chownSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep, systemClock, systemTimers } from '@lattice/core';
import { ServiceStartError } from './errors.js';

/** A system user a server runs as, instead of the current one. */
export interface RunAs {
  readonly user: string;
  readonly uid: number;
  readonly gid: number;
}

export interface ServerProcessOptions {
  /** Names the server in errors ("redis-server on port 41234"). */
  readonly title: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  /** Runs the server as this user (via `runuser`), e.g. PostgreSQL when the tests run as root. */
  readonly runAs?: RunAs | undefined;
  /** Resolves true once the server answers over its own protocol. */
  readonly ready: () => Promise<boolean>;
  /** How long to wait for `ready`; default 20 s. */
  readonly readyTimeoutMs?: number | undefined;
  /** The signal for an orderly stop (PostgreSQL's fast shutdown is SIGINT); default SIGTERM. */
  readonly stopSignal?: NodeJS.Signals;
}

const OUTPUT_KEPT = 4000;
const STOP_GRACE_MS = 10_000;

/** A server child process: its own process group, output kept for error messages. */
export class ServerProcess {
  readonly #child: ChildProcess;
  readonly #options: ServerProcessOptions;
  readonly #exited: Promise<void>;
  #output = '';
  #stopping: Promise<void> | undefined;

  private constructor(options: ServerProcessOptions) {
    this.#options = options;
    const runAs = options.runAs;
    const [command, args] = asUser(runAs, options.command, options.args);
    // A process group of its own, so stop() reaches the server behind runuser too.
    this.#child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const keep = (chunk: Buffer): void => {
      this.#output = (this.#output + chunk.toString('utf8')).slice(-OUTPUT_KEPT);
    };
    this.#child.stdout?.on('data', keep);
    this.#child.stderr?.on('data', keep);
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', () => resolve());
      this.#child.once('error', (error) => {
        keep(Buffer.from(`\n${error.message}\n`));
        resolve();
      });
    });
  }

  /** Spawns the server and resolves once `ready` says so; stops it and throws if it never does. */
  static async start(options: ServerProcessOptions): Promise<ServerProcess> {
    const server = new ServerProcess(options);
    try {
      await server.#waitReady();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** The server's recent stdout and stderr. */
  get output(): string {
    return this.#output;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null && this.#child.pid !== undefined;
  }

  /** Stops the server (orderly signal, then SIGKILL after 10 s) and waits for it to exit. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  /**
   * Kills the server at once (SIGKILL), as a crash would, and waits until every process of its
   * group is gone (the child may exit before the server behind `runuser` and its workers do, and a
   * restart on the same data dir or port must not find them still there).
   */
  async kill(): Promise<void> {
    this.#signal('SIGKILL');
    await this.#exited;
    const pid = this.#child.pid;
    if (pid === undefined) return;
    const deadline = systemClock.monotonic() + STOP_GRACE_MS;
    while (groupAlive(pid) && systemClock.monotonic() < deadline) await sleep(systemTimers, 10);
  }

  async #stop(): Promise<void> {
    if (!this.running) {
      await this.#exited;
      return;
    }
    this.#signal(this.#options.stopSignal ?? 'SIGTERM');
    const timer = systemTimers.setTimeout(() => this.#signal('SIGKILL'), STOP_GRACE_MS);
    await this.#exited;
    systemTimers.clearTimeout(timer);
  }

  #signal(signal: NodeJS.Signals): void {
    const pid = this.#child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is gone already
    }
  }

  async #waitReady(): Promise<void> {
    const timeoutMs = this.#options.readyTimeoutMs ?? 20_000;
    const deadline = systemClock.monotonic() + timeoutMs;
    for (;;) {
      if (!this.running) {
        throw new ServiceStartError(`${this.#options.title} exited before it was ready:\n${this.#output.trim()}`);
      }
      if (await this.#options.ready().catch(() => false)) return;
      if (systemClock.monotonic() > deadline) {
        throw new ServiceStartError(`${this.#options.title} was not ready within ${timeoutMs} ms:\n${this.#output.trim()}`);
      }
      await sleep(systemTimers, 50);
    }
  }
}

/** True while some process of the group is still running (zombies awaiting their reaper count as gone). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return true; // no /proc: the signal check above is all there is
  }
  return entries.some((entry) => {
    const stat = procStat(Number(entry));
    return stat !== undefined && stat.group === pgid && stat.state !== 'Z';
  });
}

/**
 * True while process `pid` exists and is not a zombie. A killed server's processes can stay
 * zombies when the container's init does not reap orphans; they hold nothing, but a server
 * that checks its lock file with `kill(pid, 0)` (PostgreSQL) takes them for a live owner.
 */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = procStat(pid);
  return stat === undefined ? true : stat.state !== 'Z';
}

/** Pids of the running children of `parent` (Linux; empty without /proc). */
export function childProcesses(parent: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return [];
  }
  return entries.map(Number).filter((pid) => {
    const stat = procStat(pid);
    return stat !== undefined && stat.parent === parent && stat.state !== 'Z';
  });
}

function procStat(pid: number): { state: string; parent: number; group: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', parent: Number(fields[1]), group: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/** `runuser` lives in sbin, which is off PATH for many users (and in minimal environments). */
function runuserPath(): string {
  for (const dir of ['/usr/sbin', '/sbin', '/usr/bin', '/bin']) {
    const path = join(dir, 'runuser');
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return 'runuser';
}

/** The command line that runs `command` as `runAs` (unchanged without one). */
export function asUser(runAs: RunAs | undefined, command: string, args: readonly string[]): [string, string[]] {
  return runAs === undefined ? [command, [...args]] : [runuserPath(), ['-u', runAs.user, '--', command, ...args]];
}

/** The kernel's range of local ports for outgoing connections (Linux); elsewhere, IANA's dynamic range. */
function ephemeralPorts(): readonly [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low!, high!];
  } catch {
    // not Linux
  }
  return [49152, 65535];
}

/** Whether `port` on 127.0.0.1 can be listened on now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port the kernel picks (port 0): free now, but from the range outgoing connections draw on. */
function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const LOWEST_PORT = 10_000;
/** Ports this process has handed out, never handed out twice. */
const handedOut = new Set<number>();

/**
 * A port free on 127.0.0.1 now, for a server that another process binds a moment later. It is
 * drawn at random from below the kernel's ephemeral range: a port the kernel picks for port 0
 * comes from the range every outgoing connection draws its local port from, so under parallel
 * tests a client's connect could take it before the server binds it (EADDRINUSE).
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralPorts();
  for (let attempt = 0; attempt < 64 && low - LOWEST_PORT >= 1_000; attempt++) {
    const port = LOWEST_PORT + Math.floor(Math.random() * (low - LOWEST_PORT));
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  return kernelPort();
}

/** `count` distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** A fresh private directory for one server's data, owned by `owner` when given. */
export function makeServiceDir(service: string, owner?: RunAs): string {
  const dir = mkdtempSync(join(tmpdir(), `lattice-${service}-`));
  if (owner !== undefined) chownSync(dir, owner.uid, owner.gid);
  return dir;
}

export function removeServiceDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * Starts a server on fresh free ports, retrying with new ports when it exits before it is ready
 * (another process may have taken a port between the check and the bind).
 */
export async function startOnFreePorts<T>(attempts: number, start: () => Promise<T>): Promise<T> {
  let last: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await start();
    } catch (error) {
      last = error;
      const message = (error as Error).message;
      if (!/address already in use|EADDRINUSE|bind/i.test(message)) throw error;
    }
  }
  throw last;
}
