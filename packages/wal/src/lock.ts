import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { WalLockedError } from './errors.js';
import { LOCK_FILE } from './format.js';

/** True when a process with this id exists (signal 0 probes without sending anything). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the directory's lock: `LOCK` holding this process id, created atomically (written
 * to a private name, then hard-linked, which fails if `LOCK` exists). A lock left by a process
 * that no longer exists (it crashed or was killed) is taken over; a lock held by a live
 * process, this one included, is refused with {@link WalLockedError}.
 *
 * Limits: process ids are only meaningful on one host (do not share a log directory between
 * machines or PID namespaces), and two processes taking over the same stale lock at the same
 * instant are not told apart.
 */
export async function acquireLock(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  const staging = join(dir, `${LOCK_FILE}.${randomUUID()}.staging`);
  await fsp.writeFile(staging, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await fsp.link(staging, path);
        return async () => {
          await fsp.unlink(path).catch(() => undefined);
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const pid = Number.parseInt(await fsp.readFile(path, 'utf8').catch(() => ''), 10);
      if (Number.isSafeInteger(pid) && pid > 0 && processAlive(pid)) throw new WalLockedError(dir, pid);
      await fsp.unlink(path).catch(() => undefined);
    }
    throw new WalLockedError(dir, undefined);
  } finally {
    await fsp.unlink(staging).catch(() => undefined);
  }
}
