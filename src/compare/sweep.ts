// `daxsim compare --sweep P=...`: the mkclean benchmark's shape (src/compare/sharers.ts) at
// every point of one parameter, on every layout and strategy. Per point it reports what the
// first fsync cost (every DAX entry dirty: VMAs and leaves the strategy visited, page-table
// references, leaves cleaned, TLB flushes, bytes written back), then what the seed's second
// round shows: every sharer stores again into its line, A fsyncs again, power fails
// (ADR worst case unless --persistence eadr): durable or lost, and how many bytes the second
// fsync wrote back (0 where the first fsync left a sharer's PTE writable and dirty).

import type { Layout } from '../../arch/types.ts';
import { resolvePmd } from '../kernel/kconfig.ts';
import { KernelError } from '../kernel/errors.ts';
import type { Strategy } from '../kernel/kernel.ts';
import { DEFAULT_KERNEL, type KernelVersion } from '../kernel/versions.ts';
import type { Persistence } from '../machine/machine.ts';
import { InputError } from '../scenario/errors.ts';
import { parseNumber } from '../scenario/parse.ts';
import { SimulationError } from '../sim/simulation.ts';
import { MiB, SEED_SHARERS, sharersScene, type SharersParams } from './sharers.ts';

/** The parameters a sweep can vary; the others keep the seed's values (1 sharer, 2 MiB). */
export const SWEEP_PARAMS = ['sharers', 'entries', 'size'] as const;
export type SweepParam = (typeof SWEEP_PARAMS)[number];

export interface SweepSpec {
  param: SweepParam;
  points: number[];
}

/** Units of each parameter, for axis labels and the table. */
export const PARAM_UNITS: Record<SweepParam, string> = {
  sharers: 'processes mapping one page each, besides A',
  entries: "DAX entries in the file (PMD-sized where FS_DAX_PMD, else pages)",
  size: 'bytes of the file A maps',
};

const MAX_POINTS = 64;
/** One CPU per process, A's included, and the MMU model takes at most 4096 (src/mmu/mmu.ts). */
const MAX_SHARERS = 4095;
const MAX_ENTRIES = 4096;
/** Bytes of the file: fsync writes every entry back block by block (arch_wb_cache_pmem), and 64 GiB took over a minute. */
const MAX_SIZE = 16 * 2 ** 30;
/** DAX entries (and so A's faults and leaves) one point may take: 16 GiB of 4 KiB pages would be 4 M faults. */
const MAX_POINT_ENTRIES = 65536;

/**
 * Parses `P=A..B` (powers of two from A to B, and B), `P=A..B:S` (every S-th value) or
 * `P=a,b,c`. Numbers take K/M/G suffixes (binary).
 */
export function parseSweep(text: string, where = 'compare'): SweepSpec {
  const eq = text.indexOf('=');
  const name = eq < 0 ? text : text.slice(0, eq);
  if (!(SWEEP_PARAMS as readonly string[]).includes(name) || eq < 0) {
    throw new InputError(where, `--sweep must be P=A..B, P=A..B:STEP or P=a,b,c with P one of ${SWEEP_PARAMS.join(', ')}, not '${text}'`);
  }
  const param = name as SweepParam;
  const body = text.slice(eq + 1);
  const what = `--sweep ${param}`;
  const num = (w: string): number => parseNumber(w, where, what);
  let points: number[];
  const range = /^([^.,:]+)\.\.([^.,:]+)(?::([^.,:]+))?$/.exec(body);
  if (range !== null) {
    const lo = num(range[1]!);
    const hi = num(range[2]!);
    if (hi < lo) throw new InputError(where, `${what}: the range ${body} is empty`);
    points = [];
    if (range[3] !== undefined) {
      const step = num(range[3]);
      if (step <= 0) throw new InputError(where, `${what}: the step must be positive`);
      if ((hi - lo) / step + 1 > MAX_POINTS) throw new InputError(where, `${what}: more than ${MAX_POINTS} points`);
      for (let v = lo; v <= hi; v += step) points.push(v);
    } else {
      // powers of two from lo (or 1 when lo is 0), then hi itself
      if (lo === 0) points.push(0);
      for (let v = lo === 0 ? 1 : lo; v < hi; v *= 2) points.push(v);
      points.push(hi);
    }
  } else {
    points = body.split(',').map(num);
  }
  points = [...new Set(points)].sort((a, b) => a - b);
  if (points.length > MAX_POINTS) throw new InputError(where, `${what}: more than ${MAX_POINTS} points`);
  const [min, max] = [points[0]!, points[points.length - 1]!];
  const limit = param === 'sharers' ? MAX_SHARERS : param === 'entries' ? MAX_ENTRIES : MAX_SIZE;
  const least = param === 'sharers' ? 0 : 1;
  if (min < least || max > limit) throw new InputError(where, `${what}: values must be from ${least} to ${limit}, not ${min < least ? min : max}`);
  return { param, points };
}

