// `run --dump-tlb P`: what P's CPU's TLB holds, one line per entry in the format of QEMU's
// `info tlb` on x86 (target/i386/monitor.c print_pte: "%016x: %016x XGPDACTUW", virtual
// address, physical frame, then NX, global, PSE, dirty, accessed, PCD, PWT, user, writable as a
// letter or '-'), used for every arch. QEMU prints the page tables there; daxsim prints the
// TLB, whose entries stay as they were filled until flushed, and marks every entry that no
// longer agrees with a walk of the current page tables as stale, saying how.
//
// The TLB is read only through the Mmu's public probes (tlbProbe, tlbCount, lookup): every
// page of the process's VMAs and page-table leaves is probed; entries for addresses outside
// both (a VMA unmapped without a flush) are counted from tlbCount but cannot be listed.

import { Perm } from '../mmu/consts.ts';
import type { TlbEntryView } from '../mmu/mmu.ts';
import type { Mm } from '../kernel/mm.ts';
import type { Simulation } from '../sim/simulation.ts';
import { collectPtRows } from './ptdump.ts';

export interface TlbRow {
  va: number;
  frame: number;
  page_size: number;
  write: boolean;
  dirty: boolean;
  user: boolean;
  exec: boolean;
  /** Why the entry disagrees with the page tables now; null when it agrees. */
  stale: string | null;
}

/** Probes at most this many pages per process (a 2 TiB mapping would be 512 M pages). */
const MAX_PROBES = 1 << 20;

function hex16(v: number): string {
  return Math.floor(v / 2 ** 32).toString(16).padStart(8, '0') + (v % 2 ** 32).toString(16).padStart(8, '0');
}

/** How a TLB entry differs from what a walk finds now, or null. */
function staleness(sim: Simulation, mm: Mm, t: TlbEntryView): string | null {
  const w = sim.machine.hwMmu.lookup(sim.machine.hwMmu.rootOf(mm.cpu), t.va);
  if (w.status !== 'mapped') return `page table: ${w.status}`;
  const why: string[] = [];
  const frame = w.pa - (w.pa % t.pageSize);
  if (frame !== t.frame || w.pageSize !== t.pageSize) why.push(`page table maps 0x${w.pa.toString(16)} (${w.pageSize / 1024}K page)`);
  const lost = (bit: number): boolean => (t.perms & bit) !== 0 && (w.perms & bit) === 0;
  if (lost(Perm.W)) why.push('writable here, read-only in the page table');
  else if (lost(Perm.D)) why.push('dirty here, clean in the page table: a store through it neither faults nor sets the dirty bit');
  if (lost(Perm.U)) why.push('user here, supervisor-only in the page table');
  if ((w.perms & Perm.W) !== 0 && (t.perms & Perm.W) === 0) why.push('read-only here, writable in the page table (refilled on the next store)');
  return why.length > 0 ? why.join('; ') : null;
}

function rowOf(sim: Simulation, mm: Mm, t: TlbEntryView): TlbRow {
  return { va: t.va, frame: t.frame, page_size: t.pageSize, write: (t.perms & Perm.W) !== 0, dirty: (t.perms & Perm.D) !== 0, user: (t.perms & Perm.U) !== 0, exec: (t.perms & Perm.X) !== 0, stale: staleness(sim, mm, t) };
}

/** The TLB entry `mm`'s CPU would use for `va`, or null. */
export function tlbRowAt(sim: Simulation, mm: Mm, va: number): TlbRow | null {
  const t = sim.machine.hwMmu.tlbProbe(mm.cpu, va);
  return t === null ? null : rowOf(sim, mm, t);
}

/** Every TLB entry of `mm`'s CPU for addresses in its VMAs or page-table leaves, and how many others it holds. */
export function collectTlbRows(sim: Simulation, mm: Mm): { rows: TlbRow[]; unlisted: number; truncated: boolean } {
  const mmu = sim.machine.hwMmu;
  const ranges: Array<[number, number]> = [...mm.vmas.map((v): [number, number] => [v.start, v.end]), ...collectPtRows(sim, mm).filter((r) => r.present).map((r): [number, number] => [r.start, r.end])];
  ranges.sort((a, b) => a[0] - b[0]);
  const rows: TlbRow[] = [];
  const seen = new Set<number>();
  let probes = 0;
  let truncated = false;
  const step = sim.pageSize;
  for (const [start, end] of ranges) {
    for (let va = start; va < end; ) {
      if (probes++ >= MAX_PROBES) {
        truncated = true;
        break;
      }
      const t = mmu.tlbProbe(mm.cpu, va);
      if (t === null) {
        va += step;
        continue;
      }
      if (!seen.has(t.va)) {
        seen.add(t.va);
        rows.push(rowOf(sim, mm, t));
      }
      va = t.va + t.pageSize;
    }
  }
  rows.sort((a, b) => a.va - b.va);
  return { rows, unlisted: Math.max(0, mmu.tlbCount(mm.cpu) - rows.length), truncated };
}

/** QEMU's print_pte letters for a TLB entry: X(NX) G P D A C(PCD) T(PWT) U W. */
function letters(r: TlbRow, basePage: number): string {
  return [
    r.exec ? '-' : 'X',
    '-', // no global pages in user space
    r.page_size > basePage ? 'P' : '-',
    r.dirty ? 'D' : '-',
    'A', // the walk that filled the entry set the accessed bit
    '-',
    '-',
    r.user ? 'U' : '-',
    r.write ? 'W' : '-',
  ].join('');
}

export function formatTlbDump(sim: Simulation, mm: Mm, when: string): string {
  const { rows, unlisted, truncated } = collectTlbRows(sim, mm);
  const stale = rows.filter((r) => r.stale !== null).length;
  const out = [`---[ TLB of cpu ${mm.cpu} (process ${mm.name}), ${when}: ${rows.length} entr${rows.length === 1 ? 'y' : 'ies'}, ${stale} stale ]---`];
  for (const r of rows) out.push(`${hex16(r.va)}: ${hex16(r.frame)} ${letters(r, sim.pageSize)}${r.stale !== null ? `  STALE: ${r.stale}` : ''}`);
  if (unlisted > 0) out.push(`... ${unlisted} more entr${unlisted === 1 ? 'y' : 'ies'} for addresses outside every mapping and page-table leaf of ${mm.name} (stale: nothing maps there now)`);
  if (truncated) out.push(`... probing stopped after ${MAX_PROBES} pages`);
  return out.join('\n') + '\n';
}
