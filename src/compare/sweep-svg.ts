// The SVG of `daxsim compare --sweep`: a title saying what ran, the legend (one entry per
// layout x strategy, then the lost marker), and one line chart per metric (line-chart.ts).

import { legendSvg, PANEL_H, PANEL_W, panelSvg, SERIES_DASHES, type Axis, type ChartSeries, type LegendEntry } from './line-chart.ts';
import { escapeXml, SERIES_COLORS } from './svg.ts';
import type { SweepParam, SweepResult, SweepRow } from './sweep.ts';

type MetricKey = 'vmas_visited' | 'leaves_visited' | 'pt_refs' | 'leaves_cleaned' | 'tlb_flushes' | 'hpte_flushes' | 'bytes_written_back' | 'rewrite_bytes_written_back';

export const SWEEP_METRICS: ReadonlyArray<{ key: MetricKey; title: string; y: Axis }> = [
  { key: 'vmas_visited', title: 'VMAs the mkclean strategy visited (first fsync)', y: { label: 'VMAs per fsync', unit: 'count' } },
  { key: 'leaves_visited', title: 'Page-table leaves and empty slots mkclean looked at (first fsync)', y: { label: 'leaves per fsync', unit: 'count' } },
  { key: 'pt_refs', title: 'Kernel page-table references (first fsync)', y: { label: 'entries read or written', unit: 'count' } },
  { key: 'leaves_cleaned', title: 'Leaves cleaned and write-protected (first fsync)', y: { label: 'leaves per fsync', unit: 'count' } },
  { key: 'tlb_flushes', title: 'TLB flushes (first fsync; one per CPU flushed)', y: { label: 'flushes per fsync', unit: 'count' } },
  { key: 'hpte_flushes', title: 'HPTE invalidations at entry updates (first fsync; hashed page table only)', y: { label: 'HPTEs per fsync', unit: 'count' } },
  { key: 'bytes_written_back', title: 'Bytes written back by the first fsync (dirty lines x 64)', y: { label: 'bytes per fsync', unit: 'bytes' } },
  { key: 'rewrite_bytes_written_back', title: "Bytes written back by the second fsync, after every sharer's second store", y: { label: 'bytes per fsync', unit: 'bytes' } },
];

const X_AXES: Record<SweepParam, Axis> = {
  sharers: { label: 'sharers (processes mapping one page each, besides A)', unit: 'count' },
  entries: { label: 'DAX entries in the file (PMD-sized with FS_DAX_PMD, else one page)', unit: 'count' },
  size: { label: 'file size (A maps all of it)', unit: 'bytes' },
};

/** The series of one metric: one per arch x strategy, points where the run did not fail. */
function seriesOf(res: SweepResult, key: MetricKey, style: (arch: number, strategy: number) => LegendEntry): ChartSeries[] {
  const out: ChartSeries[] = [];
  res.arches.forEach((arch, ai) => {
    res.strategies.forEach((s, si) => {
      const rows = res.rows.filter((r: SweepRow) => r.arch === arch && r.mkclean === s && r.error === null);
      out.push({ ...style(ai, si), points: rows.map((r) => ({ x: r.x, y: r[key], lost: !r.durable })) });
    });
  });
  return out;
}

export function sweepSvg(res: SweepResult, command: string): string {
  // colour per layout and dash per strategy; with one layout, colour per strategy
  const style = (ai: number, si: number): LegendEntry => ({
    label: `${res.arches[ai]} / ${res.strategies[si]}`,
    color: SERIES_COLORS[(res.arches.length === 1 ? si : ai) % SERIES_COLORS.length]!,
    dash: SERIES_DASHES[si % SERIES_DASHES.length]!,
  });
  const entries = res.arches.flatMap((_a, ai) => res.strategies.map((_s, si) => style(ai, si)));
  const width = PANEL_W + 20;
  const head = 62;
  const legend = legendSvg(entries, 14, head + 14, width - 28, 'red cross: the data stored before the last fsync was lost at the crash (a dot: durable)');
  const top = head + legend.height + 10;
  const xTicks = res.points.length <= 16 ? res.points : null;
  const errors = res.rows.filter((r) => r.error !== null).length;
  const height = top + SWEEP_METRICS.length * PANEL_H + (errors > 0 ? 20 : 0) + 10;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text class="title" x="10" y="22" font-size="15" font-weight="bold">${escapeXml(command)}</text>`);
  out.push(`<text x="10" y="40">${escapeXml(`Kernel ${res.kernel}, ${res.persistence}. A maps the file, stores into each leaf; sharer i maps page i + 1, stores; fsync; the sharers store again; fsync; crash.`)}</text>`);
  out.push(`<text x="10" y="56">${escapeXml('Colour: layout; dash: mkclean strategy. Equal series overlap (the one listed last is on top). A log axis says so; zeros sit on its "0" line.')}</text>`);
  out.push(legend.svg);
  SWEEP_METRICS.forEach((m, i) => {
    out.push(panelSvg({ title: m.title, x: X_AXES[res.sweep], y: m.y, series: seriesOf(res, m.key, style) }, 10, top + i * PANEL_H, 2, xTicks));
  });
  if (errors > 0) out.push(`<text x="10" y="${height - 14}" fill="#555">${escapeXml(`${errors} points could not run and are left out (see the table or the JSON)`)}</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
