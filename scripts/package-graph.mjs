#!/usr/bin/env node
/**
 * Draws the dependency graph of the workspace packages as docs/packages.svg.
 *
 *   node scripts/package-graph.mjs          writes docs/packages.svg
 *   node scripts/package-graph.mjs --check  exits 1 when the committed file is not what the
 *                                           package.json files describe now (run by .ci/run)
 *
 * Every `packages/<name>/package.json` is read: `dependencies` and `peerDependencies` on other
 * workspace packages are solid arrows, `devDependencies` dashed ones. The layout is layered:
 * core at the bottom, each package one row above the highest package it depends on (dev
 * dependencies included, so the test and benchmark kits sit just above core and a package tested
 * on the simulator sits above it; were the dev edges ever to close a cycle, rows would follow the
 * runtime edges alone), the examples on the top row. Within a row, packages are ordered by the mean
 * position of what they depend on and placed near it, so arrows cross as little as a simple
 * rule allows. Nearly every package depends on core, so those arrows are left out and the
 * legend names the packages that do not (computed, like everything else). No
 * layout tool is needed, and the output depends on nothing but the package.json files, so the
 * check is exact.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const output = join(root, 'docs', 'packages.svg');

const BOX_WIDTH = 196;
const BOX_HEIGHT = 44;
const GAP_X = 28;
const GAP_Y = 78;
const MARGIN = 24;
const LEGEND_HEIGHT = 62;
const TOP_NAME = '@lattice/examples';
const BOTTOM_NAME = '@lattice/core';

/** The workspace packages: name, whether private, and the workspace packages each depends on. */
export function readPackages(packagesDir = join(root, 'packages')) {
  const packages = [];
  for (const dir of readdirSync(packagesDir).sort()) {
    const file = join(packagesDir, dir, 'package.json');
    if (!existsSync(file)) continue;
    const json = JSON.parse(readFileSync(file, 'utf8'));
    packages.push({
      name: json.name,
      private: json.private === true,
      runtime: Object.keys({ ...json.dependencies, ...json.peerDependencies }),
      dev: Object.keys(json.devDependencies ?? {}),
    });
  }
  const names = new Set(packages.map((p) => p.name));
  for (const p of packages) {
    p.runtime = p.runtime.filter((d) => names.has(d)).sort();
    p.dev = p.dev.filter((d) => names.has(d) && !p.runtime.includes(d)).sort();
  }
  return packages;
}

/** Row of every package: 0 for core and anything without dependencies, else one above its highest dependency. */
function layers(packages) {
  try {
    return layersBy(packages, (p) => [...p.runtime, ...p.dev]);
  } catch {
    return layersBy(packages, (p) => p.runtime);
  }
}

function layersBy(packages, dependenciesOf) {
  const byName = new Map(packages.map((p) => [p.name, p]));
  const row = new Map();
  const visiting = new Set();
  const rowOf = (name) => {
    const known = row.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) throw new Error(`dependency cycle through ${name}`);
    visiting.add(name);
    const deps = dependenciesOf(byName.get(name));
    const value = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(rowOf));
    visiting.delete(name);
    row.set(name, value);
    return value;
  };
  for (const p of packages) rowOf(p.name);
  const top = Math.max(0, ...[...row.entries()].filter(([name]) => name !== TOP_NAME).map(([, r]) => r)) + 1;
  if (row.has(TOP_NAME)) row.set(TOP_NAME, Math.max(row.get(TOP_NAME), top));
  return row;
}

