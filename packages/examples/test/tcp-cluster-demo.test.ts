import { checkShivizLog } from '@lattice/clocks';
import { describe, expect, it } from 'vitest';
import { runTcpClusterDemo } from '../src/index.js';

describe('TCP cluster demo', () => {
  it('delivers, refuses the intruder, and recovers every queued message after the crash', async () => {
    const lines: string[] = [];
    const report = await runTcpClusterDemo((line) => lines.push(line));
    expect(report.rejectedIntruders).toBeGreaterThanOrEqual(1);
    expect(report.deliveredAfterRestart).toBe(report.queuedWhileDown);
    expect(report.delivered).toBe(6 + 1 + 6 + 1);
    expect(lines.at(-1)).toMatch(/^Done: 14 messages delivered/);
    expect(checkShivizLog(report.shiviz)).toEqual([]);
  });
});
