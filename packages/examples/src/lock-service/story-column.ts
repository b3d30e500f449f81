/**
 * Makes a `spaceTimeSvg` diagram readable on its own: the notes that the renderer shows only on
 * hover (each client's and the store's story lines) are written out in a column to the right,
 * each tied to its dot by a dotted line, and the title is drawn above the lanes.
 */

const NOTE = /<circle class="note" cx="([\d.]+)" cy="([\d.]+)" r="3"><title>([^<]*)<\/title><\/circle>/g;
const COLUMN = 600;
const LINE = 14;

/** The diagram with its notes written beside it and `title` on top. */
export function withStoryColumn(svg: string, title: string): string {
  const size = /<svg[^>]*width="([\d.]+)" height="([\d.]+)" viewBox="0 0 [\d.]+ [\d.]+"/.exec(svg);
  if (size === null) return svg;
  const width = Number(size[1]);
  const height = Number(size[2]);
  const labels: string[] = [];
  let nextFree = 0;
  for (const match of svg.matchAll(NOTE)) {
    const [, cx, cy, text] = match;
    const y = Math.max(Number(cy), nextFree);
    nextFree = y + LINE;
    // The renderer's title reads "<time> ms <lane>: <text>"; the time is on the axis already.
    const line = text!.replace(/^[\d.]+ ms /, '');
    labels.push(`<line x1="${cx}" y1="${cy}" x2="${width + 4}" y2="${y - 4}" stroke="#999" stroke-width="0.6" stroke-dasharray="1 2"/>`);
    labels.push(`<text x="${width + 8}" y="${y}" font-size="11" fill="#333">${line}</text>`);
  }
  const wider = width + COLUMN;
  const taller = Math.max(height, nextFree + 20);
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${wider}" height="${taller}" viewBox="0 0 ${wider} ${taller}">`;
  const open = svg.indexOf('>') + 1;
  const close = svg.lastIndexOf('</svg>');
  const escapedTitle = title.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `${head}<rect width="${wider}" height="${taller}" fill="#fff"/><text x="12" y="20" font-size="15" font-weight="600">${escapedTitle}</text>${svg.slice(open, close)}${labels.join('\n')}\n</svg>\n`;
}
