// Page-table rows for the HTML report and `run --dump P --json`: one row per run of leaf
// entries at the same level with the same flags, mapping contiguous addresses to contiguous
// frames: address range, size, level, the decoded state (rw/ro, dirty/clean), the set flags by
// the architecture's own macro names (layout.flags; the segment/region tables on s390x), the
// VMA it belongs to and what it maps (file offset, or an anonymous COW page in DRAM). The
// text dump is the kernel's own format (kernel-ptdump.ts). Also the dirty lines of the pmem
// cache, merged into runs (`--dump-cache`).

import type { Entry, Layout } from '../../arch/types.ts';
import type { Mm, Vma } from '../kernel/mm.ts';
import type { DecodedEntry } from '../kernel/kernel.ts';
import type { Simulation } from '../sim/simulation.ts';

/** A run of same-level leaves with the same flags; `pfn` is the first one's. */
export interface PtRow extends DecodedEntry {
  /** Virtual range [start, end). */
  start: number;
  end: number;
  /** Bytes one leaf maps. */
  page_size: number;
  /** Set flags by the kernel's names. */
  flags: string[];
  /** The VMA the range lies in, or null for entries outside every VMA (stale). */
  vma: string | null;
  /** What the first leaf maps: `F+0x1000`, `dram 0x...` (a COW page), or `phys 0x...`. */
  target: string;
  /** Raw value of the first leaf (CPU order, hex). */
  raw: string;
}

const TWO32 = 4294967296;

function rawHex(e: Entry): string {
  return '0x' + ((BigInt(e.hi >>> 0) << 32n) | BigInt(e.lo >>> 0)).toString(16).padStart(16, '0');
}

function popcount(v: bigint): number {
  let n = 0;
  for (let x = v; x > 0n; x >>= 1n) if ((x & 1n) === 1n) n++;
  return n;
}

const ALIAS_NAMES = /SOFTW|_SW\d|CPA_TEST|PROTNONE|UNUSED/;

/**
 * The flag names worth printing at one level: single-bit masks outside the pfn field of a
 * leaf at that level, not swap-entry-only names, one name per bit (the meaningful one of
 * the kernel's aliases: _PAGE_SPECIAL over _PAGE_SOFTW1, _PAGE_PSE at huge levels and
 * _PAGE_PAT at the PTE level).
 */
export function flagNames(layout: Layout, level: number): Array<{ name: string; mask: bigint }> {
  const lv = layout.levels[level]!;
  const last = level === layout.levels.length - 1;
  // The arch's own names for this level's entries where they differ (s390 region and segment entries).
  const table: Readonly<Record<string, bigint>> = layout.hooks.ptdump.levelFlags?.[level] ?? layout.flags;
  const pfnBits = layout.pfn.mask & ~((1n << BigInt(lv.shift)) - 1n);
  const byMask = new Map<bigint, string[]>();
  for (const [name, mask] of Object.entries(table)) {
    if (popcount(mask) !== 1 || (mask & pfnBits) !== 0n || name.includes('SWP_')) continue;
    const list = byMask.get(mask) ?? [];
    list.push(name);
    byMask.set(mask, list);
  }
  const out: Array<{ name: string; mask: bigint }> = [];
  for (const [mask, names] of [...byMask].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    let pick = names.filter((n) => !ALIAS_NAMES.test(n));
    if (pick.length === 0) pick = names;
    if (pick.length > 1) {
      const pse = pick.filter((n) => /PSE|LARGE/.test(n));
      if (!last && pse.length > 0) pick = pse;
      else if (last) pick = pick.filter((n) => !/PSE/.test(n)).length > 0 ? pick.filter((n) => !/PSE/.test(n)) : pick;
    }
    out.push({ name: pick.join('|'), mask });
  }
  return out;
}

