import { checkShivizLog, SHIVIZ_REGEX as CLOCKS_SHIVIZ_REGEX } from '@lattice/clocks';
import { InvalidArgumentError } from '@lattice/core';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../src/event-log.js';
import { formatEvent, SHIVIZ_REGEX, Simulation, type SimEvent, spaceTimeSvg, toShiViz, toSpaceTimeDiagram } from '../src/index.js';
import { heartbeatNode } from './support/heartbeat.js';
import { runRegister } from './support/register-run.js';

async function faultyRun() {
  const sim = new Simulation({ seed: 21, nodes: 3, node: (ctx) => heartbeatNode(ctx, 20), network: { dropRate: 0.1, duplicateRate: 0.1 } });
  sim.at(100, () => sim.crash('n2'));
  sim.at(150, () => sim.restart('n2'));
  sim.at(200, () => sim.partition({ left: ['n1'], right: ['n2', 'n3'] }));
  sim.at(250, () => sim.heal());
  return sim.run({ duration: 300 });
}

/** Parses a ShiViz file the way ShiViz does: with the expression on its first line. */
function parseShiViz(text: string): { event: string; host: string; clock: Record<string, number> }[] {
  const lines = text.split('\n');
  expect(lines[0]).toBe(SHIVIZ_REGEX);
  expect(lines[1]).toBe('');
  const body = lines.slice(2).join('\n');
  const pattern = new RegExp(lines[0]!, 'g');
  const entries = [...body.matchAll(pattern)].map((m) => ({ event: m.groups!.event!, host: m.groups!.host!, clock: JSON.parse(m.groups!.clock!) as Record<string, number> }));
  // Every line pair was matched: nothing between the entries was skipped.
  expect(entries.length * 2).toBe(lines.length - 3);
  return entries;
}

describe('event log', () => {
  it('formats every kind of event as one line', () => {
    const events: SimEvent[] = [
      { time: 0, kind: 'start', node: 'a', msg: 1 },
      { time: 1, kind: 'start', node: 'a', msg: 2 },
      { time: 1.5, kind: 'send', node: 'a', peer: 'b', msg: 7, bytes: 12 },
      { time: 2, kind: 'deliver', node: 'b', peer: 'a', msg: 7, text: 'duplicate' },
      { time: 3, kind: 'fault', text: 'heal' },
      { time: 4, kind: 'invoke', node: 'c1', msg: 0, text: 'read' },
    ];
    expect(events.map(formatEvent)).toEqual([
      '       0.000 a start',
      '       1.000 a restart (incarnation 2)',
      '       1.500 a send #7 -> b 12B',
      '       2.000 b recv #7 <- a (duplicate)',
      '       3.000 * fault heal',
      '       4.000 c1 invoke p0 read',
    ]);
  });
});

describe('EventLog', () => {
  it('gives back exactly the events added, absent fields absent', () => {
    const log = new EventLog();
    const events: SimEvent[] = [
      { time: 0, kind: 'start', node: 'a', msg: 1 },
      { time: 1.25, kind: 'send', node: 'a', peer: 'b', msg: 7, bytes: 0 },
      { time: 2, kind: 'deliver', node: 'b', peer: 'a', msg: 7, text: 'duplicate' },
      { time: 3, kind: 'fault', text: 'heal' },
      { time: 4, kind: 'ok', node: 'c1', msg: 0, text: 'read -> 5' },
    ];
    for (let round = 0; round < 2_000; round++) {
      for (const e of events) log.add(e.time + round * 10, e.kind, e.node, e.peer, e.msg ?? Number.NaN, e.bytes ?? Number.NaN, e.text);
    }
    const back = log.toEvents();
    expect(back).toHaveLength(10_000);
    expect(back.slice(0, 5)).toEqual(events);
    expect(back[9_999]).toEqual({ ...events[4], time: 4 + 1_999 * 10 });
    expect(log.sends((msg) => msg === 7)).toHaveLength(2_000);
  });
});