/** Positions (centre x, top y) of every package, bottom row last. */
function layout(packages) {
  const row = layers(packages);
  const rows = Math.max(...row.values()) + 1;
  const members = Array.from({ length: rows }, () => []);
  for (const p of packages) members[row.get(p.name)].push(p);
  const widest = Math.max(...members.map((m) => m.length));
  const width = MARGIN * 2 + widest * BOX_WIDTH + (widest - 1) * GAP_X;
  const x = new Map();
  const place = (list) => {
    const span = list.length * BOX_WIDTH + (list.length - 1) * GAP_X;
    let left = (width - span) / 2;
    for (const p of list) {
      x.set(p.name, left + BOX_WIDTH / 2);
      left += BOX_WIDTH + GAP_X;
    }
  };
  members[0].sort((a, b) => (a.name === BOTTOM_NAME ? -1 : b.name === BOTTOM_NAME ? 1 : a.name.localeCompare(b.name)));
  place(members[0]);
  const step = BOX_WIDTH + GAP_X;
  for (let r = 1; r < rows; r++) {
    const placed = (p) => [...p.runtime, ...p.dev].filter((d) => x.has(d) && d !== BOTTOM_NAME);
    const mean = (p) => (placed(p).length === 0 ? width / 2 : placed(p).reduce((sum, d) => sum + x.get(d), 0) / placed(p).length);
    const list = members[r].sort((a, b) => mean(a) - mean(b) || a.name.localeCompare(b.name));
    if (list.length === widest) {
      place(list);
      continue;
    }
    // Near the packages each depends on, then pushed apart (left to right, then back from the right edge).
    const centres = list.map(mean);
    const lowest = MARGIN + BOX_WIDTH / 2;
    const highest = width - MARGIN - BOX_WIDTH / 2;
    for (let i = 0; i < centres.length; i++) centres[i] = Math.max(centres[i], i === 0 ? lowest : centres[i - 1] + step);
    for (let i = centres.length - 1; i >= 0; i--) centres[i] = Math.min(centres[i], i === centres.length - 1 ? highest : centres[i + 1] - step);
    for (const [i, p] of list.entries()) x.set(p.name, Math.round(centres[i]));
  }
  const height = MARGIN * 2 + rows * BOX_HEIGHT + (rows - 1) * GAP_Y + LEGEND_HEIGHT;
  const y = new Map();
  for (const p of packages) y.set(p.name, MARGIN + (rows - 1 - row.get(p.name)) * (BOX_HEIGHT + GAP_Y));
  return { width, height, x, y };
}

const escapeXml = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fixed = (n) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** An edge from the package at (x1, y1 top) to the one at (x2, y2 top): from the facing sides, as a curve. */
function edgePath(x1, y1, x2, y2) {
  const down = y2 > y1;
  const startY = down ? y1 + BOX_HEIGHT : y1;
  const endY = down ? y2 : y2 + BOX_HEIGHT;
  if (y1 === y2) {
    // Same row (only dev edges can be): an arc over the boxes.
    const lift = 30;
    return `M${fixed(x1)},${fixed(y1)} C${fixed(x1)},${fixed(y1 - lift)} ${fixed(x2)},${fixed(y2 - lift)} ${fixed(x2)},${fixed(y2)}`;
  }
  const bend = (endY - startY) / 2;
  return `M${fixed(x1)},${fixed(startY)} C${fixed(x1)},${fixed(startY + bend)} ${fixed(x2)},${fixed(endY - bend)} ${fixed(x2)},${fixed(endY)}`;
}

