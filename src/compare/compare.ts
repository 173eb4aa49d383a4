// `daxsim compare`: one scenario (the seed scenario by default, or a .dax file) run on every
// arch layout under every mkclean strategy, side by side: what the layout makes a translation
// and a 2 MiB cost (walk depth, memory references per translation, DAX and page-table entries
// per 2 MiB), what the strategy's writeback cost (mkclean visits, leaves cleaned, TLB flushes,
// page-table references, bytes written back) and whether the data survived the crash.

import { layouts } from '../../arch/index.ts';
import type { Layout } from '../../arch/types.ts';
import { InputError } from '../scenario/errors.ts';
import { SEED_STRATEGIES, type Strategy } from '../kernel/kernel.ts';
import type { KernelVersion } from '../kernel/versions.ts';
import type { Persistence } from '../machine/machine.ts';
import { parseScenario, type Scenario } from '../scenario/parse.ts';
import { runScenario, type RunReport } from '../scenario/run.ts';
import { expectedSeedOutcome, seedScenario } from '../scenario/seed.ts';
import { resolvePmd } from '../kernel/kconfig.ts';

const TWO_MIB = 2 * 1024 * 1024;

export interface CompareOptions {
  /** Scenario source and its name (for errors); the seed scenario of each arch when absent. */
  scenario?: { source: string; path: string };
  /** Strategies to compare; default buggy, range, page. */
  strategies?: readonly Strategy[];
  persistence?: Persistence;
  /** Kernel version (`--kernel`); default the scenario's or 6.1. */
  kernel?: KernelVersion;
  /** Layouts to compare; default every layout daxsim models. */
  arches?: readonly Layout[];
}

export interface CompareRow {
  arch: string;
  mkclean: Strategy;
  persistence: Persistence;
  page_size: number;
  fs_dax_limited: boolean;
  fs_dax_pmd: boolean;
  /** Levels a translation of a base page walks (the layout's depth). */
  walk_levels: number;
  /** Levels a translation through a PMD (huge) leaf walks. */
  pmd_walk_levels: number;
  /** MMU: translations, page-table walks and the entries they read, over the whole run. */
  translations: number;
  walks: number;
  walk_refs: number;
  /** walk_refs / translations (TLB hits count as translations with no reference). */
  refs_per_translation: number;
  /** walk_refs / walks. */
  refs_per_walk: number;
  /** DAX entries (XArray slots) a fully written 2 MiB of the file takes: 1 with FS_DAX_PMD, else one per page. */
  dax_entries_per_2m: number;
  /** Leaf page-table entries one mapping of that 2 MiB takes: 1 PMD, or one PTE per page. */
  pt_entries_per_2m: number;
  /** Places the mkclean strategy looked at (leaves or empty slots, per VMA), over every fsync. */
  mkclean_visits: number;
  mkclean_vmas: number;
  mkclean_cleaned: number;
  /** TLB flushes the kernel issued (mkclean, faults, munmap). */
  tlb_flushes: number;
  /** HPTE invalidations at entry updates (ppc64-hash's flush_hash_page; 0 without a hashed page table). */
  hpte_flushes: number;
  /** Page-table entries the kernel read or wrote (faults, mkclean, zap). */
  pt_refs: number;
  entries_written_back: number;
  bytes_written_back: number;
  durable: boolean;
  lost_bytes: number;
  /** The seed's expected outcome for this cell (src/scenario/seed.ts; default scenario only), else null. */
  expected: 'durable' | 'lost' | null;
  /** The scenario could not run on this layout (e.g. offsets not aligned to 64 KiB pages): why. */
  error: string | null;
}

export interface CompareResult {
  scenario: string;
  persistence: Persistence;
  arches: string[];
  strategies: Strategy[];
  rows: CompareRow[];
}

/** Runs the comparison. A scenario that runs on no layout at all throws its first InputError. */
export function compare(opts: CompareOptions = {}): CompareResult {
  const arches = opts.arches ?? layouts;
  const strategies = opts.strategies ?? SEED_STRATEGIES;
  const persistence = opts.persistence ?? 'adr';
  const user: Scenario | null = opts.scenario !== undefined ? parseScenario(opts.scenario.source, opts.scenario.path) : null;
  const rows: CompareRow[] = [];
  let firstError: InputError | null = null;
  for (const layout of arches) {
    const scn = user ?? parseScenario(seedScenario(layout, null), `seed(${layout.name})`);
    for (const strategy of strategies) {
      try {
        rows.push(runCell(scn, layout, strategy, persistence, user === null, opts.kernel));
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        firstError ??= e;
        rows.push(errorRow(layout, strategy, persistence, `${e.where}: ${e.message}`));
      }
    }
  }
  if (firstError !== null && rows.every((r) => r.error !== null)) throw firstError;
  return { scenario: opts.scenario?.path ?? 'seed', persistence, arches: arches.map((l) => l.name), strategies: [...strategies], rows };
}