export interface SweepOptions {
  spec: SweepSpec;
  arches: readonly Layout[];
  strategies: readonly Strategy[];
  persistence?: Persistence;
  kernel?: KernelVersion;
}

export interface SweepRow {
  arch: string;
  mkclean: Strategy;
  /** The swept parameter's value at this point. */
  x: number;
  sharers: number;
  size: number;
  /** DAX entries the file took. */
  dax_entries: number;
  /** The first fsync (every entry dirty). */
  vmas_visited: number;
  leaves_visited: number;
  pt_refs: number;
  leaves_cleaned: number;
  tlb_flushes: number;
  /** HPTE invalidations at the entry updates (ppc64-hash's flush_hash_page; 0 without an HPT). */
  hpte_flushes: number;
  bytes_written_back: number;
  /** The second fsync, after every sharer stored again. */
  rewrite_bytes_written_back: number;
  durable: boolean;
  lost_bytes: number;
  /** The point could not run on this layout: why. */
  error: string | null;
}

export interface SweepResult {
  /** The swept parameter. */
  sweep: SweepParam;
  points: number[];
  persistence: Persistence;
  kernel: KernelVersion;
  arches: string[];
  strategies: Strategy[];
  rows: SweepRow[];
}

/** The layout's DAX entry size for a PMD-aligned file: PMD_SIZE with FS_DAX_PMD, else a page. */
function entryBytes(layout: Layout): number {
  return resolvePmd(layout, 'auto').fsDaxPmd ? 2 ** layout.levels[layout.pmdLevel]!.shift : 2 ** layout.pageShift;
}

/** The DAX entries a `size`-byte file takes on `layout`: PMD entries where whole PMDs fit (FS_DAX_PMD), pages for the rest. */
function entriesOf(layout: Layout, size: number): number {
  const page = 2 ** layout.pageShift;
  const pmd = entryBytes(layout);
  return Math.floor(size / pmd) + (size % pmd) / page;
}

/** The shape at one point of the sweep on `layout`. */
export function pointParams(layout: Layout, param: SweepParam, x: number): SharersParams {
  if (param === 'sharers') return { ...SEED_SHARERS, sharers: x };
  if (param === 'size') return { ...SEED_SHARERS, size: x };
  return { ...SEED_SHARERS, size: x * entryBytes(layout) };
}

export function sweep(opts: SweepOptions): SweepResult {
  const { spec } = opts;
  const persistence = opts.persistence ?? 'adr';
  const kernel = opts.kernel ?? DEFAULT_KERNEL;
  if (spec.param === 'size') {
    for (const l of opts.arches) {
      const bad = spec.points.find((x) => x % 2 ** l.pageShift !== 0);
      if (bad !== undefined) throw new InputError('compare', `--sweep size: ${bad} is not a multiple of ${l.name}'s page size (${2 ** l.pageShift})`);
    }
  }
  const rows: SweepRow[] = [];
  for (const layout of opts.arches) {
    for (const strategy of opts.strategies) {
      for (const x of spec.points) rows.push(runPoint(layout, strategy, persistence, kernel, pointParams(layout, spec.param, x), x));
    }
  }
  return { sweep: spec.param, points: [...spec.points], persistence, kernel, arches: opts.arches.map((l) => l.name), strategies: [...opts.strategies], rows };
}

