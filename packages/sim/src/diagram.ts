import { assertOptionalObject, InvalidArgumentError } from '@lattice/core';
import { assertEventsAndNodes } from './events.js';
import type { SimEvent } from './events.js';

/** Options of {@link toSpaceTimeDiagram}. */
export interface DiagramOptions {
  /** Title shown above the diagram. Default "Simulation". */
  title?: string;
  /** Start of the time window drawn, in virtual ms. Default: the first event. */
  from?: number;
  /** End of the window. Default: the last event, or the end of the first `maxMessages` messages. */
  to?: number;
  /** Most messages drawn; the window is cut short after that many sends. Default 1,500. */
  maxMessages?: number;
  /** Vertical scale. Default: chosen so the window is about 3,000 px tall (within 0.05–40 px/ms). */
  pixelsPerMs?: number;
}

const LANE_WIDTH = 150;
const TOP = 70;
const LEFT = 130;
const AXIS = 56;

interface MessageLine {
  from: string;
  to: string;
  sentAt: number;
  bytes: number;
  deliveries: number[];
  dropped: 'drop' | 'lost' | undefined;
}

/**
 * Renders a run as a self-contained HTML page holding an SVG space-time diagram: one vertical
 * lane per node (time flows down), an arrow per delivered message (dashed for duplicates),
 * a red cross where a message was dropped or never arrived, red marks for crashes and grey
 * stretches while a node is down, green marks for (re)starts, fault annotations on the left,
 * and client lanes on the right with a bar per operation. Hovering shows details.
 *
 * @example
 * ```ts
 * const html = toSpaceTimeDiagram(result.events, result.nodes, { title: `seed ${result.seed}` });
 * // write it to a file and open it in a browser
 * ```
 */
