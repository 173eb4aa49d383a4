// Model against kernel after one statement: the faults the statement caused in each process,
// by kind, and each page's entry at each level. Differences name the bits by the layout's own
// flag macros (arch/x86_64.ts: the _PAGE_* masks of Linux 6.1), runs of pages with the same
// difference are reported once.
import type { Layout } from '../../arch/types.ts';
import type { FaultCounts, LevelValue, Snapshot } from './snapshot.ts';
import { addressMask } from './snapshot.ts';

export interface Difference {
  /** "faults B", or "B b +0x1000 pte" (+ "(N pages)" for a run). */
  field: string;
  model: string;
  kernel: string;
  /** The flag names of the bits that differ (and "address" for the address field). */
  bits: string[];
}

const hex = (v: bigint): string => '0x' + v.toString(16).padStart(16, '0');

/** Names of the single-bit flags of `layout` set in `x`, aliases joined by '/'; swap-entry names left out (these are present entries). */
export function bitNames(layout: Layout, x: bigint, level: number, leaf: boolean): string[] {
  const out: string[] = [];
  const addr = addressMask(layout, level, leaf);
  if ((x & addr) !== 0n) out.push('address');
  let rest = x & ~addr;
  for (let b = 0n; rest !== 0n && b < 64n; b++) {
    const m = 1n << b;
    if ((rest & m) === 0n) continue;
    rest &= ~m;
    const names = Object.entries(layout.flags).filter(([n, v]) => v === m && !n.includes('_SWP_')).map(([n]) => n);
    out.push(names.length > 0 ? names.join('/') : `bit ${b}`);
  }
  return out;
}

export function describe(v: LevelValue | undefined): string {
  if (v === undefined) return 'none';
  return `${hex(v.value)} (${v.maps})`;
}

/**
 * What makes a page's entry part of its neighbour's run: the same entry (a table pointer, a
 * huge leaf: one entry for many pages), or, for PTEs, the next page of the same file.
 */
export function runKey(v: LevelValue | undefined, page: number, ps: number, pteLevel: boolean): string {
  if (v === undefined) return '-';
  if (!pteLevel || v.fileOffset === undefined) return `${v.value}|${v.maps}`;
  return `${v.value - BigInt(v.fileOffset)}|${v.fileOffset - page * ps}`;
}

/**
 * Equal entries; or the model has none where the guest's table entry also spans the process's
 * own memory (its code and stack: with 5-level paging the one pgd entry of user space covers
 * everything). The model's processes hold only the scenario's mappings, so such an entry is
 * not the scenario's doing; once the model has one too it is compared.
 */
function same(a: LevelValue | undefined, b: LevelValue | undefined): boolean {
  if (a === undefined && b?.shared === true) return true;
  if (a === undefined || b === undefined) return a === b;
  return a.value === b.value && a.maps === b.maps;
}

const delta = (now: FaultCounts | undefined, before: FaultCounts | undefined): FaultCounts => ({
  read: (now?.read ?? 0) - (before?.read ?? 0),
  write: (now?.write ?? 0) - (before?.write ?? 0),
  wp: (now?.wp ?? 0) - (before?.wp ?? 0),
});

const faultText = (f: FaultCounts): string => `read ${f.read} write ${f.write} wp ${f.wp}`;

export function diffSnapshots(layout: Layout, model: Snapshot, kernel: Snapshot, modelBefore: Snapshot | null, kernelBefore: Snapshot | null): Difference[] {
  const out: Difference[] = [];
  const procs = [...new Set([...Object.keys(model.faults), ...Object.keys(kernel.faults)])];
  for (const p of procs) {
    const m = delta(model.faults[p], modelBefore?.faults[p]);
    const k = delta(kernel.faults[p], kernelBefore?.faults[p]);
    if (m.read !== k.read || m.write !== k.write || m.wp !== k.wp) out.push({ field: `faults ${p}`, model: faultText(m), kernel: faultText(k), bits: [] });
  }
  const ps = 2 ** layout.pageShift;
  const keys = [...new Set([...model.maps.keys(), ...kernel.maps.keys()])];
  for (const key of keys) {
    const mm = model.maps.get(key);
    const km = kernel.maps.get(key);
    const [proc, map] = key.split('/') as [string, string];
    if (mm === undefined || km === undefined) {
      out.push({ field: `${proc} ${map}`, model: mm === undefined ? 'not mapped' : 'mapped', kernel: km === undefined ? 'not mapped' : 'mapped', bits: [] });
      continue;
    }
    const n = Math.max(mm.pages.length, km.pages.length);
    for (let level = 0; level < layout.levels.length; level++) {
      let run: { first: number; count: number; key: string; d: Difference } | null = null;
      const flush = (): void => {
        if (run === null) return;
        if (run.count > 1) run.d.field += ` (${run.count} pages)`;
        out.push(run.d);
        run = null;
      };
      for (let i = 0; i < n; i++) {
        const a = mm.pages[i]?.[level];
        const b = km.pages[i]?.[level];
        if (same(a, b)) {
          flush();
          continue;
        }
        const pte = level === layout.levels.length - 1;
        const k = `${runKey(a, i, ps, pte)}#${runKey(b, i, ps, pte)}`;
        if (run !== null && run.key === k && run.first + run.count === i) {
          run.count++;
          continue;
        }
        flush();
        const x = (a?.value ?? 0n) ^ (b?.value ?? 0n);
        const leaf = (a ?? b)!.leaf;
        run = { first: i, count: 1, key: k, d: { field: `${proc} ${map} +0x${(i * ps).toString(16)} ${layout.levels[level]!.name}`, model: describe(a), kernel: describe(b), bits: bitNames(layout, x, level, leaf) } };
      }
      flush();
    }
  }
  return out;
}
