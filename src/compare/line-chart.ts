// Line charts as SVG, written by hand (no dependency): one panel per metric, x the swept
// parameter, y the metric; each axis logarithmic where its values span more than a decade
// (zeros then sit on a separate "0" line below the lowest decade, since log 0 has no place),
// linear otherwise. Series are told apart by colour and dash; red is kept for one thing only,
// the "data lost at the crash" marker (a red cross in place of the series' dot).

import { escapeXml, LOST_COLOR } from './svg.ts';

export interface ChartPoint {
  x: number;
  y: number;
  lost: boolean;
}

export interface ChartSeries {
  label: string;
  color: string;
  /** stroke-dasharray, '' for a solid line. */
  dash: string;
  points: ChartPoint[];
}

export type Unit = 'count' | 'bytes';

export interface Axis {
  /** The axis label, its unit included ("page-table references per fsync"). */
  label: string;
  unit: Unit;
}

export interface Panel {
  title: string;
  x: Axis;
  y: Axis;
  series: ChartSeries[];
}

/** Dash patterns, one per strategy. */
export const SERIES_DASHES = ['', '6 3', '2 2', '8 3 2 3', '1 4'];

export const PANEL_W = 760;
export const PANEL_H = 260;
const LEFT = 78;
const RIGHT = 16;
const TOP = 30;
const BOTTOM = 46;
/** Pixels between the lowest decade and the "0" line of a log axis. */
const ZERO_GAP = 16;

interface Tick {
  v: number;
  label: string;
}

export interface Scale {
  log: boolean;
  ticks: Tick[];
  /** Pixel of a value along the axis (0 = the axis' start). */
  at(v: number): number;
}

/** 1536 -> "1.5 KiB"; counts: 12000 -> "12k". */
export function tickLabel(v: number, unit: Unit): string {
  const steps: Array<[number, string]> = unit === 'bytes' ? [[2 ** 30, ' GiB'], [2 ** 20, ' MiB'], [2 ** 10, ' KiB'], [1, ' B']] : [[1e9, 'G'], [1e6, 'M'], [1e3, 'k'], [1, '']];
  if (v === 0) return unit === 'bytes' ? '0 B' : '0';
  for (const [size, suffix] of steps) {
    if (Math.abs(v) >= size) return `${Number((v / size).toPrecision(3))}${suffix}`;
  }
  return String(Number(v.toPrecision(3)));
}

/** A scale over `values` onto [0, length] pixels: logarithmic when the positive values span more than a decade. */
export function makeScale(values: readonly number[], length: number, unit: Unit, base: 2 | 10, exactTicks: readonly number[] | null): Scale {
  const pos = values.filter((v) => v > 0);
  const hasZero = values.some((v) => v <= 0);
  const minPos = pos.length > 0 ? Math.min(...pos) : 1;
  const max = values.length > 0 ? Math.max(...values) : 1;
  if (pos.length > 0 && max / minPos > 10) {
    // bytes tick at powers of two (64 B, 1 KiB, 16 KiB: round in KiB), counts at powers of ten
    const b = unit === 'bytes' ? 2 : base;
    let lo = Math.floor(Math.log(minPos) / Math.log(b) + 1e-9);
    let hi = Math.max(lo + 1, Math.ceil(Math.log(max) / Math.log(b) - 1e-9));
    let every = 1;
    while ((hi - lo) / every > 8) every *= 2;
    lo = Math.floor(lo / every) * every;
    hi = Math.ceil(hi / every) * every;
    const start = hasZero ? ZERO_GAP : 0;
    const at = (v: number): number => (v <= 0 ? 0 : start + ((Math.log(v) / Math.log(b) - lo) / (hi - lo)) * (length - start));
    let ticks: Tick[];
    if (exactTicks !== null) ticks = exactTicks.filter((v) => v > 0).map((v) => ({ v, label: tickLabel(v, unit) }));
    else {
      ticks = [];
      for (let k = lo; k <= hi; k += every) ticks.push({ v: b ** k, label: tickLabel(b ** k, unit) });
    }
    if (hasZero) ticks.unshift({ v: 0, label: tickLabel(0, unit) });
    return { log: true, ticks, at };
  }
  const top = max > 0 ? niceCeil(max) : 1;
  const at = (v: number): number => (v / top) * length;
  let ticks: Tick[];
  if (exactTicks !== null && exactTicks.length <= 16) ticks = exactTicks.map((v) => ({ v, label: tickLabel(v, unit) }));
  else {
    const step = top / 5;
    ticks = [0, 1, 2, 3, 4, 5].map((i) => ({ v: i * step, label: tickLabel(i * step, unit) }));
  }
  return { log: false, ticks, at };
}

