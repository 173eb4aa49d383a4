// The mkclean costs of a `daxsim compare` run as an SVG chart, written by hand (no
// dependency): one panel per cost, a group of bars per arch, one bar per strategy, the value
// over each bar; a bar whose run lost data is outlined in red and marked "lost" (no strategy is red).

import type { CompareResult, CompareRow } from './compare.ts';

interface Metric {
  key: keyof CompareRow;
  title: string;
}

const METRICS: readonly Metric[] = [
  { key: 'mkclean_visits', title: 'mkclean visits (leaves and empty slots looked at)' },
  { key: 'mkclean_cleaned', title: 'leaves cleaned and write-protected' },
  { key: 'tlb_flushes', title: 'TLB flushes' },
  { key: 'pt_refs', title: 'kernel page-table references' },
  { key: 'bytes_written_back', title: 'bytes written back by fsync' },
];

/** Colours for series (strategies here, layouts in the sweep's line charts): the tab20 palette without its reds and pinks, since red means lost. */
export const SERIES_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#7f7f7f', '#bcbd22', '#17becf', '#aec7e8', '#98df8a', '#c5b0d5', '#ffbb78', '#c49c94', '#dbdb8d', '#9edae5'];
/** The one thing red marks: a run that lost data at the crash. */
export const LOST_COLOR = '#d62728';
const COLORS = SERIES_COLORS;

const PANEL_W = 640;
const PANEL_H = 200;
const MARGIN_L = 56;
const MARGIN_T = 28;
const AXIS_H = 34;

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function compareSvg(res: CompareResult): string {
  const head = 56;
  const panelTotal = MARGIN_T + PANEL_H + AXIS_H;
  const width = MARGIN_L + PANEL_W + 20;
  const height = head + METRICS.length * panelTotal + 10;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="10" y="20" font-size="15" font-weight="bold">${escapeXml(`daxsim compare: ${res.scenario}, persistence ${res.persistence}`)}</text>`);
  // legend
  let lx = 10;
  res.strategies.forEach((s, i) => {
    out.push(`<rect x="${lx}" y="32" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`);
    out.push(`<text x="${lx + 16}" y="42">${escapeXml(s)}</text>`);
    lx += 24 + s.length * 7;
  });
  out.push(`<text x="${lx + 10}" y="42" fill="${LOST_COLOR}">red outline: data lost at the crash</text>`);
  METRICS.forEach((m, pi) => out.push(panel(res, m, head + pi * panelTotal)));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function value(r: CompareRow, key: keyof CompareRow): number {
  const v = r[key];
  return typeof v === 'number' ? v : 0;
}

function panel(res: CompareResult, m: Metric, top: number): string {
  const out: string[] = [];
  const y0 = top + MARGIN_T;
  const max = Math.max(1, ...res.rows.map((r) => value(r, m.key)));
  out.push(`<text x="10" y="${top + 18}" font-size="13" font-weight="bold">${escapeXml(m.title)}</text>`);
  // axis and a max gridline
  out.push(`<line x1="${MARGIN_L}" y1="${y0 + PANEL_H}" x2="${MARGIN_L + PANEL_W}" y2="${y0 + PANEL_H}" stroke="#333"/>`);
  out.push(`<line x1="${MARGIN_L}" y1="${y0}" x2="${MARGIN_L + PANEL_W}" y2="${y0}" stroke="#ddd"/>`);
  out.push(`<text x="${MARGIN_L - 4}" y="${y0 + 4}" text-anchor="end" fill="#666">${max}</text>`);
  out.push(`<text x="${MARGIN_L - 4}" y="${y0 + PANEL_H}" text-anchor="end" fill="#666">0</text>`);
  const groups = res.arches.length;
  const groupW = PANEL_W / Math.max(1, groups);
  const nS = Math.max(1, res.strategies.length);
  const barW = Math.min(40, (groupW * 0.8) / nS);
  res.arches.forEach((arch, gi) => {
    const gx = MARGIN_L + gi * groupW + (groupW - barW * nS) / 2;
    res.strategies.forEach((s, si) => {
      const r = res.rows.find((x) => x.arch === arch && x.mkclean === s);
      if (r === undefined) return;
      const v = value(r, m.key);
      const h = (v / max) * PANEL_H;
      const x = gx + si * barW;
      const y = y0 + PANEL_H - h;
      const lost = r.error === null && !r.durable;
      const stroke = lost ? ` stroke="${LOST_COLOR}" stroke-width="2.5"` : '';
      const label = `${arch} / ${s}: ${v}${r.error !== null ? ' (error)' : lost ? ` (lost ${r.lost_bytes} bytes)` : ''}`;
      out.push(`<rect x="${fmt(x + 1)}" y="${fmt(y)}" width="${fmt(barW - 2)}" height="${fmt(h)}" fill="${COLORS[si % COLORS.length]}" fill-opacity="0.8"${stroke}><title>${escapeXml(label)}</title></rect>`);
      out.push(`<text x="${fmt(x + barW / 2)}" y="${fmt(y - 3)}" text-anchor="middle" font-size="9">${r.error !== null ? 'err' : v}</text>`);
      if (lost) out.push(`<text x="${fmt(x + barW / 2)}" y="${y0 + PANEL_H + 24}" text-anchor="middle" font-size="9" fill="${LOST_COLOR}">lost</text>`);
    });
    out.push(`<text x="${fmt(MARGIN_L + gi * groupW + groupW / 2)}" y="${y0 + PANEL_H + 13}" text-anchor="middle">${escapeXml(arch)}</text>`);
  });
  return out.join('\n');
}

function fmt(x: number): string {
  return (Math.round(x * 10) / 10).toString();
}
