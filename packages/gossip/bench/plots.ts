/**
 * Draws the figures of bench/figures.json (written by bench/figures.ts) as SVG plots beside the
 * papers' curves, into docs/img/gossip-*.svg (`npm run plots -w @lattice/gossip`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { epidemicPeriods, swimFirstDetectionContinuous, swimFirstDetectionPeriods } from '../test/figures.js';

interface Figures {
  clusters: { n: number; seeds: number; firstProbePeriods: number; allDeadPeriods: number; disseminationPeriods: number; messagesPerMemberPerPeriod: number; runs: { firstProbePeriods: number; disseminationPeriods: number }[] }[];
  loss: Sweep[];
  slow: Sweep[];
}
interface Sweep {
  label: string;
  seeds: number;
  plain: { dead: number; suspicions: number };
  lifeguard: { dead: number; suspicions: number };
}
interface Series {
  name: string;
  points: { x: number; y: number }[];
  color: string;
  dashed?: boolean;
  dots?: boolean;
}

const figures = JSON.parse(readFileSync(new URL('./figures.json', import.meta.url), 'utf8')) as Figures;
const out = new URL('../../../docs/img/', import.meta.url);
mkdirSync(out, { recursive: true });

const W = 720;
const H = 360;
const M = { left: 64, right: 220, top: 40, bottom: 52 };
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2).replace(/\.?0+$/, '') || '0');

/** A line chart over a log10 x axis (cluster size). */
function lineChart(title: string, yLabel: string, series: Series[], yMax: number): string {
  const xs = [10, 30, 100, 300, 1000];
  const px = (x: number): number => M.left + ((Math.log10(x) - 1) / 2) * (W - M.left - M.right);
  const py = (y: number): number => H - M.bottom - (y / yMax) * (H - M.top - M.bottom);
  const parts: string[] = [];
  parts.push(`<text x="${M.left}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const y = (yMax * i) / 5;
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/><text x="${M.left - 6}" y="${py(y) + 4}" font-size="11" text-anchor="end">${fmt(y)}</text>`);
  }
  for (const x of xs) parts.push(`<line x1="${px(x)}" x2="${px(x)}" y1="${H - M.bottom}" y2="${H - M.bottom + 4}" stroke="#333"/><text x="${px(x)}" y="${H - M.bottom + 18}" font-size="11" text-anchor="middle">${x.toLocaleString('en')}</text>`);
  parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#333"/><line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#333"/>`);
  parts.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" font-size="12" text-anchor="middle">members (log scale)</text>`);
  parts.push(`<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" font-size="12" text-anchor="middle">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${px(p.x).toFixed(1)},${py(Math.min(p.y, yMax)).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    if (s.dots) for (const p of s.points) parts.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(Math.min(p.y, yMax)).toFixed(1)}" r="3.5" fill="${s.color}"/>`);
    const ly = M.top + 10 + i * 20;
    parts.push(`<line x1="${W - M.right + 12}" x2="${W - M.right + 36}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/><text x="${W - M.right + 42}" y="${ly + 4}" font-size="11">${esc(s.name)}</text>`);
  });
  return svg(parts);
}