describe('ShiViz log', () => {
  it('parses with ShiViz’s default expression and has consistent vector clocks', async () => {
    const result = await faultyRun();
    const entries = parseShiViz(result.shiviz());
    expect(entries.length).toBeGreaterThan(50);
    expect(checkShivizLog(result.shiviz())).toEqual([]);
    const last = new Map<string, number>();
    const sent = new Map<string, Record<string, number>>();
    for (const entry of entries) {
      expect(result.nodes).toContain(entry.host);
      // ShiViz requires the host's own entry to count its events 1, 2, 3, …
      const own = entry.clock[entry.host]!;
      expect(own).toBe((last.get(entry.host) ?? 0) + 1);
      last.set(entry.host, own);
      const send = /send #(\d+)/.exec(entry.event);
      if (send) sent.set(send[1]!, entry.clock);
      const receive = /receive #(\d+)/.exec(entry.event);
      if (receive) {
        // a receive happens after its send: its clock dominates the send's
        const at = sent.get(receive[1]!)!;
        for (const [host, count] of Object.entries(at)) expect(entry.clock[host]!).toBeGreaterThanOrEqual(count);
      }
    }
    expect(entries.some((entry) => entry.event.includes('crash'))).toBe(true);
    expect(entries.some((entry) => entry.event.includes('restart'))).toBe(true);
  });
});

describe('space-time diagram', () => {
  it('is a self-contained HTML page with lanes, arrows, drops, crashes and client operations', async () => {
    const result = await faultyRun();
    const html = result.diagram();
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    for (const node of result.nodes) expect(html).toContain(`>${node}</text>`);
    expect(html).toContain('class="msg"');
    expect(html).toContain('class="drop"');
    expect(html).toContain('class="crash"');
    expect(html).toContain('class="down"');
    expect(html).toContain('class="fault"');

    const register = await runRegister(3);
    const withClients = register.diagram({ maxMessages: 200 });
    expect(withClients).toContain('>c1</text>');
    expect(withClients).toContain('class="op-ok"');
    expect((withClients.match(/class="msg( duplicate)?"/g) ?? []).length).toBeLessThanOrEqual(400);
  });

  it('escapes text, and rejects an empty window', () => {
    const events: SimEvent[] = [{ time: 0, kind: 'note', node: 'a', text: '<script>alert(1)</script>' }];
    const html = toSpaceTimeDiagram(events, ['a'], { title: 'x & <y>' });
    expect(html).not.toContain('<script>');
    expect(html).toContain('x &#38; &#60;y&#62;');
    expect(() => toSpaceTimeDiagram(events, ['a'], { from: 10, to: 5 })).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
  });

  it('gives the SVG of a diagram on its own, styles inside, for a guide to embed', () => {
    const events: SimEvent[] = [{ time: 0, kind: 'note', node: 'a', text: 'hello' }];
    const svg = spaceTimeSvg(toSpaceTimeDiagram(events, ['a']));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('<style>');
    expect(svg).toContain('svg line.lane');
    expect(svg).not.toContain('<html');
    expect(() => spaceTimeSvg('<p>no diagram</p>')).toThrow(expect.objectContaining({ code: InvalidArgumentError.code }));
  });

  it('renders the ShiViz log of an empty run as just the header', () => {
    expect(toShiViz([], ['a'])).toBe(`${SHIVIZ_REGEX}\n\n`);
  });

  it('writes ShiViz logs in the one format of @lattice/clocks', () => {
    expect(SHIVIZ_REGEX).toBe(CLOCKS_SHIVIZ_REGEX);
    const log = toShiViz(
      [
        { time: 0, kind: 'start', node: 'a', msg: 1 },
        { time: 1, kind: 'send', node: 'a', peer: 'b', msg: 1, bytes: 3 },
        { time: 2.5, kind: 'deliver', node: 'b', peer: 'a', msg: 1 },
        { time: 3, kind: 'fault', text: 'heal' },
      ],
      ['a', 'b'],
    );
    expect(log).toBe(`${SHIVIZ_REGEX}\n\na {"a":1}\nt=0.000 start\na {"a":2}\nt=1.000 send #1 to b (3 bytes)\nb {"a":2,"b":1}\nt=2.500 receive #1 from a\n`);
  });
});