/** The smallest of 1, 2, 5 times a power of ten at or above v. */
function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** One chart at (left, top), PANEL_W x PANEL_H including its title and axis labels. */
export function panelSvg(p: Panel, left: number, top: number, xBase: 2 | 10, xTicks: readonly number[] | null): string {
  const w = PANEL_W - LEFT - RIGHT;
  const h = PANEL_H - TOP - BOTTOM;
  const x0 = left + LEFT;
  const y0 = top + TOP + h; // the x axis (bottom of the plot)
  const xs = makeScale(p.series.flatMap((s) => s.points.map((q) => q.x)), w, p.x.unit, xBase, xTicks);
  const ys = makeScale(p.series.flatMap((s) => s.points.map((q) => q.y)), h, p.y.unit, 10, null);
  const X = (v: number): string => fmt(x0 + xs.at(v));
  const Y = (v: number): string => fmt(y0 - ys.at(v));
  const out: string[] = [`<g class="panel" data-metric="${escapeXml(p.title)}" data-y-scale="${ys.log ? 'log' : 'linear'}" data-x-scale="${xs.log ? 'log' : 'linear'}">`];
  out.push(`<text x="${left + 8}" y="${top + 18}" font-size="13" font-weight="bold">${escapeXml(p.title)}</text>`);
  out.push(`<rect x="${x0}" y="${top + TOP}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
  for (const t of ys.ticks) {
    out.push(`<line class="y-tick" x1="${x0 - 4}" y1="${Y(t.v)}" x2="${x0 + w}" y2="${Y(t.v)}" stroke="#e4e4e4"/>`);
    out.push(`<text class="y-tick-label" x="${x0 - 6}" y="${fmt(Number(Y(t.v)) + 4)}" text-anchor="end" fill="#444">${escapeXml(t.label)}</text>`);
  }
  for (const t of xs.ticks) {
    out.push(`<line class="x-tick" x1="${X(t.v)}" y1="${top + TOP}" x2="${X(t.v)}" y2="${y0 + 4}" stroke="#e4e4e4"/>`);
    out.push(`<text class="x-tick-label" x="${X(t.v)}" y="${y0 + 16}" text-anchor="middle" fill="#444">${escapeXml(t.label)}</text>`);
  }
  out.push(`<text class="x-label" x="${fmt(x0 + w / 2)}" y="${y0 + 36}" text-anchor="middle">${escapeXml(p.x.label + (xs.log ? ' (log scale)' : ''))}</text>`);
  const ym = fmt(top + TOP + h / 2);
  out.push(`<text class="y-label" x="${left + 14}" y="${ym}" text-anchor="middle" transform="rotate(-90 ${left + 14} ${ym})">${escapeXml(p.y.label + (ys.log ? ' (log)' : ''))}</text>`);
  for (const s of p.series) {
    if (s.points.length === 0) continue;
    const d = s.points.map((q, i) => `${i === 0 ? 'M' : 'L'}${X(q.x)} ${Y(q.y)}`).join(' ');
    out.push(`<path class="series" data-series="${escapeXml(s.label)}" d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"${s.dash === '' ? '' : ` stroke-dasharray="${s.dash}"`}><title>${escapeXml(s.label)}</title></path>`);
    for (const q of s.points) {
      const title = `<title>${escapeXml(`${s.label}: ${tickLabel(q.x, p.x.unit)} -> ${q.y}${q.lost ? ', data lost' : ''}`)}</title>`;
      out.push(q.lost ? lostMark(Number(X(q.x)), Number(Y(q.y)), title) : `<circle cx="${X(q.x)}" cy="${Y(q.y)}" r="2.4" fill="${s.color}">${title}</circle>`);
    }
  }
  out.push('</g>');
  return out.join('\n');
}

/** The lost marker: a red cross. */
export function lostMark(x: number, y: number, inner = ''): string {
  const r = 4;
  return `<path class="lost" d="M${fmt(x - r)} ${fmt(y - r)} L${fmt(x + r)} ${fmt(y + r)} M${fmt(x - r)} ${fmt(y + r)} L${fmt(x + r)} ${fmt(y - r)}" stroke="${LOST_COLOR}" stroke-width="2">${inner}</path>`;
}

export interface LegendEntry {
  label: string;
  color: string;
  dash: string;
}

/** The legend: one sample line per series in columns, then the lost marker's meaning; returns its SVG and height. */
export function legendSvg(entries: readonly LegendEntry[], left: number, top: number, width: number, note: string): { svg: string; height: number } {
  const colW = 180;
  const cols = Math.max(1, Math.floor(width / colW));
  const rowH = 16;
  const out: string[] = ['<g class="legend">'];
  entries.forEach((e, i) => {
    const x = left + (i % cols) * colW;
    const y = top + Math.floor(i / cols) * rowH;
    out.push(`<line x1="${x}" y1="${y - 4}" x2="${x + 26}" y2="${y - 4}" stroke="${e.color}" stroke-width="2"${e.dash === '' ? '' : ` stroke-dasharray="${e.dash}"`}/>`);
    out.push(`<circle cx="${x + 13}" cy="${y - 4}" r="2.4" fill="${e.color}"/>`);
    out.push(`<text class="legend-entry" x="${x + 32}" y="${y}">${escapeXml(e.label)}</text>`);
  });
  const rows = Math.ceil(entries.length / cols);
  const ny = top + rows * rowH + 4;
  out.push(lostMark(left + 13, ny - 4));
  out.push(`<text class="legend-lost" x="${left + 32}" y="${ny}" fill="${LOST_COLOR}">${escapeXml(note)}</text>`);
  out.push('</g>');
  return { svg: out.join('\n'), height: rows * rowH + rowH + 8 };
}

function fmt(x: number): string {
  return (Math.round(x * 10) / 10).toString();
}