/** What the layout alone decides: walk depths and entries per 2 MiB. */
function shape(layout: Layout, fsDaxPmd: boolean) {
  const page = 2 ** layout.pageShift;
  const pmdSize = 2 ** layout.levels[layout.pmdLevel]!.shift;
  // A PMD entry needs a PMD-aligned PMD-size range of the file and the VMA (dax_iomap_pmd_fault):
  // where the PMD is larger than 2 MiB (arm64-64k 512 MiB, ppc64-hash 16 MiB, loongarch64
  // 32 MiB), 2 MiB of a file is one entry per page.
  const perEntry = fsDaxPmd && pmdSize <= TWO_MIB ? pmdSize : page;
  return {
    page_size: page,
    // Levels below the root a user mm gets (arch hook; s390: a region-third ASCE, 3 levels).
    walk_levels: layout.levels.length - layout.hooks.root.levelFor(layout.hooks.mmapBase),
    pmd_walk_levels: layout.pmdLevel + 1 - layout.hooks.root.levelFor(layout.hooks.mmapBase),
    dax_entries_per_2m: Math.max(1, TWO_MIB / perEntry),
    pt_entries_per_2m: Math.max(1, TWO_MIB / perEntry),
  };
}

function runCell(scn: Scenario, layout: Layout, strategy: Strategy, persistence: Persistence, seed: boolean, kernel: KernelVersion | undefined): CompareRow {
  let visits = 0;
  let listening = false;
  const report: RunReport = runScenario(scn, {
    arch: layout.name,
    kernel,
    mkclean: strategy,
    persistence,
    // Listen from the first statement on: it declares a file or a process, so no writeback
    // (and no mkclean) can have happened before it.
    afterStatement: (_s, sim) => {
      if (listening) return;
      listening = true;
      sim.listen({ mkcleanVisit: () => visits++ });
    },
  });
  const c = report.counters;
  const m = c.mmu;
  const translations = m.translations ?? 0;
  const walks = m.walks ?? 0;
  const walkRefs = m.walkRefs ?? 0;
  return {
    arch: layout.name,
    mkclean: strategy,
    persistence,
    fs_dax_limited: report.fs_dax_limited,
    fs_dax_pmd: report.fs_dax_pmd,
    ...shape(layout, report.fs_dax_pmd),
    translations,
    walks,
    walk_refs: walkRefs,
    refs_per_translation: translations > 0 ? round(walkRefs / translations) : 0,
    refs_per_walk: walks > 0 ? round(walkRefs / walks) : 0,
    mkclean_visits: visits,
    mkclean_vmas: c.mkcleanVmas,
    mkclean_cleaned: c.mkcleanCleaned,
    tlb_flushes: c.tlbFlushes,
    hpte_flushes: c.hpteFlushes,
    pt_refs: c.ptRefs,
    entries_written_back: c.entriesWrittenBack,
    bytes_written_back: c.linesWrittenBack * 64,
    durable: report.durable,
    lost_bytes: report.lost.reduce((a, r) => a + r.length, 0),
    expected: seed ? expectedSeedOutcome(layout, strategy, persistence) : null,
    error: null,
  };
}

function errorRow(layout: Layout, strategy: Strategy, persistence: Persistence, error: string): CompareRow {
  const { fsDaxPmd } = resolvePmd(layout, 'auto');
  return {
    arch: layout.name,
    mkclean: strategy,
    persistence,
    fs_dax_limited: layout.fsDaxLimited,
    fs_dax_pmd: fsDaxPmd,
    ...shape(layout, fsDaxPmd),
    translations: 0,
    walks: 0,
    walk_refs: 0,
    refs_per_translation: 0,
    refs_per_walk: 0,
    mkclean_visits: 0,
    mkclean_vmas: 0,
    mkclean_cleaned: 0,
    tlb_flushes: 0,
    hpte_flushes: 0,
    pt_refs: 0,
    entries_written_back: 0,
    bytes_written_back: 0,
    durable: false,
    lost_bytes: 0,
    expected: null,
    error,
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

export function outcomeText(r: CompareRow): string {
  if (r.error !== null) return 'error';
  return r.durable ? 'durable' : `LOST ${r.lost_bytes} B`;
}

/** True unless a seed cell disagrees with its expected outcome (src/scenario/seed.ts). */
export function agrees(r: CompareRow): boolean {
  return r.error !== null || r.expected === null || (r.durable ? 'durable' : 'lost') === r.expected;
}

/** The text table `daxsim compare` prints. */
export function formatCompareTable(res: CompareResult): string {
  const seed = res.rows.some((r) => r.expected !== null);
  const head = ['arch', 'mkclean', 'levels', 'refs/xlat', 'DAX ent/2M', 'PT ent/2M', 'mkclean visits', 'cleaned', 'TLB flushes', 'written back', 'outcome'];
  if (seed) head.push('expected');
  const rows = res.rows.map((r) => {
    const row = [
      r.arch,
      r.mkclean,
      `${r.walk_levels} (pmd ${r.pmd_walk_levels})`,
      r.refs_per_translation.toFixed(2),
      String(r.dax_entries_per_2m),
      String(r.pt_entries_per_2m),
      String(r.mkclean_visits),
      String(r.mkclean_cleaned),
      String(r.tlb_flushes),
      `${r.bytes_written_back} B`,
      outcomeText(r),
    ];
    if (seed) row.push(r.expected === null ? '-' : `${r.expected}${agrees(r) ? '' : ' (DISAGREES)'}`);
    return row;
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string => r.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  const lines = [`compare: scenario ${res.scenario}, persistence ${res.persistence}`, fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)];
  for (const r of res.rows) if (r.error !== null) lines.push(`  ${r.arch}/${r.mkclean}: ${r.error}`);
  return lines.join('\n') + '\n';
}
