// The per-CPU TLBs: hits, stale entries after a page-table change without a flush (what the
// DAX mkclean bug rests on), the flush operations the kernel uses, address-space ids, TLB off.
// Facts: Intel SDM Vol. 3A 4.10.2-4.10.4.
import { describe, expect, it } from 'vitest';
import { mmuRig } from '../rig.ts';
import { layouts } from '../../arch/index.ts';
import type { Layout } from '../../arch/types.ts';
import { FrameAllocator } from '../../src/mem/frames.ts';
import { PhysMem } from '../../src/mem/phys.ts';
import { TableBuilder } from '../../src/mmu/builder.ts';
import { Access, FaultKind, Mmu, Perm, type MmuOptions } from '../../src/mmu/index.ts';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const TiB = 2 ** 40;
const PMEM = 4 * TiB;

function rig(L: Layout, opts: MmuOptions = {}) {
  const pte = L.levels.length - 1;
  return { ...mmuRig(L, opts), pte, page: 2 ** L.levels[pte]!.shift };
}

// A writable, dirty, young user page on every layout (s390 emulates young/dirty with the invalid/protect bits).
const RW = { write: true, young: true, dirty: true };

describe.each(layouts.map((l) => [l.name, l] as const))('TLB on %s', (_name, L) => {
  it('uses a stale entry after the kernel write-protects the PTE without a flush, and the new one after a flush', () => {
    const { b, mmu, pte, page } = rig(L);
    const va = 0x10000000;
    b.map(va, PMEM + 8 * page, pte, RW);
    expect(mmu.translate(0, va + 8, Access.Write, true)).toBe(PMEM + 8 * page + 8);
    // The kernel's pte_wrprotect + pte_mkclean, but no flush_tlb_page (the buggy mkclean).
    b.update(va, pte, (e) => {
      L.wrprotect(pte, e);
      L.mkclean(pte, e);
    });
    expect(mmu.lookup(b.root, va).perms & Perm.W).toBe(0);
    // The store still goes through the stale writable+dirty TLB entry: no fault, no walk.
    const walks = mmu.counters.snapshot().walks;
    expect(mmu.translate(0, va + 16, Access.Write, true)).toBe(PMEM + 8 * page + 16);
    expect(mmu.counters.snapshot().walks).toBe(walks);
    expect(mmu.tlbProbe(0, va)!.perms & Perm.W).toBe(Perm.W);
    // The other CPU never cached it: it walks and faults.
    expect(mmu.translate(1, va, Access.Write, true)).toBe(-1);
    expect(mmu.fault.kind).toBe(FaultKind.Protection);
    // After the flush, CPU 0 walks too and faults.
    mmu.flushPage(0, va);
    expect(mmu.tlbProbe(0, va)).toBeNull();
    expect(mmu.translate(0, va + 16, Access.Write, true)).toBe(-1);
    expect(mmu.fault.kind).toBe(FaultKind.Protection);
    // Remapping to another frame without a flush: reads keep using the old frame until flushed.
    b.map(va, PMEM + 9 * page, pte, RW);
    expect(mmu.translate(0, va, Access.Read, true)).toBe(PMEM + 9 * page);
    b.map(va, PMEM + 10 * page, pte, RW);
    expect(mmu.translate(0, va, Access.Read, true)).toBe(PMEM + 9 * page);
    mmu.flushRange(0, va, va + page);
    expect(mmu.translate(0, va, Access.Read, true)).toBe(PMEM + 10 * page);
  });

  it('invlpg drops the entry of whatever size covers the address', () => {
    const { b, mmu, pte } = rig(L);
    const hugeLevel = pte - 1;
    const size = 2 ** L.levels[hugeLevel]!.shift;
    const va = 64 * size;
    b.map(va, PMEM + 4 * size, hugeLevel, RW);
    expect(mmu.translate(0, va + size - 8, Access.Read, true)).toBe(PMEM + 4 * size + size - 8);
    expect(mmu.tlbProbe(0, va + 4096)!.pageSize).toBe(size);
    mmu.flushPage(0, va + size / 2);
    expect(mmu.tlbProbe(0, va)).toBeNull();
    expect(mmu.counters.snapshot().tlbFlushedEntries).toBe(1);
  });

  it('flushRange, flushAsid and flushAll drop what they cover and nothing else', () => {
    const { b, mmu, pte, page } = rig(L);
    for (let i = 0; i < 16; i++) b.map(0x20000000 + i * page, PMEM + i * page, pte, RW);
    for (let i = 0; i < 16; i++) mmu.translate(0, 0x20000000 + i * page, Access.Read, true);
    expect(mmu.tlbCount(0)).toBe(16);
    mmu.flushRange(0, 0x20000000 + 4 * page, 0x20000000 + 8 * page);
    expect(mmu.tlbCount(0)).toBe(12);
    expect(mmu.tlbProbe(0, 0x20000000 + 3 * page)).not.toBeNull();
    expect(mmu.tlbProbe(0, 0x20000000 + 4 * page)).toBeNull();
    expect(mmu.tlbProbe(0, 0x20000000 + 8 * page)).not.toBeNull();
    // A range larger than the TLB scans it instead of probing page by page.
    mmu.flushRange(0, 0, 2 ** 40);
    expect(mmu.tlbCount(0)).toBe(0);
    for (let i = 0; i < 16; i++) mmu.translate(1, 0x20000000 + i * page, Access.Read, true);
    mmu.flushAsid(1);
    expect(mmu.tlbCount(1)).toBe(0);
    mmu.translate(1, 0x20000000, Access.Read, true);
    mmu.flushAll(1);
    expect(mmu.tlbCount(1)).toBe(0);
  });
});