export function toSpaceTimeDiagram(events: readonly SimEvent[], nodes: readonly string[], options: DiagramOptions = {}): string {
  assertEventsAndNodes(events, nodes);
  assertOptionalObject(options, 'diagram options');
  const maxMessages = options.maxMessages ?? 1_500;
  if (!(maxMessages > 0)) throw new InvalidArgumentError(`maxMessages must be > 0, got ${maxMessages}`);
  const first = options.from ?? events[0]?.time ?? 0;
  let last = options.to ?? events[events.length - 1]?.time ?? first;
  if (options.to === undefined) {
    let sends = 0;
    for (const event of events) {
      if (event.time < first || event.kind !== 'send') continue;
      if (++sends > maxMessages) {
        last = event.time;
        break;
      }
    }
  }
  if (!(last >= first)) throw new InvalidArgumentError(`diagram window is empty: from ${first} to ${last}`);
  const span = Math.max(last - first, 1);
  const scale = options.pixelsPerMs ?? Math.min(40, Math.max(0.05, 3_000 / span));
  if (!(scale > 0)) throw new InvalidArgumentError(`pixelsPerMs must be > 0, got ${scale}`);
  const y = (time: number): number => round(TOP + (time - first) * scale);
  const inWindow = (time: number): boolean => time >= first && time <= last;

  const clients: string[] = [];
  for (const event of events) {
    if ((event.kind === 'invoke' || event.kind === 'ok') && event.node !== undefined && !clients.includes(event.node)) clients.push(event.node);
  }
  const lanes = [...nodes, ...clients];
  const x = new Map<string, number>(lanes.map((lane, i) => [lane, LEFT + LANE_WIDTH / 2 + i * LANE_WIDTH]));
  const width = LEFT + lanes.length * LANE_WIDTH + 20;
  const height = y(last) + 40;

  const body: string[] = [];
  const messages = new Map<number, MessageLine>();
  const downSince = new Map<string, number>();
  const openOps = new Map<string, { at: number; text: string }>();

  // Time axis: a labelled tick about every 100 px, at a round number of ms.
  const step = niceStep(100 / scale);
  for (let tick = Math.ceil(first / step) * step; tick <= last; tick += step) {
    body.push(`<line class="tick" x1="${AXIS - 4}" y1="${y(tick)}" x2="${width - 10}" y2="${y(tick)}"/>`);
    body.push(`<text class="tick" x="${AXIS - 6}" y="${y(tick) + 3}">${formatTick(tick, step)}</text>`);
  }
  for (const lane of lanes) {
    const lx = x.get(lane)!;
    body.push(`<text class="lane" x="${lx}" y="${TOP - 30}">${escapeHtml(lane)}</text>`);
    body.push(`<line class="${clients.includes(lane) ? 'client-lane' : 'lane'}" x1="${lx}" y1="${TOP - 20}" x2="${lx}" y2="${height - 20}"/>`);
  }

  for (const event of events) {
    const node = event.node;
    switch (event.kind) {
      case 'send':
        if (inWindow(event.time)) {
          messages.set(event.msg!, { from: node!, to: event.peer!, sentAt: event.time, bytes: event.bytes ?? 0, deliveries: [], dropped: undefined });
        }
        break;
      case 'deliver':
        messages.get(event.msg!)?.deliveries.push(event.time);
        break;
      case 'drop':
      case 'lost': {
        const message = messages.get(event.msg!);
        if (message !== undefined) message.dropped = event.kind;
        break;
      }
      case 'crash':
        if (node !== undefined && x.has(node)) {
          downSince.set(node, event.time);
          if (inWindow(event.time)) body.push(cross(x.get(node)!, y(event.time), 9, 'crash', `${node} crashed at ${event.time.toFixed(3)} ms${event.text === undefined ? '' : `: ${event.text}`}`));
        }
        break;
      case 'start':
        if (node !== undefined && x.has(node)) {
          const since = downSince.get(node);
          downSince.delete(node);
          if (since !== undefined) body.push(downtime(x.get(node)!, y(Math.max(since, first)), y(Math.min(event.time, last))));
          if (inWindow(event.time)) {
            body.push(`<circle class="start" cx="${x.get(node)}" cy="${y(event.time)}" r="5"><title>${escapeHtml(`${node} ${event.msg === 1 ? 'started' : `restarted (incarnation ${event.msg})`} at ${event.time.toFixed(3)} ms`)}</title></circle>`);
          }
        }
        break;
      case 'fault':
        if (inWindow(event.time)) {
          body.push(`<line class="fault" x1="${AXIS}" y1="${y(event.time)}" x2="${width - 10}" y2="${y(event.time)}"/>`);
          body.push(`<text class="fault" x="${AXIS + 2}" y="${y(event.time) - 2}">${escapeHtml(shorten(event.text ?? ''))}<title>${escapeHtml(`${event.time.toFixed(3)} ms: ${event.text}`)}</title></text>`);
        }
        break;
      case 'invoke':
        if (node !== undefined) openOps.set(`${node}/${event.msg}`, { at: event.time, text: event.text ?? '' });
        break;
      case 'ok':
      case 'fail':
      case 'info': {
        const key = `${node}/${event.msg}`;
        const open = openOps.get(key);
        openOps.delete(key);
        if (open !== undefined && node !== undefined && x.has(node) && open.at <= last && event.time >= first) {
          body.push(operation(x.get(node)!, y(Math.max(open.at, first)), y(Math.min(event.time, last)), event.kind, `${event.node} p${event.msg}: ${event.text} [${open.at.toFixed(3)}, ${event.time.toFixed(3)}]`));
        }
        break;
      }
      case 'error':
      case 'note':
        if (node !== undefined && x.has(node) && inWindow(event.time)) {
          body.push(`<circle class="${event.kind}" cx="${x.get(node)}" cy="${y(event.time)}" r="3"><title>${escapeHtml(`${event.time.toFixed(3)} ms ${node}: ${event.text}`)}</title></circle>`);
        }
        break;
    }
  }
  for (const [node, since] of downSince) {
    if (since <= last) body.push(downtime(x.get(node)!, y(Math.max(since, first)), y(last)));
  }
  for (const [key, open] of openOps) {
    const node = key.slice(0, key.lastIndexOf('/'));
    if (x.has(node) && open.at <= last) body.push(operation(x.get(node)!, y(Math.max(open.at, first)), y(last), 'info', `${node}: ${open.text} (no answer by ${last.toFixed(3)})`));
  }

  for (const [id, message] of messages) {
    const x1 = x.get(message.from);
    const x2 = x.get(message.to);
    if (x1 === undefined || x2 === undefined) continue;
    const y1 = y(message.sentAt);
    const label = `#${id} ${message.from} → ${message.to}, ${message.bytes} bytes, sent ${message.sentAt.toFixed(3)} ms`;
    message.deliveries.forEach((at, i) => {
      const y2 = y(Math.min(at, last));
      const kind = i === 0 ? 'msg' : 'msg duplicate';
      body.push(`<line class="${kind}" x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" marker-end="url(#arrow)"><title>${escapeHtml(`${label}, delivered ${at.toFixed(3)} ms${i > 0 ? ' (duplicate)' : ''}`)}</title></line>`);
    });
    if (message.dropped !== undefined && message.deliveries.length === 0) {
      const mx = round(x1 + (x2 - x1) * 0.4);
      const my = y1 + 8;
      body.push(`<line class="dropped" x1="${x1}" y1="${y1}" x2="${mx}" y2="${my}"/>`);
      body.push(cross(mx, my, 4, 'drop', `${label}: ${message.dropped === 'drop' ? 'dropped by the network' : 'never delivered'}`));
    }
  }

  const title = options.title ?? 'Simulation';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font: 13px system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; margin: 0 0 4px; }
