import { describe, expect, it } from 'vitest';
import { checkShivizLog, SHIVIZ_REGEX, ShivizLog } from '../src/index.js';
import { threeNodeExchange } from '../scripts/shiviz-exchange.js';

function parseWithRegex(text: string): { host: string; clock: Record<string, number>; event: string }[] {
  const body = text.slice(text.indexOf('\n\n') + 2);
  const regex = new RegExp(SHIVIZ_REGEX, 'g');
  return [...body.matchAll(regex)].map((m) => ({ host: m.groups!.host!, clock: JSON.parse(m.groups!.clock!), event: m.groups!.event! }));
}

describe('ShiViz logging', () => {
  it('writes the regex line, a blank line, then host/clock and event lines', () => {
    const chunks: string[] = [];
    const log = new ShivizLog({ write: (chunk) => chunks.push(chunk) });
    const alice = log.process('alice');
    const bob = log.process('bob');
    const stamp = alice.send('ping bob');
    bob.event('thinking\nhard');
    bob.receive(stamp, 'got ping');
    expect(log.toString()).toBe(
      `${SHIVIZ_REGEX}\n\nalice {"alice":1}\nping bob\nbob {"bob":1}\nthinking hard\nbob {"alice":1,"bob":2}\ngot ping\n`,
    );
    expect(chunks.join('')).toBe(log.toString());
    expect(log.events).toBe(3);
    expect(() => log.process('has space')).toThrow(/whitespace/);
  });

  it('the scripted 3-node exchange produces a log that follows the ShiViz rules', () => {
    const text = threeNodeExchange();
    expect(checkShivizLog(text)).toEqual([]);
    const entries = parseWithRegex(text);
    expect(entries.length).toBeGreaterThan(6);
    expect(entries.length).toBe((text.split('\n').length - 3) / 2);
    expect(new Set(entries.map((e) => e.host)).size).toBe(3);
  });

  it('the checker finds broken logs', () => {
    const good = threeNodeExchange();
    expect(checkShivizLog(good.replace(SHIVIZ_REGEX, ''))).not.toEqual([]);
    expect(checkShivizLog(good.replace('\n\n', '\nx\n'))).not.toEqual([]);
    expect(checkShivizLog(good.replace('{"alpha":1}', '{"alpha":2}'))).not.toEqual([]);
    expect(checkShivizLog(good.replace('{"alpha":1}', '{"alpha":1,"gamma":7}'))).not.toEqual([]);
    expect(checkShivizLog(`${good}alpha {"alpha":99}\n`)).not.toEqual([]);
    expect(checkShivizLog(`${good}alpha {nope}\nx\n`)).not.toEqual([]);
  });
});