/** Grouped bars (plain SWIM vs Lifeguard) on a log10(count + 1) axis. */
function barChart(title: string, yLabel: string, groups: { label: string; plain: number; lifeguard: number }[]): string {
  const top = Math.max(...groups.flatMap((g) => [g.plain, g.lifeguard]));
  const decades = Math.max(1, Math.ceil(Math.log10(top + 1)));
  const py = (v: number): number => H - M.bottom - (Math.log10(v + 1) / decades) * (H - M.top - M.bottom);
  const parts: string[] = [`<text x="${M.left}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`];
  for (const v of [0, ...Array.from({ length: decades }, (_, d) => 10 ** d), ...(10 ** decades - 1 >= top ? [] : [10 ** decades])]) {
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${py(v)}" y2="${py(v)}" stroke="#ddd"/><text x="${M.left - 6}" y="${py(v) + 4}" font-size="11" text-anchor="end">${v.toLocaleString('en')}</text>`);
  }
  const band = (W - M.left - M.right) / groups.length;
  groups.forEach((g, i) => {
    const x0 = M.left + i * band + band * 0.15;
    const bw = band * 0.33;
    for (const [j, value, color] of [
      [0, g.plain, '#d62728'],
      [1, g.lifeguard, '#1f77b4'],
    ] as const) {
      const x = x0 + j * bw;
      parts.push(`<rect x="${x.toFixed(1)}" y="${py(value).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${(H - M.bottom - py(value)).toFixed(1)}" fill="${color}"/>`);
      parts.push(`<text x="${(x + bw / 2).toFixed(1)}" y="${(py(value) - 4).toFixed(1)}" font-size="10" text-anchor="middle">${value.toLocaleString('en')}</text>`);
    }
    for (const [k, line] of g.label.split('|').entries()) parts.push(`<text x="${(M.left + i * band + band / 2).toFixed(1)}" y="${H - M.bottom + 16 + k * 13}" font-size="10" text-anchor="middle">${esc(line)}</text>`);
  });
  parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#333"/>`);
  parts.push(`<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" font-size="12" text-anchor="middle">${esc(yLabel)}</text>`);
  for (const [i, name, color] of [
    [0, 'plain SWIM', '#d62728'],
    [1, 'SWIM + Lifeguard', '#1f77b4'],
  ] as const) {
    parts.push(`<rect x="${W - M.right + 12}" y="${M.top + i * 20}" width="20" height="12" fill="${color}"/><text x="${W - M.right + 38}" y="${M.top + 10 + i * 20}" font-size="11">${name}</text>`);
  }
  return svg(parts);
}

function svg(parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif">\n<rect width="${W}" height="${H}" fill="#fff"/>\n${parts.join('\n')}\n</svg>\n`;
}

const c = figures.clusters;
const at = (pick: (row: Figures['clusters'][number]) => number) => c.map((row) => ({ x: row.n, y: pick(row) }));
const write = (name: string, content: string): void => {
  writeFileSync(new URL(name, out), content);
  console.log(`wrote docs/img/${name}`);
};

write(
  'gossip-detection.svg',
  lineChart('Time to first probe of a crashed member', 'protocol periods', [
    { name: 'measured (mean of seeds)', points: at((r) => r.firstProbePeriods), color: '#1f77b4', dots: true },
    { name: 'SWIM: 1/(1−e^−q_f)', points: c.map((r) => ({ x: r.n, y: swimFirstDetectionPeriods() })), color: '#d62728', dashed: true },
    { name: 'SWIM, continuous: 1/q_f', points: c.map((r) => ({ x: r.n, y: swimFirstDetectionContinuous() })), color: '#ff7f0e', dashed: true },
  ], 2.5),
);
write(
  'gossip-dissemination.svg',
  lineChart('Time for an update to reach every member', 'protocol periods', [
    { name: 'measured (mean of seeds)', points: at((r) => r.disseminationPeriods), color: '#1f77b4', dots: true },
    { name: 'push epidemic, fan-out 3', points: [10, 20, 50, 100, 200, 500, 1000].map((n) => ({ x: n, y: epidemicPeriods(n) })), color: '#d62728', dashed: true },
  ], 2),
);
write(
  'gossip-load.svg',
  lineChart('Messages sent per member per protocol period', 'messages', [
    { name: 'measured (quiet cluster)', points: at((r) => r.messagesPerMemberPerPeriod), color: '#1f77b4', dots: true },
    { name: 'SWIM: ping + ack', points: c.map((r) => ({ x: r.n, y: 2 })), color: '#d62728', dashed: true },
  ], 4),
);
write(
  'gossip-false-positives.svg',
  barChart(
    'Healthy members declared dead (dead events, 30 members, 300 periods)',
    'dead events (log scale)',
    [...figures.loss, ...figures.slow].map((s) => ({ label: s.label.replace(' slow lagging up to ', ' slow|≤ ').replace('loss ', 'loss|'), plain: s.plain.dead, lifeguard: s.lifeguard.dead })),
  ),
);
write(
  'gossip-suspicions.svg',
  barChart(
    'Suspicions of healthy members (suspect events, 30 members, 300 periods)',
    'suspect events (log scale)',
    [...figures.loss, ...figures.slow].map((s) => ({ label: s.label.replace(' slow lagging up to ', ' slow|≤ ').replace('loss ', 'loss|'), plain: s.plain.suspicions, lifeguard: s.lifeguard.suspicions })),
  ),
);