p.legend { margin: 0 0 12px; color: #555; }
svg text.lane { font-weight: 600; text-anchor: middle; }
svg line.lane { stroke: #333; stroke-width: 1.5; }
svg line.client-lane { stroke: #88a; stroke-width: 1; stroke-dasharray: 2 3; }
svg line.msg { stroke: #2b6cb0; stroke-width: 1; }
svg line.duplicate { stroke: #9b59b6; stroke-dasharray: 4 3; }
svg line.dropped { stroke: #c0392b; stroke-width: 1; stroke-dasharray: 3 2; }
svg path.drop { stroke: #c0392b; stroke-width: 1.5; }
svg path.crash { stroke: #c0392b; stroke-width: 3; }
svg rect.down { fill: #bbb; opacity: 0.6; }
svg circle.start { fill: #27ae60; }
svg circle.error { fill: #e67e22; }
svg circle.note { fill: #777; }
svg line.fault { stroke: #e67e22; stroke-width: 0.5; stroke-dasharray: 6 4; }
svg text.fault { font-size: 10px; fill: #b9770e; }
svg line.tick { stroke: #eee; stroke-width: 1; }
svg text.tick { font-size: 10px; fill: #888; text-anchor: end; }
svg rect.op-ok { fill: #27ae60; } svg rect.op-info { fill: #e67e22; } svg rect.op-fail { fill: #999; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="legend">Time flows down (virtual ms ${first.toFixed(3)}–${last.toFixed(3)}). Blue arrows: messages; dashed purple: duplicates; red ×: dropped or never delivered; thick red ×: crash; grey: node down; green dot: (re)start; orange lines: faults. Client lanes (right) show operations: green returned, orange unknown, grey failed. Hover for details.</p>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#2b6cb0"/></marker></defs>
${body.join('\n')}
</svg>
</body>
</html>
`;
}

/**
 * The SVG of a {@link toSpaceTimeDiagram} page on its own, with the page's styles moved inside
 * it, so that it renders as an image (in a guide or a README). Throws `InvalidArgumentError`
 * when `page` holds no diagram.
 *
 * @example
 * ```ts
 * writeFileSync('docs/election.svg', spaceTimeSvg(result.diagram({ title: 'An election' })));
 * ```
 */
export function spaceTimeSvg(page: string): string {
  if (typeof page !== 'string') throw new InvalidArgumentError('spaceTimeSvg takes the HTML page of a diagram');
  const start = page.indexOf('<svg');
  const end = page.lastIndexOf('</svg>');
  if (start < 0 || end < start) throw new InvalidArgumentError('the page holds no SVG diagram');
  const svg = page.slice(start, end + '</svg>'.length);
  const style = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1] ?? '';
  const open = svg.indexOf('>') + 1;
  return `${svg.slice(0, open)}<style>${style}</style>${svg.slice(open)}\n`;
}

function cross(cx: number, cy: number, r: number, kind: string, title: string): string {
  return `<path class="${kind}" d="M ${cx - r} ${cy - r} L ${cx + r} ${cy + r} M ${cx - r} ${cy + r} L ${cx + r} ${cy - r}"><title>${escapeHtml(title)}</title></path>`;
}

function downtime(cx: number, y1: number, y2: number): string {
  return `<rect class="down" x="${cx - 4}" y="${y1}" width="8" height="${Math.max(1, round(y2 - y1))}"/>`;
}

function operation(cx: number, y1: number, y2: number, kind: string, title: string): string {
  return `<rect class="op-${kind}" x="${cx - 3}" y="${y1}" width="6" height="${Math.max(2, round(y2 - y1))}"><title>${escapeHtml(title)}</title></rect>`;
}

/** A round step (1, 2 or 5 × 10^k ms) of at least `ms`. */
function niceStep(ms: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(ms, 1e-3)));
  for (const factor of [1, 2, 5, 10]) if (factor * power >= ms) return factor * power;
  return 10 * power;
}

function formatTick(ms: number, step: number): string {
  const decimals = step >= 1 ? 0 : Math.min(3, Math.ceil(-Math.log10(step)));
  return `${ms.toFixed(decimals)} ms`;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
