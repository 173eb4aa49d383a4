// `daxsim vtop P ADDR file.dax`: one address of one process translated the way crash(8)'s
// `vtop` shows it (crash x86_64.c x86_64_uvtop_level4 and x86_64_translate_pte): the VIRTUAL /
// PHYSICAL header, one "LEVEL: entry address => raw value" line per level walked (the entry's
// physical address, as crash prints it), "PAGE: frame  (2MB)" for the leaf, and the leaf's
// PTE / PHYSICAL / FLAGS line. x86 uses crash's flag names and order; the other layouts the
// kernel's macro names without their prefix, in bit order. Then what crash leaves implicit:
// how every level's entry decodes (table or leaf, the set flags by the kernel's names), the
// VMA and file offset the address lies in, and what this CPU's TLB holds for it.

import type { Entry, Layout } from '../../arch/types.ts';
import type { Mm } from '../kernel/mm.ts';
import type { Simulation } from '../sim/simulation.ts';
import { flagNames, humanSize } from './ptdump.ts';
import { tlbRowAt } from './tlb-dump.ts';

export interface VtopLevel {
  level: string;
  entry_pa: number;
  value: string;
  kind: 'table' | 'leaf' | 'none' | 'not-present';
  flags: string[];
  /** table: the next table's address; leaf: the frame. */
  next: number | null;
}

export interface Vtop {
  va: number;
  pa: number | null;
  page_size: number | null;
  levels: VtopLevel[];
}

const hex = (v: number): string => v.toString(16);

const TABLE_BITS = /PRESENT|_RW$|USER|PWT|PCD|ACCESSED|_NX$|INVALID|PROTECT|NOEXEC|TYPE/;

function raw(e: Entry): bigint {
  return (BigInt(e.hi >>> 0) << 32n) | BigInt(e.lo >>> 0);
}

/** The walk of `va` in `mm`, level by level, as the kernel's software walk reads it. */
export function vtop(sim: Simulation, mm: Mm, va: number): Vtop {
  const layout = sim.layout;
  const last = layout.levels.length - 1;
  const levels: VtopLevel[] = [];
  let table = mm.pgd;
  for (let l = 0; l <= last; l++) {
    const lv = layout.levels[l]!;
    const index = Math.floor(va / 2 ** lv.shift) % 2 ** lv.bits;
    const pa = table + index * 8;
    const e: Entry = { lo: 0, hi: 0 };
    sim.kernel.pt.read(pa, e);
    const value = raw(e);
    const isTable = l < last && !layout.isNone(l, e) && !layout.isLeaf(l, e);
    // A table entry's address bits are no flags (x86 bit 12 is _PAGE_PAT_LARGE only in a huge leaf).
    // Only the bits a table entry has (x86 P R/W U/S PWT PCD A XD; s390 I P N and the type;
    // radix none: its table entries hold the address and the next level's size).
    const flags = flagNames(layout, l)
      .filter((f) => (value & f.mask) !== 0n && (!isTable || ((f.mask & layout.pfn.mask) === 0n && TABLE_BITS.test(f.name))))
      .map((f) => f.name);
    const row: VtopLevel = { level: lv.name, entry_pa: pa, value: '0x' + value.toString(16), kind: 'none', flags, next: null };
    levels.push(row);
    if (layout.isNone(l, e)) return { va, pa: null, page_size: null, levels };
    if (l === last || layout.isLeaf(l, e)) {
      if (!layout.isPresent(l, e)) {
        row.kind = 'not-present';
        return { va, pa: null, page_size: null, levels };
      }
      row.kind = 'leaf';
      const size = 2 ** lv.shift;
      const frame = layout.leafPfn(l, e) * 2 ** layout.pageShift;
      row.next = frame - (frame % size);
      return { va, pa: row.next + (va % size), page_size: size, levels };
    }
    row.kind = 'table';
    table = layout.tableAddress(l, e);
    row.next = table;
  }
  return { va, pa: null, page_size: null, levels };
}

/** crash's x86_64_translate_pte flag names, in its order (PSE only when present). */
const CRASH_X86_FLAGS: ReadonlyArray<[string, string]> = [
  ['PRESENT', '_PAGE_PRESENT'],
  ['RW', '_PAGE_RW'],
  ['USER', '_PAGE_USER'],
  ['PWT', '_PAGE_PWT'],
  ['PCD', '_PAGE_PCD'],
  ['ACCESSED', '_PAGE_ACCESSED'],
  ['DIRTY', '_PAGE_DIRTY'],
  ['PSE', '_PAGE_PSE'],
  ['GLOBAL', '_PAGE_GLOBAL'],
  ['NX', '_PAGE_NX'],
];