function runPoint(layout: Layout, mkclean: Strategy, persistence: Persistence, kernel: KernelVersion, p: SharersParams, x: number): SweepRow {
  const row: SweepRow = {
    arch: layout.name,
    mkclean,
    x,
    sharers: p.sharers,
    size: p.size,
    dax_entries: 0,
    vmas_visited: 0,
    leaves_visited: 0,
    pt_refs: 0,
    leaves_cleaned: 0,
    tlb_flushes: 0,
    hpte_flushes: 0,
    bytes_written_back: 0,
    rewrite_bytes_written_back: 0,
    durable: false,
    lost_bytes: 0,
    error: null,
  };
  if (p.size > MAX_SIZE) {
    row.error = `the file would be ${p.size / MiB} MiB (more than ${MAX_SIZE / MiB} MiB)`;
    return row;
  }
  const entries = entriesOf(layout, p.size);
  if (entries > MAX_POINT_ENTRIES) {
    row.error = `the file would take ${entries} DAX entries here (more than ${MAX_POINT_ENTRIES})`;
    return row;
  }
  try {
    const { sim, file, a, sharers } = sharersScene({ arch: layout.name, mkclean, persistence, kernel }, p);
    let visits = 0;
    sim.listen({ mkcleanVisit: () => visits++ });
    const c0 = sim.counters();
    a.fsync(file);
    const c1 = sim.counters();
    const visits1 = visits;
    for (const s of sharers) s.proc.write(s.vma, s.offset, 8);
    a.fsync(file);
    const c2 = sim.counters();
    const crash = sim.crash();
    row.dax_entries = file.mapping.entries.all().length;
    row.vmas_visited = c1.mkcleanVmas - c0.mkcleanVmas;
    row.leaves_visited = visits1;
    row.pt_refs = c1.ptRefs - c0.ptRefs;
    row.leaves_cleaned = c1.mkcleanCleaned - c0.mkcleanCleaned;
    row.tlb_flushes = c1.tlbFlushes - c0.tlbFlushes;
    row.hpte_flushes = c1.hpteFlushes - c0.hpteFlushes;
    row.bytes_written_back = (c1.linesWrittenBack - c0.linesWrittenBack) * 64;
    row.rewrite_bytes_written_back = (c2.linesWrittenBack - c1.linesWrittenBack) * 64;
    row.durable = crash.durable;
    row.lost_bytes = crash.lost.reduce((n, r) => n + r.length, 0);
  } catch (e) {
    // what the layout cannot do with this shape (a file larger than the device, ...) is the
    // point's answer; anything else is a daxsim bug and propagates
    if (!(e instanceof SimulationError || e instanceof KernelError)) throw e;
    row.error = e.message;
  }
  return row;
}

/** The sweep's text table: one line per arch x strategy x point. */
export function formatSweepTable(res: SweepResult): string {
  const head = ['arch', 'mkclean', res.sweep, 'DAX entries', 'VMAs', 'leaves visited', 'PT refs', 'cleaned', 'TLB flushes', 'HPTE flushes', 'written back', 'rewrite wb', 'outcome'];
  const rows = res.rows.map((r) => [
    r.arch,
    r.mkclean,
    String(r.x),
    String(r.dax_entries),
    String(r.vmas_visited),
    String(r.leaves_visited),
    String(r.pt_refs),
    String(r.leaves_cleaned),
    String(r.tlb_flushes),
    String(r.hpte_flushes),
    `${r.bytes_written_back} B`,
    `${r.rewrite_bytes_written_back} B`,
    r.error !== null ? `error: ${r.error}` : r.durable ? 'durable' : `LOST ${r.lost_bytes} B`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string => r.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  const title = `compare --sweep ${res.sweep} (${PARAM_UNITS[res.sweep]}): kernel ${res.kernel}, persistence ${res.persistence}; costs of the first fsync, "rewrite wb" the second`;
  return [title, fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n') + '\n';
}
