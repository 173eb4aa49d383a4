// Each layout's arch hooks (arch/types.ts ArchHooks) against the layout's own accessors and
// the kernel sources they cite: the entry masks the generated walk uses are exactly what
// tableAddress / leafPfn read, the root register round-trips, and s390's ASCE follows
// init_new_context / crst_table_upgrade.
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fieldValue } from '../../arch/bits.ts';
import { layouts } from '../../arch/index.ts';
import { S390_ASCE, S390_MMAP_BASE, S390_REGION1_SIZE, S390_REGION2_SIZE, s390x } from '../../arch/s390x.ts';
import type { Entry, RootInfo } from '../../arch/types.ts';

describe.each(layouts.map((l) => [l.name, l] as const))('hooks of %s', (_n, L) => {
  const n = L.levels.length;
  // Entry halves with the high half below 2^20, so every address is below 2^52 (the largest modelled).
  const entryArb = fc.record({ lo: fc.nat({ max: 0xffffffff }), hi: fc.nat({ max: 0xfffff }) });

  it('tableAddrMask is what tableAddress reads, at every non-leaf level', () => {
    fc.assert(
      fc.property(entryArb, fc.integer({ min: 0, max: n - 2 }), (e: Entry, l) => {
        const m = L.hooks.tableAddrMask[l]!;
        // Null only where no entry bit is an address bit (riscv: the PPN at bit 10 names pa bit 12):
        // the MMU then calls tableAddress.
        expect(m === null).toBe(L.pfn.shift !== L.pageShift);
        if (m === null) return;
        expect(fieldValue(e, m)).toBe(L.tableAddress(l, e));
      }),
    );
    expect(L.hooks.tableAddrMask[n - 1]).toBeNull();
  });

  it('leafFrameMask is the frame leafPfn reads, aligned to the leaf, where a leaf can be', () => {
    fc.assert(
      fc.property(entryArb, fc.integer({ min: 0, max: n - 1 }), (e0: Entry, l) => {
        const lv = L.levels[l]!;
        const m = L.hooks.leafFrameMask[l];
        if (!(lv.leaf || l === n - 1) || L.pfn.shift !== L.pageShift) {
          expect(m).toBeNull(); // no leaf here, or no entry bit is an address bit (the MMU calls leafPfn)
          return;
        }
        // Make the entry a valid leaf at that level, as the walk sees it.
        const hw = L.hw;
        const e = { ...e0 };
        const force = (mask: { lo: number; hi: number }, set: boolean): void => {
          e.lo = set ? (e.lo | mask.lo) >>> 0 : (e.lo & ~mask.lo) >>> 0;
          e.hi = set ? (e.hi | mask.hi) >>> 0 : (e.hi & ~mask.hi) >>> 0;
        };
        if (l < n - 1) force(hw.leaf[l]!, hw.leafWhenSet[l]!);
        force(hw.valid[l]!, hw.validWhenSet[l]!);
        const pa = L.leafPfn(l, e) * 2 ** L.pageShift;
        const size = 2 ** lv.shift;
        expect(fieldValue(e, m!)).toBe(pa - (pa % size));
      }),
    );
  });

  it('the root register round-trips at every level it can designate', () => {
    const r: RootInfo = { table: -1, level: -1 };
    for (const level of L.hooks.root.levels) {
      const table = 0x12340000 * L.tableBytes[level]!;
      L.hooks.root.decode(L.hooks.root.encode(table, level), r);
      expect(r).toEqual({ table, level });
    }
    expect(L.hooks.root.levels).toContain(L.hooks.root.levelFor(L.hooks.mmapBase));
  });

  it('names no other arch: no family or layout-name test left in src/mmu', () => {
    const dir = fileURLToPath(new URL('../../src/mmu/', import.meta.url));
    for (const f of readdirSync(dir)) {
      const text = readFileSync(dir + f, 'utf8');
      expect(text, f).not.toMatch(/\.family\b|\.name\s*(===|!==|\.startsWith)|isa\s*===/);
    }
  });
});

describe('s390x ASCE (arch/s390/include/asm/mmu_context.h, arch/s390/mm/pgalloc.c)', () => {
  const root = s390x.hooks.root;
  it('a new mm gets a region-third ASCE with _ASCE_TABLE_LENGTH and _ASCE_USER_BITS', () => {
    expect(root.levelFor(0)).toBe(2);
    // init_new_context: __pa(mm->pgd) | _ASCE_TABLE_LENGTH | _ASCE_USER_BITS | _ASCE_TYPE_REGION3.
    expect(root.encode(0x10000, 2)).toBe(0x10000 | 0x3 | 0x1c0 | S390_ASCE._ASCE_TYPE_REGION3);
  });
  it('crst_table_upgrade: 4 levels above _REGION2_SIZE, 5 above _REGION1_SIZE', () => {
    expect(root.levelFor(S390_REGION2_SIZE)).toBe(2);
    expect(root.levelFor(S390_REGION2_SIZE + 4096)).toBe(1);
    expect(root.levelFor(S390_REGION1_SIZE)).toBe(1);
    expect(root.levelFor(S390_REGION1_SIZE + 4096)).toBe(0);
  });
  it('mmap_base is below 4 TiB: STACK_TOP minus the 128 MiB gap, page aligned', () => {
    expect(S390_MMAP_BASE % 4096).toBe(0);
    expect(S390_MMAP_BASE).toBeLessThan(S390_REGION2_SIZE - 2 ** 27);
    expect(S390_MMAP_BASE).toBeGreaterThan(S390_REGION2_SIZE - 2 ** 28);
  });
  it('a segment-table ASCE or a short table length is refused, not walked wrongly', () => {
    const r: RootInfo = { table: 0, level: 0 };
    expect(() => root.decode(0x10000 | 0x3, r)).toThrow(/segment-table/);
    expect(() => root.decode(0x10000 | 0x4 | 0x1, r)).toThrow(/table length/);
  });
});
