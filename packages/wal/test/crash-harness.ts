import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openWal } from '../src/index.js';
import { payloadFor, sameBytes } from './helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url));

/** What survived a round, for the report. */
export interface RoundReport {
  acknowledged: number;
  truncations: number;
  firstIndex: number;
  lastIndex: number;
  checked: number;
}

/** Everything the parent knows across rounds: acknowledged tags by index, and the highest compaction asked for. */
export interface CrashState {
  acked: Map<number, number>;
  maxDrop: number;
  nextTag: number;
}

export function newCrashState(): CrashState {
  return { acked: new Map(), maxDrop: 1, nextTag: 1 };
}

/**
 * Runs the child on `dir`, kills it with SIGKILL after `killAfterMs` of appending, reopens the
 * log and checks that every acknowledged record at or after the first index is present and
 * intact (records after a truncation's cut excepted), and that compaction never went further
 * than asked. Throws on any violation.
 */
export async function crashRound(
  dir: string,
  state: CrashState,
  killAfterMs: number,
  writers = 16,
  writerThread: 'auto' | 'always' | 'never' = 'auto',
): Promise<RoundReport> {
  const child = spawn(
    process.execPath,
    ['--conditions=@lattice/source', '--import', 'tsx', CHILD, dir, String(state.nextTag), String(writers), String(128 * 1024), writerThread],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let acknowledged = 0;
  let truncations = 0;
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let pending = '';
  let maxTag = state.nextTag;
  let ready: () => void;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!; // a partial last line is not an acknowledgement yet
    for (const line of lines) {
      const [kind, a, b] = line.split(' ');
      if (kind === 'ready') ready();
      else if (kind === 'a') {
        const index = Number(a);
        const tag = Number(b);
        const before = state.acked.get(index);
        if (before !== undefined && before !== tag) throw new Error(`index ${index} acknowledged twice (tags ${before}, ${tag})`);
        state.acked.set(index, tag);
        maxTag = Math.max(maxTag, tag);
        acknowledged++;
      } else if (kind === 'd') state.maxDrop = Math.max(state.maxDrop, Number(a));
      else if (kind === 't') {
        // From here records after the cut may be gone; no append is in flight (the child
        // paused), and new ones are acknowledged only after the truncation completed.
        for (const index of state.acked.keys()) if (index > Number(a)) state.acked.delete(index);
        truncations++;
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await Promise.race([isReady, exited.then(() => Promise.reject(new Error(`crash child exited early: ${stderr}`)))]);
  await boundedDelay(child, killAfterMs);
  child.kill('SIGKILL');
  await exited;
  state.nextTag = maxTag + 10;

  const wal = await openWal(dir, { segmentSize: 128 * 1024 });
  try {
    if (wal.firstIndex > state.maxDrop) throw new Error(`first index ${wal.firstIndex} is beyond any compaction asked for (${state.maxDrop})`);
    let checked = 0;
    for (const [index, tag] of state.acked) {
      if (index < wal.firstIndex) {
        state.acked.delete(index);
        continue;
      }
      if (index > wal.lastIndex) throw new Error(`acknowledged record ${index} is missing (log ends at ${wal.lastIndex})`);
      const data = await wal.read(index);
      if (!sameBytes(data, payloadFor(tag))) throw new Error(`acknowledged record ${index} (tag ${tag}) came back different`);
      checked++;
    }
    // Everything in the log, acknowledged or not, must read back cleanly.
    let count = 0;
    for await (const _ of wal.entries()) count++;
    if (count !== wal.lastIndex - wal.firstIndex + 1) throw new Error('iteration skipped records');
    return { acknowledged, truncations, firstIndex: wal.firstIndex, lastIndex: wal.lastIndex, checked };
  } finally {
    await wal.close();
  }
}

function boundedDelay(child: ChildProcess, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
