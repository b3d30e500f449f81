import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { median, opsPerSecond, report, result } from '../src/index.js';

describe('bench-kit', () => {
  it('computes ratios as "times better" for both directions', () => {
    expect(result({ case: 'x', unit: 'ops/s', betterIs: 'higher', ours: 300, peer: 'p@1', peerValue: 100 }).ratio).toBe(3);
    expect(result({ case: 'x', unit: 'ms', betterIs: 'lower', ours: 10, peer: 'p@1', peerValue: 40 }).ratio).toBe(4);
    expect(result({ case: 'x', unit: 'ms', betterIs: 'lower', ours: 10, peer: null }).ratio).toBeUndefined();
  });

  it('measures both workloads and writes results.json', async () => {
    let a = 0;
    let b = 0;
    const rates = await opsPerSecond((n) => void (a += n), (n) => void (b += n), { iterations: 1000, rounds: 3, warmup: 1 });
    expect(a).toBe(4000);
    expect(b).toBe(4000);
    expect(rates.ours).toBeGreaterThan(0);
    const path = join(mkdtempSync(join(tmpdir(), 'bench-')), 'bench', 'results.json');
    report(path, [result({ case: 'x', unit: 'ops/s', betterIs: 'higher', ours: 2, peer: null })]);
    expect(JSON.parse(readFileSync(path, 'utf8'))[0].case).toBe('x');
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});