describe('address-space ids', () => {
  const L = layouts[0]!;
  it('keeps entries per asid across root switches; asid 0 flushes on load', () => {
    const mem = new PhysMem({ kind: 'dram', base: 0, size: GiB }, { kind: 'pmem', base: PMEM, size: TiB });
    const frames = new FrameAllocator(mem, mem.dram);
    const a = new TableBuilder(L, mem, frames);
    const b = new TableBuilder(L, mem, frames);
    a.map(0x400000, PMEM, 3, RW);
    b.map(0x400000, PMEM + 0x1000, 3, RW);
    const mmu = new Mmu(L, mem, { cpus: 1 });
    mmu.setRoot(0, a.root, 1);
    expect(mmu.translate(0, 0x400000, Access.Read, true)).toBe(PMEM);
    mmu.setRoot(0, b.root, 2);
    expect(mmu.translate(0, 0x400000, Access.Read, true)).toBe(PMEM + 0x1000);
    // Back to asid 1: its entry survived (PCID), so a change without flush is not seen.
    a.map(0x400000, PMEM + 0x5000, 3, RW);
    mmu.setRoot(0, a.root, 1);
    expect(mmu.translate(0, 0x400000, Access.Read, true)).toBe(PMEM);
    mmu.flushAsid(0, 1);
    expect(mmu.translate(0, 0x400000, Access.Read, true)).toBe(PMEM + 0x5000);
    // Untagged (asid 0): loading the root flushes, as a CR3 write without PCIDs does.
    mmu.setRoot(0, a.root, 0);
    expect(mmu.translate(0, 0x400000, Access.Read, true)).toBe(PMEM + 0x5000);
    a.map(0x400000, PMEM + 0x6000, 3, RW);
    mmu.setRoot(0, a.root, 0);
    expect(mmu.translate(0, 0x400000, Access.Read, true)).toBe(PMEM + 0x6000);
  });

  it('rejects a misaligned root and bad cpu numbers', () => {
    const mem = new PhysMem({ kind: 'dram', base: 0, size: GiB }, { kind: 'pmem', base: PMEM, size: TiB });
    const mmu = new Mmu(L, mem, { cpus: 1 });
    expect(() => mmu.setRoot(0, 0x1008)).toThrow(RangeError);
    expect(() => mmu.setRoot(1, 0x1000)).toThrow(RangeError);
  });
});

describe('TLB off and counters', () => {
  const L = layouts[0]!;
  it('walks every time with the TLB off, and counts walks, references, hits and misses', () => {
    const { b, mmu } = rig(L, { tlb: false });
    b.map(0x400000, PMEM, 3, RW);
    for (let i = 0; i < 10; i++) expect(mmu.translate(0, 0x400000 + i, Access.Read, true)).toBe(PMEM + i);
    let s = mmu.counters.snapshot();
    expect(s).toMatchObject({ translations: 10, walks: 10, walkRefs: 40, tlbHits: 0, tlbMisses: 0, tlbFills: 0 });
    mmu.setTlbEnabled(true);
    mmu.counters.reset();
    for (let i = 0; i < 10; i++) mmu.translate(0, 0x400000 + i, Access.Read, true);
    s = mmu.counters.snapshot();
    expect(s).toMatchObject({ translations: 10, walks: 1, tlbHits: 9, tlbMisses: 1, tlbFills: 1 });
    mmu.setTlbEnabled(false);
    expect(mmu.tlbCount(0)).toBe(0);
    expect(() => mmu.translate(0, 0x400000, 3 as Access, true)).toThrow(RangeError); // a JS caller can pass any number
    expect(() => mmu.translate(1.5, 0x400000, Access.Read, true)).toThrow(RangeError);
  });

  it('a fault drops the TLB entry for the faulting address', () => {
    const { b, mmu } = rig(L);
    b.map(0x400000, PMEM, 3, { write: false, young: true });
    expect(mmu.translate(0, 0x400000, Access.Read, true)).toBe(PMEM);
    expect(mmu.tlbProbe(0, 0x400000)).not.toBeNull();
    expect(mmu.translate(0, 0x400000, Access.Write, true)).toBe(-1);
    expect(mmu.tlbProbe(0, 0x400000)).toBeNull();
  });

  it('large pages live in their own arrays', () => {
    const { b, mmu } = rig(L);
    b.map(0x40000000, PMEM, 2, RW);
    b.map(0x80000000, PMEM + GiB, 1, RW);
    for (let i = 0; i < 100; i++) {
      expect(mmu.translate(0, 0x40000000 + i * 4096 * 5, Access.Write, true)).toBe(PMEM + i * 4096 * 5);
      expect(mmu.translate(0, 0x80000000 + i * MiB * 3, Access.Read, true)).toBe(PMEM + GiB + i * MiB * 3);
    }
    expect(mmu.counters.snapshot().walks).toBe(2);
  });
});
