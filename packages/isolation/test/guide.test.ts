import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { check, renderAnomalySvg, renderCycleSvg } from '../src/index.js';
import { GUIDE_EXAMPLES } from './helpers/guide-examples.js';

const docs = new URL('../../../docs/', import.meta.url);
const guide = readFileSync(new URL('isolation.md', docs), 'utf8');

/** Writes the drawings afresh: `LATTICE_WRITE_GUIDE=1 npx vitest run test/guide.test.ts`. */
const rewrite = process.env.LATTICE_WRITE_GUIDE === '1';

describe('docs/isolation.md', () => {
  for (const example of GUIDE_EXAMPLES) {
    it(`${example.name}: the history shows exactly ${example.expected.join(' and ')}, as the guide says`, async () => {
      const result = check(example.history, example.options);
      expect([...result.anomalyTypes].sort()).toEqual([...example.expected].sort());
      // The guide shows the same history and the same words.
      for (const txn of example.history) expect(guide).toContain(JSON.stringify(txn));
      for (const anomaly of result.anomalies) {
        for (const line of anomaly.explanation.split('\n')) expect(guide, `${example.name}: ${line}`).toContain(line.trim());
      }
      const drawings: [string, string][] = [];
      if (example.svg !== undefined) {
        const cycle = result.anomalies.find((a) => 'steps' in a && a.type === example.expected.find((t) => t.startsWith('G') && t !== 'G1a' && t !== 'G1b'));
        if (cycle === undefined || !('steps' in cycle)) throw new Error(`${example.name}: no cycle to draw`);
        drawings.push([example.svg, `${renderCycleSvg(cycle)}\n`]);
      }
      if (example.dataSvg !== undefined) {
        const data = result.anomalies.find((a) => !('steps' in a));
        if (data === undefined || 'steps' in data) throw new Error(`${example.name}: no data anomaly to draw`);
        drawings.push([example.dataSvg, `${renderAnomalySvg(data, example.history)}\n`]);
      }
      for (const [name, svg] of drawings) {
        const file = new URL(`isolation-${name}`, docs);
        if (rewrite) {
          const { writeFileSync } = await import('node:fs');
          writeFileSync(file, svg);
        }
        expect(readFileSync(file, 'utf8')).toBe(svg);
        expect(guide).toContain(`(isolation-${name})`);
      }
    });
  }
});