function leafFlags(layout: Layout, level: number, value: bigint): string[] {
  if (layout.hooks.ptdump.style === 'x86') {
    const present = (value & layout.flags._PAGE_PRESENT!) !== 0n;
    return CRASH_X86_FLAGS.filter(([n, m]) => (value & layout.flags[m]!) !== 0n && (n !== 'PSE' || (present && level < layout.levels.length - 1))).map(([n]) => n);
  }
  return flagNames(layout, level)
    .filter((f) => (value & f.mask) !== 0n)
    .map((f) => f.name.split('|')[0]!.replace(/^_(PAGE|SEGMENT_ENTRY|REGION_ENTRY|REGION3_ENTRY)_/, ''));
}

/** mkstring(CENTER): the text centred in `width` columns. */
function center(s: string, width: number): string {
  const pad = Math.max(0, width - s.length);
  const lead = Math.floor(pad / 2);
  return ' '.repeat(lead) + s + ' '.repeat(pad - lead);
}

export function formatVtop(sim: Simulation, mm: Mm, va: number, when: string): string {
  const layout = sim.layout;
  const t = vtop(sim, mm, va);
  const out: string[] = [];
  // cmd_vtop / do_vtop (crash memory.c): both columns left-justified in 16 (UVADDR_PRLEN,
  // VADDR_PRLEN on 64-bit); an address in no VMA is "(not accessible)" and crash stops there.
  const vma = mm.vmas.find((v) => va >= v.start && va < v.end);
  out.push(`${'VIRTUAL'.padEnd(16)}  ${'PHYSICAL'.padEnd(16)}`);
  out.push(`${hex(va).padEnd(16)}  ${vma === undefined ? '(not accessible)' : t.pa !== null ? hex(t.pa).padEnd(16) : '(not mapped)'}`);
  out.push('');
  if (vma !== undefined) for (const l of t.levels) out.push(`${l.level.toUpperCase().padStart(6)}: ${hex(l.entry_pa)} => ${l.value.slice(2)}`);
  const leaf = t.levels[t.levels.length - 1]!;
  const leafLevel = t.levels.length - 1;
  const value = BigInt(leaf.value);
  if (vma === undefined) {
    // crash prints nothing more; the decoded walk below still shows what the tables hold there.
  } else if (t.pa !== null && t.page_size !== null) {
    out.push(`  PAGE: ${hex(leaf.next!)}${t.page_size > sim.pageSize ? `  (${humanSize(t.page_size)}B)` : ''}`);
    out.push('');
    const pte = leaf.value.slice(2);
    const phys = hex(leaf.next!);
    const w1 = Math.max(pte.length, 3);
    const w2 = Math.max(phys.length, 8);
    out.push(`${center('PTE', w1)}  ${center('PHYSICAL', w2)}  FLAGS`);
    out.push(`${center(pte, w1)}  ${center(phys, w2)}  (${leafFlags(layout, leafLevel, value).join('|')})`);
  } else if (value !== 0n) {
    out.push('');
    out.push(`${center('PTE', Math.max(leaf.value.length - 2, 3))}  FLAGS`);
    out.push(`${leaf.value.slice(2)}  (${leafFlags(layout, leafLevel, value).join('|')})`);
  }
  out.push('');
  out.push(`---[ decoded (${layout.name}, ${mm.name} on cpu ${mm.cpu}, ${when}) ]---`);
  for (const l of t.levels) {
    const what =
      l.kind === 'table' ? `table at 0x${hex(l.next!)}` : l.kind === 'leaf' ? `leaf, ${humanSize(2 ** layout.levels[t.levels.indexOf(l)]!.shift)} page at 0x${hex(l.next!)}` : l.kind === 'not-present' ? 'leaf, not present' : 'empty';
    out.push(`  ${l.level.padEnd(4)} entry at 0x${hex(l.entry_pa)} = ${l.value}: ${what}${l.flags.length > 0 ? `; ${l.flags.join(' ')}` : ''}`);
  }
  out.push(
    vma !== undefined
      ? `  vma  ${vma.name}: [0x${hex(vma.start)}, 0x${hex(vma.end)}) ${vma.file.name} offset 0x${hex(vma.pgoff * sim.pageSize + (va - vma.start))} ${vma.flags.write ? 'rw' : 'ro'} ${vma.flags.shared ? 'shared' : 'private'}${vma.flags.sync ? ' sync' : ''}`
      : '  vma  none: the address lies outside every mapping',
  );
  const tlb = tlbRowAt(sim, mm, va);
  out.push(
    tlb !== null
      ? `  tlb  cpu ${mm.cpu}: 0x${hex(tlb.va)} -> 0x${hex(tlb.frame)} ${humanSize(tlb.page_size)} ${tlb.write ? 'rw' : 'ro'}${tlb.dirty ? ' dirty' : ''}${tlb.stale !== null ? `, STALE: ${tlb.stale}` : ''}`
      : `  tlb  cpu ${mm.cpu}: no entry`,
  );
  return out.join('\n') + '\n';
}