/** The SVG text for `packages`. */
export function renderSvg(packages) {
  const { width, height, x, y } = layout(packages);
  const lines = [];
  lines.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${fixed(width)}" height="${fixed(height)}" viewBox="0 0 ${fixed(width)} ${fixed(height)}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="13">`,
    '  <title>Lattice packages and their dependencies</title>',
    '  <desc>Generated by scripts/package-graph.mjs from packages/*/package.json. Solid arrows: dependencies and peer dependencies. Dashed arrows: devDependencies (tests, benchmarks). Dashed boxes: private packages.</desc>',
    '  <defs>',
    '    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#33415c"/></marker>',
    '    <marker id="arrow-dev" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#9aa5b8"/></marker>',
    '  </defs>',
    `  <rect width="${fixed(width)}" height="${fixed(height)}" fill="#ffffff"/>`,
  );
  const offset = (count, index) => (count <= 1 ? 0 : ((index - (count - 1) / 2) * (BOX_WIDTH - 40)) / (count - 1));
  // Spread the ends of the edges along a box's side so arrows into one box stay apart.
  const incoming = new Map();
  const outgoing = new Map();
  const edges = [];
  for (const p of packages) {
    for (const d of p.runtime) if (d !== BOTTOM_NAME) edges.push({ from: p.name, to: d, dev: false });
    for (const d of p.dev) if (d !== BOTTOM_NAME) edges.push({ from: p.name, to: d, dev: true });
  }
  const withoutCore = packages.filter((p) => p.name !== BOTTOM_NAME && !p.runtime.includes(BOTTOM_NAME)).map((p) => p.name);
  edges.sort((a, b) => (x.get(a.to) ?? 0) - (x.get(b.to) ?? 0) || (x.get(a.from) ?? 0) - (x.get(b.from) ?? 0));
  for (const e of edges) {
    outgoing.set(e.from, [...(outgoing.get(e.from) ?? []), e]);
  }
  const byTarget = [...edges].sort((a, b) => (x.get(a.from) ?? 0) - (x.get(b.from) ?? 0) || (x.get(a.to) ?? 0) - (x.get(b.to) ?? 0));
  for (const e of byTarget) incoming.set(e.to, [...(incoming.get(e.to) ?? []), e]);
  lines.push('  <g fill="none" stroke-width="1.4">');
  for (const dev of [true, false]) {
    for (const e of edges.filter((edge) => edge.dev === dev)) {
      const outs = outgoing.get(e.from);
      const ins = incoming.get(e.to);
      const x1 = x.get(e.from) + offset(outs.length, outs.indexOf(e));
      const x2 = x.get(e.to) + offset(ins.length, ins.indexOf(e));
      const style = dev ? 'stroke="#9aa5b8" stroke-dasharray="5 4" marker-end="url(#arrow-dev)"' : 'stroke="#33415c" marker-end="url(#arrow)"';
      lines.push(`    <path d="${edgePath(x1, y.get(e.from), x2, y.get(e.to))}" ${style}><title>${escapeXml(`${e.from} → ${e.to}${dev ? ' (dev)' : ''}`)}</title></path>`);
    }
  }
  lines.push('  </g>');
  lines.push('  <g>');
  for (const p of [...packages].sort((a, b) => a.name.localeCompare(b.name))) {
    const left = x.get(p.name) - BOX_WIDTH / 2;
    const top = y.get(p.name);
    const border = p.private ? 'stroke="#7d8799" stroke-dasharray="4 3"' : 'stroke="#33415c"';
    const fill = p.name === BOTTOM_NAME ? '#dde8fb' : p.private ? '#f4f5f7' : '#eef3fb';
    lines.push(
      `    <rect x="${fixed(left)}" y="${fixed(top)}" width="${BOX_WIDTH}" height="${BOX_HEIGHT}" rx="7" fill="${fill}" ${border} stroke-width="1.2"/>`,
      `    <text x="${fixed(x.get(p.name))}" y="${fixed(top + BOX_HEIGHT / 2 + (p.private ? -2 : 4.5))}" text-anchor="middle" fill="#1c2533">${escapeXml(p.name)}</text>`,
    );
    if (p.private) lines.push(`    <text x="${fixed(x.get(p.name))}" y="${fixed(top + BOX_HEIGHT / 2 + 13)}" text-anchor="middle" fill="#6b7486" font-size="10.5">private</text>`);
  }
  lines.push('  </g>');
  const legendY = height - MARGIN - LEGEND_HEIGHT / 2 + 8;
  lines.push(
    '  <g font-size="12" fill="#33415c">',
    `    <path d="M${MARGIN},${fixed(legendY)} h40" stroke="#33415c" stroke-width="1.4" marker-end="url(#arrow)"/>`,
    `    <text x="${MARGIN + 50}" y="${fixed(legendY + 4)}">dependency or peer dependency</text>`,
    `    <path d="M${MARGIN + 260},${fixed(legendY)} h40" stroke="#9aa5b8" stroke-width="1.4" stroke-dasharray="5 4" marker-end="url(#arrow-dev)"/>`,
    `    <text x="${MARGIN + 310}" y="${fixed(legendY + 4)}">devDependency (tests, benchmarks)</text>`,
    `    <rect x="${MARGIN + 540}" y="${fixed(legendY - 9)}" width="34" height="18" rx="4" fill="#f4f5f7" stroke="#7d8799" stroke-dasharray="4 3"/>`,
    `    <text x="${MARGIN + 584}" y="${fixed(legendY + 4)}">private (not published)</text>`,
    `    <text x="${MARGIN}" y="${fixed(legendY + 26)}">${escapeXml(`Every package depends on ${BOTTOM_NAME}${withoutCore.length === 0 ? '' : ` except ${withoutCore.join(', ')}`}; those arrows are left out.`)}</text>`,
    '  </g>',
    '</svg>',
    '',
  );
  return lines.join('\n');
}

function main() {
  const svg = renderSvg(readPackages());
  if (process.argv.includes('--check')) {
    const committed = existsSync(output) ? readFileSync(output, 'utf8') : '';
    if (committed !== svg) {
      console.error('docs/packages.svg is stale: the package.json files describe another graph. Run `node scripts/package-graph.mjs` and commit the result.');
      process.exitCode = 1;
      return;
    }
    console.log('docs/packages.svg matches the package.json files.');
    return;
  }
  writeFileSync(output, svg);
  console.log(`wrote docs/packages.svg (${readPackages().length} packages)`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
