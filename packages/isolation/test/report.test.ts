import { InvalidArgumentError } from '@lattice/core';
import { describe, expect, it } from 'vitest';
import { check, describeTransaction, renderAnomalySvg, renderCycleSvg, renderReport, type Transaction } from '../src/index.js';

const skew: Transaction[] = [
  { process: 0, type: 'ok', call: 0, return: 1, ops: [['r', '<x>', []], ['r', 'y', []], ['append', '<x>', 1]] },
  { process: 1, type: 'ok', call: 0, return: 1, ops: [['r', '<x>', []], ['r', 'y', []], ['append', 'y', 1]] },
  { process: 2, type: 'ok', call: 2, return: 3, ops: [['r', '<x>', [1]], ['r', 'y', [1]]] },
];

describe('renderReport', () => {
  it('is one self-contained page: verdicts per model, each anomaly in words with its cycle drawn', () => {
    const result = check(skew);
    const html = renderReport(result, skew, { title: 'skew & co' });
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<title>skew &#38; co</title>');
    expect(html).toContain('<td>serializable</td><td class="bad">incompatible</td><td>G2-item</td>');
    expect(html).toContain('<td>snapshot-isolation</td><td class="ok">compatible</td>');
    // Each refuted model names its counterexample, linked to the anomaly drawn below.
    expect(html).toContain('<td>G2-item</td><td><a href="#anomaly-0">G2-item: a cycle with two or more anti-dependencies (e.g. write skew): T1 → T0 → T1</a></td></tr>');
    expect(html).toContain('<div class="anomaly" id="anomaly-0">');
    expect(html.match(/<svg /g)).toHaveLength(1);
    // Keys are user data: escaped, never markup.
    expect(html).not.toContain('<x>');
    expect(html).toContain('&#34;&#60;x&#62;&#34;');
    expect(html).not.toMatch(/<script|<link|src=/);
  });

  it('draws a node per transaction and a labelled arrow per edge', () => {
    const cycle = check(skew).anomalies[0]!;
    if (!('steps' in cycle)) throw new Error('expected a cycle');
    const svg = renderCycleSvg(cycle);
    expect(svg.match(/<circle /g)).toHaveLength(2);
    expect(svg.match(/marker-end="url\(#arrow-rw\)"/g)).toHaveLength(2);
    expect(svg).toContain('>T0</text>');
    expect(svg).toContain('>T1</text>');
  });

  it('draws a non-cycle anomaly too: the writer and reader as boxes, the failed one dashed, linked by wr', () => {
    const history: Transaction[] = [
      { process: 0, type: 'fail', call: 0, return: 1, ops: [['append', '<x>', 1], ['append', 'y', 2]] },
      { process: 1, type: 'ok', call: 2, return: 3, ops: [['r', '<x>', [1]]] },
    ];
    const result = check(history);
    expect(result.anomalyTypes).toEqual(['G1a']);
    const anomaly = result.anomalies[0]!;
    if ('steps' in anomaly) throw new Error('expected a data anomaly');
    const svg = renderAnomalySvg(anomaly, history);
    expect(svg.match(/<rect [^>]*rx="6"/g)).toHaveLength(2);
    expect(svg.match(/stroke-dasharray="6 4"/g)).toHaveLength(1); // the failed writer
    expect(svg).toContain('>T0 (fail)</text>');
    expect(svg).toContain('>T1 (ok)</text>');
    expect(svg).toContain('marker-end="url(#arrow-data)"');
    expect(svg).toContain('>wr: read from a failed transaction</text>');
    // Only the micro-operations on the anomaly's key, escaped.
    expect(svg).toContain('>append &#34;&#60;x&#62;&#34; 1</text>');
    expect(svg).not.toContain('"y"');
    expect(svg).not.toContain('<x>');
    const html = renderReport(result, history);
    expect(html).toContain('aria-label="G1a"');
    expect(() => renderAnomalySvg({ ...anomaly, transactions: [] }, history)).toThrow(InvalidArgumentError);
    expect(() => renderAnomalySvg({ ...anomaly, transactions: [2] }, history)).toThrow(InvalidArgumentError);
    expect(() => renderAnomalySvg(anomaly, null as never)).toThrow(InvalidArgumentError);
    expect(() => renderAnomalySvg(null as never, history)).toThrow(InvalidArgumentError);
  });

  it('says when nothing was found', () => {
    const history = skew.slice(0, 1);
    const html = renderReport(check(history), history);
    expect(html).toContain('None found.');
    expect(html).toContain('<td>strict-serializable</td><td class="unchecked">unchecked</td><td>not checked: no realtime edges');
  });

  it('describes a transaction in one line', () => {
    expect(describeTransaction(skew, 2)).toBe('T2 (ok, process 2, 2 to 3): r "<x>" [1], r "y" [1]');
    expect(describeTransaction([{ process: 'c', type: 'info', call: 4, ops: [['w', 'k', 'v']] }], 0)).toBe('T0 (info, process "c", called at 4, never returned): w "k" "v"');
  });
});