/** Every leaf entry of `proc`'s page tables, merged into ptdump's runs, in address order. */
export function collectPtRows(sim: Simulation, mm: Mm): PtRow[] {
  const layout = sim.layout;
  const kernel = sim.kernel;
  const last = layout.levels.length - 1;
  const names = layout.levels.map((_, l) => flagNames(layout, l));
  const rows: PtRow[] = [];
  const vmaAt = (va: number): Vma | undefined => mm.vmas.find((v) => va >= v.start && va < v.end);

  const leaf = (level: number, va: number, e: Entry): void => {
    const size = 2 ** layout.levels[level]!.shift;
    const present = layout.isPresent(level, e);
    const value = (BigInt(e.hi >>> 0) << 32n) | BigInt(e.lo >>> 0);
    const flags = names[level]!.filter((f) => (value & f.mask) !== 0n).map((f) => f.name);
    const pfn = present ? layout.leafPfn(level, e) : 0;
    const pa = pfn * 2 ** layout.pageShift;
    const file = present ? kernel.fileOffsetAt(pa) : undefined; // sparse files: by block (src/kernel/context.ts)
    const target = !present ? '-' : file !== undefined ? `${file.file.name}+0x${file.offset.toString(16)}` : sim.machine.mem.pmem.contains(pa) ? `pmem 0x${pa.toString(16)}` : `dram 0x${pa.toString(16)}`;
    const row: PtRow = {
      start: va,
      end: va + size,
      level: layout.levels[level]!.name,
      page_size: size,
      present,
      write: present && layout.isWrite(level, e),
      dirty: present && layout.isDirty(level, e),
      young: present && layout.isYoung(level, e),
      devmap: present && layout.isDevmap(level, e),
      special: present && layout.isSpecial(level, e),
      flags,
      pfn,
      vma: vmaAt(va)?.name ?? null,
      target,
      raw: rawHex(e),
    };
    const prev = rows[rows.length - 1];
    if (
      prev !== undefined &&
      prev.end === row.start &&
      prev.level === row.level &&
      prev.present === row.present &&
      prev.vma === row.vma &&
      prev.flags.join() === row.flags.join() &&
      (!present || prev.pfn + (prev.end - prev.start) / 2 ** layout.pageShift === row.pfn) &&
      (prev.target.split('+')[0] === row.target.split('+')[0])
    ) {
      prev.end = row.end;
      return;
    }
    rows.push(row);
  };

  const walk = (table: number, level: number, base: number): void => {
    const lv = layout.levels[level]!;
    const n = 2 ** lv.bits;
    const e: Entry = { lo: 0, hi: 0 };
    for (let i = 0; i < n; i++) {
      const va = base + i * 2 ** lv.shift;
      if (va >= 2 ** 53) break; // user space only: every VMA lies far below
      kernel.pt.read(table + i * 8, e);
      if (layout.isNone(level, e)) continue;
      if (level === last || layout.isLeaf(level, e)) leaf(level, va, { lo: e.lo, hi: e.hi });
      else walk(layout.tableAddress(level, e), level + 1, va);
    }
  };
  walk(mm.pgd, 0, 0);
  return rows;
}

function hex16(v: number): string {
  const hi = Math.floor(v / TWO32);
  const lo = v % TWO32;
  return '0x' + hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** 4K, 2M, 1G, 12K ...: ptdump's size column. */
export function humanSize(bytes: number): string {
  for (const [unit, mul] of [['T', 2 ** 40], ['G', 2 ** 30], ['M', 2 ** 20], ['K', 2 ** 10]] as const) {
    if (bytes >= mul && bytes % mul === 0) return `${bytes / mul}${unit}`;
  }
  return `${bytes}B`;
}

export interface CacheRow {
  /** Physical range [pa, end) of consecutive dirty lines. */
  pa: number;
  end: number;
  lines: number;
  /** A clwb/clflushopt is issued but not yet fenced. */
  pending: boolean;
  /** `F[0x40-0x80)` where the lines belong to a file. */
  target: string;
}

/** The dirty lines of the pmem cache (not yet in the persistence domain under ADR), merged into runs. */
export function collectCacheRows(sim: Simulation): CacheRow[] {
  const rows: CacheRow[] = [];
  for (const l of sim.machine.cache.dirtyLines()) {
    const prev = rows[rows.length - 1];
    if (prev !== undefined && prev.end === l.pa && prev.pending === l.pending) {
      prev.end += 64;
      prev.lines++;
      continue;
    }
    rows.push({ pa: l.pa, end: l.pa + 64, lines: 1, pending: l.pending, target: '' });
  }
  for (const r of rows) {
    const f = sim.kernel.fileOffsetAt(r.pa);
    r.target = f !== undefined ? `${f.file.name}[0x${f.offset.toString(16)}-0x${(f.offset + r.end - r.pa).toString(16)})` : 'no file';
  }
  return rows;
}

export function formatCacheDump(sim: Simulation, when: string): string {
  const rows = collectCacheRows(sim);
  const out = [`---[ dirty pmem cache lines (persistence ${sim.persistence}), ${when} ]---`];
  for (const r of rows) out.push(`${hex16(r.pa)}-${hex16(r.end)} ${String(r.lines).padStart(6)} line${r.lines === 1 ? ' ' : 's'}  ${r.pending ? 'flush pending' : 'dirty        '}  ${r.target}`);
  if (rows.length === 0) out.push('(none: every line is in the persistence domain)');
  return out.join('\n') + '\n';
}
