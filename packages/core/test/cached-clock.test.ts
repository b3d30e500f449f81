import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CachedClock, cachedSystemClock, InvalidArgumentError } from '../src/index.js';

const open: CachedClock[] = [];
function make(resolutionMs?: number): CachedClock {
  const clock = resolutionMs === undefined ? new CachedClock() : new CachedClock({ resolutionMs });
  open.push(clock);
  return clock;
}
afterEach(() => {
  for (const clock of open.splice(0)) clock.close();
  vi.restoreAllMocks();
});

/** Real time passes (the ticker is a real thread); bounded so a broken ticker fails the test. */
async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('CachedClock', () => {
  it('refuses a resolution that is not a number in (0, 60000]', () => {
    for (const bad of [0, -1, Number.NaN, 60_001, Number.POSITIVE_INFINITY, '1' as unknown as number]) {
      expect(() => new CachedClock({ resolutionMs: bad })).toThrow(InvalidArgumentError);
    }
  });

  it('reads the system clock until the ticker has written, then the shared memory', async () => {
    const clock = make();
    const before = Date.now();
    const first = clock.now();
    expect(first).toBeGreaterThanOrEqual(before);
    await until(() => clock.cached);
    expect(clock.closed).toBe(false);
  });

  it('stays within a few ms behind Date.now() and follows it', async () => {
    const clock = make();
    await until(() => clock.cached);
    let worst = 0;
    let ahead = 0;
    const start = clock.now();
    for (let i = 0; i < 200_000; i++) {
      const cached = clock.now();
      const real = Date.now();
      if (cached > real) ahead++;
      worst = Math.max(worst, real - cached);
    }
    expect(ahead).toBe(0);
    // Generous: this machine is shared; the lag is resolution plus scheduling delay.
    expect(worst).toBeLessThan(50);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(clock.now() - start).toBeGreaterThanOrEqual(20);
  });

  it('keeps monotonic() non-decreasing across cached reads, direct reads and close()', async () => {
    const clock = make();
    let last = clock.monotonic();
    let decreases = 0;
    const check = (): void => {
      const value = clock.monotonic();
      if (value < last) decreases++;
      last = value;
    };
    for (let i = 0; i < 1_000; i++) check();
    await until(() => clock.cached);
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 100_000; i++) check();
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    expect(Math.abs(clock.monotonic() - performance.now())).toBeLessThan(50);
    clock.close();
    for (let i = 0; i < 1_000; i++) check();
    expect(decreases).toBe(0);
  });

  it('moves on by itself when the ticker is starved (every 1,024th read asks the system clock)', async () => {
    // A 60 s resolution stands in for a ticker thread that the scheduler does not run.
    const clock = make(60_000);
    await until(() => clock.cached);
    const frozen = clock.now();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(clock.now()).toBe(frozen); // the ticker has not written again
    let value = frozen;
    for (let i = 0; i < 1_100; i++) value = clock.now();
    expect(value).toBeGreaterThanOrEqual(frozen + 30);
    expect(value).toBeLessThanOrEqual(Date.now());
    const mono = clock.monotonic();
    let monoValue = mono;
    for (let i = 0; i < 1_100; i++) monoValue = clock.monotonic();
    expect(monoValue).toBeGreaterThanOrEqual(mono + 30);
  });

  it('goes back to the system clock after close(), idempotently', async () => {
    const clock = make();
    await until(() => clock.cached);
    clock.close();
    clock.close();
    expect(clock.closed).toBe(true);
    expect(clock.cached).toBe(false);
    const before = Date.now();
    expect(clock.now()).toBeGreaterThanOrEqual(before);
  });

  it('falls back to the system clock where threads are unavailable', () => {
    vi.spyOn(process, 'getBuiltinModule').mockReturnValue(undefined as never);
    const clock = make();
    expect(clock.closed).toBe(true);
    expect(clock.cached).toBe(false);
    const before = Date.now();
    const value = clock.now();
    expect(value).toBeGreaterThanOrEqual(before);
    expect(value).toBeLessThanOrEqual(Date.now());
  });

  it('cachedSystemClock() shares one instance and starts a new one after close()', async () => {
    const a = cachedSystemClock();
    expect(cachedSystemClock()).toBe(a);
    await until(() => a.cached);
    a.close();
    const b = cachedSystemClock();
    expect(b).not.toBe(a);
    open.push(b);
    await until(() => b.cached);
  });

  it('does not keep a process alive', async () => {
    const core = fileURLToPath(new URL('..', import.meta.url));
    const script = `import { cachedSystemClock } from '@lattice/core';
const clock = cachedSystemClock();
const deadline = Date.now() + 5000;
while (!clock.cached && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
console.log(clock.cached ? 'cached' : 'not cached');`;
    const started = Date.now();
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--conditions=@lattice/source', '--import', 'tsx', '--input-type=module', '-e', script],
        { cwd: core, timeout: 20_000 },
        (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout.trim())),
      );
    });
    expect(output).toBe('cached');
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 30_000);
});
