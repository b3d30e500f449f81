/**
 * `npm run demo` end to end: the real script, three real node processes, the leader SIGKILLed;
 * the printed story must show the new election, no acknowledged write lost, and the restarted
 * node catching up from the leader's snapshot.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('npm run demo (lattice-kv)', () => {
  it('tells the story: election after the leader is killed, no acknowledged write lost, catch-up from a snapshot', async () => {
    const { stdout } = await run(process.execPath, ['--conditions=@lattice/source', '--import', 'tsx', 'src/main.ts'], { cwd: packageDir, timeout: 90_000 });
    const first = /2\. Node (\w) won the first election \(term (\d+)\)/.exec(stdout);
    expect(first, stdout).not.toBeNull();
    const [, firstLeader, firstTerm] = first!;
    expect(stdout).toContain(`4. SIGKILL to node ${firstLeader}, the leader`);
    const elected = /5\. Node (\w) was elected leader in term (\d+), (\d+) ms after the kill/.exec(stdout);
    expect(elected, stdout).not.toBeNull();
    const [, newLeader, newTerm, electionMs] = elected!;
    expect(newLeader).not.toBe(firstLeader);
    expect(Number(newTerm)).toBeGreaterThan(Number(firstTerm));
    expect(Number(electionMs)).toBeLessThan(10_000);
    const read = /7\. .* (\d+)\/(\d+) present with the acknowledged value — no acknowledged write was lost/.exec(stdout);
    expect(read, stdout).not.toBeNull();
    expect(read![1]).toBe(read![2]);
    expect(Number(read![2])).toBeGreaterThan(200);
    const caughtUp = new RegExp(`8\\. Node ${firstLeader} restarts .* log \\(up to index (\\d+)\\)\\..* ${firstLeader} installed the snapshot at index (\\d+) and caught up to index (\\d+)`).exec(stdout);
    expect(caughtUp, stdout).not.toBeNull();
    const [, diskIndex, snapshotIndex, appliedIndex] = caughtUp!.map(Number) as [number, number, number, number];
    expect(snapshotIndex).toBeGreaterThan(diskIndex);
    expect(appliedIndex).toBeGreaterThanOrEqual(snapshotIndex);
    const there = /9\. .* (\d+)\/(\d+) acknowledged writes there/.exec(stdout);
    expect(there?.[1]).toBe(read![2]);
    expect(there?.[2]).toBe(read![2]);
    expect(stdout).toMatch(/Done in [\d.]+ s: .* none lost, the restarted node caught up from a snapshot\./);
  }, 120_000);
});
