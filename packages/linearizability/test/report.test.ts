import { describe, expect, it } from 'vitest';
import {
  casRegisterModel,
  check,
  type KvInput,
  type KvOutput,
  kvModel,
  type Operation,
  parseEdnRegisterHistory,
  type RegisterInput,
  type RegisterOutput,
  registerModel,
  renderReport,
} from '../src/index.js';

const history: Operation<RegisterInput, RegisterOutput>[] = [
  { process: 0, call: 0, return: 10, input: { op: 'write', value: 1 }, output: undefined },
  { process: 1, call: 2, return: 3, input: { op: 'read' }, output: 1 },
  { process: 2, call: 4, return: 5, input: { op: 'read' }, output: null },
  { process: 3, call: 1, return: undefined, input: { op: 'write', value: '<b>' }, output: undefined },
];

describe('renderReport', () => {
  it('draws a non-linearizable history with the failing point and the unplaced operations', () => {
    const result = check(registerModel, history);
    const html = renderReport(result, history, registerModel);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('not linearizable');
    expect(html).toContain('failing point');
    expect(html).toContain('<svg');
    // One bar per operation, one row label per process.
    expect(html.match(/<g><title>/g)).toHaveLength(history.length);
    for (const p of [0, 1, 2, 3]) expect(html).toContain(`process ${p}</text>`);
    // The failing read is marked and listed.
    expect(html).toContain('#2 process 2: read -&#62; nil');
    expect(html).toContain('could not be placed');
    // Values are escaped, the page is self-contained.
    expect(html).not.toContain('<b>\'');
    expect(html).toContain('write &#34;&#60;b&#62;&#34;');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('draws a linearizable history with its linearization order', () => {
    const ok = history.slice(0, 2);
    const html = renderReport(check(registerModel, ok), ok, registerModel, { title: 'All good' });
    expect(html).toContain('<title>All good</title>');
    expect(html).toContain('1. write 1');
    expect(html).toContain('#1 process 1: read -&#62; 1\ncall 2, return 3\nlinearized 2nd');
    expect(html).not.toContain('failing point');
  });

  it('shows a window around the failing point of a large partition', () => {
    const big: Operation<KvInput, KvOutput>[] = [];
    for (let i = 0; i < 500; i++) big.push({ process: i % 3, call: 2 * i, return: 2 * i + 1, input: { op: 'put', key: 'k', value: `v${i}` }, output: undefined });
    big.push({ process: 0, call: 2000, return: 2001, input: { op: 'get', key: 'k' }, output: 'v3' });
    const result = check(kvModel, big);
    expect(result.verdict).toBe('not linearizable');
    const html = renderReport(result, big, kvModel, { maxOperations: 50 });
    expect(html).toContain('Showing 50 of 501 operations');
    expect(html.match(/<g><title>/g)).toHaveLength(50);
    expect(html).toContain('#500 process 0');
  });

  it('shows the history\'s own times (EDN :time) instead of positions', () => {
    const timed = parseEdnRegisterHistory(`{:process 0, :type :invoke, :f :write, :value 1, :time 1500}
{:process 0, :type :ok, :f :write, :value 1, :time 2750}
{:process 1, :type :invoke, :f :read, :value nil, :time 3100}
{:process 1, :type :ok, :f :read, :value nil, :time 4200}`);
    const html = renderReport(check(casRegisterModel, timed), timed, casRegisterModel);
    expect(html).toContain('#1 process 1: read -&#62; nil\ntime 3100 to 4200');
    expect(html).toContain('<td>time 3100 to 4200</td>');
    expect(html).toContain('read -&#62; nil</code>, time 3100 to 4200) cannot be placed next');
    expect(html).not.toMatch(/call \d+, return/);
  });

  it('draws every operation label whole, however long, in a bar wide enough for it', () => {
    const long = 'v'.repeat(120);
    const ops: Operation<KvInput, KvOutput>[] = [
      { process: 0, call: 0, return: 1, input: { op: 'put', key: 'k', value: long }, output: undefined },
      { process: 1, call: 2, return: 3, input: { op: 'get', key: 'k' }, output: `${long}!` },
      { process: 2, call: 2, return: undefined, input: { op: 'append', key: 'k', value: `${long}?` }, output: undefined },
    ];
    const html = renderReport(check(kvModel, ops), ops, kvModel);
    expect(html).not.toContain('…');
    const bars = [...html.matchAll(/<rect x="([\d.]+)" y="\d+" width="([\d.]+)"[^>]*\/><text x="[\d.]+" y="\d+" fill="#1d2330">([^<]*)<\/text>/g)];
    expect(bars).toHaveLength(3);
    for (const [, , width, label] of bars) {
      const text = label!.replace(/&#\d+;/g, '_');
      expect(text.length).toBeGreaterThan(120);
      expect(Number(width)).toBeGreaterThanOrEqual(text.length * 6.7);
    }
  });
});
