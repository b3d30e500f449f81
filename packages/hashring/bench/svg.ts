/** One panel of the per-node load chart. */
export interface LoadPanel {
  /** Algorithm name shown as the panel title. */
  name: string;
  /** Keys per node. */
  loads: readonly number[];
  /** Optional horizontal guide (e.g. the bounded-load cap), as a multiple of the mean. */
  guide?: number;
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Small multiples: for each algorithm, the load of every node (sorted, highest first) as a
 * multiple of the mean, with the mean (1.0) marked.
 */
export function loadChart(panels: readonly LoadPanel[], title: string): string {
  const width = 900;
  const left = 210;
  const right = 20;
  const panelHeight = 84;
  const gap = 18;
  const top = 48;
  const height = top + panels.length * (panelHeight + gap) + 24;
  const maxRatio = Math.max(
    1.5,
    ...panels.map((p) => {
      const mean = p.loads.reduce((a, b) => a + b, 0) / p.loads.length;
      return Math.max(...p.loads) / mean;
    }),
  );
  const yMax = Math.ceil(maxRatio * 10) / 10;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(title)}</text>`);
  out.push(`<text x="${width / 2}" y="38" text-anchor="middle" fill="#555">each bar is one node's keys ÷ the mean, highest first; dashed line = mean (1.0)</text>`);
  panels.forEach((panel, index) => {
    const y0 = top + index * (panelHeight + gap);
    const plotWidth = width - left - right;
    const mean = panel.loads.reduce((a, b) => a + b, 0) / panel.loads.length;
    const sorted = [...panel.loads].sort((a, b) => b - a).map((l) => l / mean);
    const peak = sorted[0]!;
    const low = sorted[sorted.length - 1]!;
    const scale = (r: number) => y0 + panelHeight - (r / yMax) * panelHeight;
    out.push(`<text x="${left - 10}" y="${y0 + 30}" text-anchor="end" font-weight="600">${escapeXml(panel.name)}</text>`);
    out.push(`<text x="${left - 10}" y="${y0 + 48}" text-anchor="end" fill="#555">peak ${peak.toFixed(3)}×</text>`);
    out.push(`<text x="${left - 10}" y="${y0 + 64}" text-anchor="end" fill="#555">min ${low.toFixed(3)}×</text>`);
    out.push(`<rect x="${left}" y="${y0}" width="${plotWidth}" height="${panelHeight}" fill="#f6f8fa" stroke="#d0d7de"/>`);
    const barWidth = plotWidth / sorted.length;
    sorted.forEach((r, i) => {
      const y = scale(r);
      const color = r > 1 ? '#cf6e2f' : '#3b76c4';
      out.push(
        `<rect x="${(left + i * barWidth).toFixed(2)}" y="${y.toFixed(2)}" width="${Math.max(0.5, barWidth - 0.6).toFixed(2)}" height="${(y0 + panelHeight - y).toFixed(2)}" fill="${color}"/>`,
      );
    });
    out.push(`<line x1="${left}" x2="${left + plotWidth}" y1="${scale(1).toFixed(2)}" y2="${scale(1).toFixed(2)}" stroke="#111" stroke-dasharray="4 3"/>`);
    if (panel.guide !== undefined) {
      out.push(
        `<line x1="${left}" x2="${left + plotWidth}" y1="${scale(panel.guide).toFixed(2)}" y2="${scale(panel.guide).toFixed(2)}" stroke="#b42318" stroke-dasharray="2 2"/>`,
      );
      out.push(`<text x="${left + plotWidth - 4}" y="${(scale(panel.guide) - 3).toFixed(2)}" text-anchor="end" fill="#b42318">cap ${panel.guide}×</text>`);
    }
    out.push(`<text x="${left + 4}" y="${y0 + 12}" fill="#555">${yMax.toFixed(1)}×</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
