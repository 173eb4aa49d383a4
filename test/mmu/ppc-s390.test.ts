// The MMU on the big-endian layouts: book3s64 radix (64 KiB pages; DSISR / SRR1 causes; R/C
// on the leaf) and s390x (program-interruption codes per level; no hardware A/D bits).
// Facts: Power ISA v3.0B Book III 6.7.10-6.7.12 and arch/powerpc/include/asm/reg.h;
// z/Architecture Principles of Operation ch. 3 and 6, arch/s390/mm/fault.c.
import { mmuRig } from '../rig.ts';
import { describe, expect, it } from 'vitest';
import { findLayout } from '../../arch/index.ts';
import type { Layout } from '../../arch/types.ts';
import { Access, DSISR, FaultKind, PGM, PPC_VECTOR, SRR1, TEID } from '../../src/mmu/index.ts';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const TiB = 2 ** 40;
const PMEM = 4 * TiB;

function rig(name: string) {
  const L = findLayout(name) as Layout;
  return { L, ...mmuRig(L, {}, 1) };
}

const RW = { write: true, young: true, dirty: true };

describe('ppc64 radix', () => {
  const PTE = 3;
  const PMD = 2;
  const PUD = 1;

  it('maps 64 KiB, 2 MiB and 1 GiB leaves from big-endian tables', () => {
    const { L, mem, b, mmu } = rig('ppc64-radix');
    const epa = b.map(0x10000000, PMEM + 0x30000, PTE, RW);
    b.map(0x40000000, PMEM + 64 * MiB, PMD, RW);
    b.map(0x80000000, PMEM + GiB, PUD, RW);
    expect(mmu.translate(0, 0x1000fffe, Access.Read, true)).toBe(PMEM + 0x3fffe);
    expect(mmu.translate(0, 0x40000000 + 2 * MiB - 1, Access.Write, true)).toBe(PMEM + 64 * MiB + 2 * MiB - 1);
    expect(mmu.translate(0, 0x80000000 + 0x12345678, Access.Read, true)).toBe(PMEM + GiB + 0x12345678);
    // The entry sits in memory most significant byte first: _PAGE_PRESENT (bit 63) is the first byte's top bit.
    const raw = new Uint8Array(8);
    mem.readBytes(epa, 8, raw);
    expect(raw[0]! & 0x80).toBe(0x80);
    expect(raw[0]! & 0x40).toBe(0x40); // _PAGE_PTE
    const e = b.read(0x10000000, PTE)!;
    expect(L.isLeaf(PTE, e)).toBe(true);
    expect(mmu.pageSizes).toEqual([64 * 1024, 2 * MiB, GiB]);
  });

  it('sets R and C on the leaf only, never in a PDE', () => {
    const { L, mem, b, mmu } = rig('ppc64-radix');
    const epa = b.map(0x10000000, PMEM, PTE, { write: true, young: false, dirty: false });
    const pmdBefore = b.read(0x10000000, PMD)!;
    expect(mmu.translate(0, 0x10000000, Access.Read, true)).toBe(PMEM);
    const e = { lo: 0, hi: 0 };
    mem.read64(epa, 'big', e);
    expect(L.isYoung(PTE, e)).toBe(true);
    expect(L.isDirty(PTE, e)).toBe(false);
    expect(mmu.translate(0, 0x10000000, Access.Write, true)).toBe(PMEM);
    mem.read64(epa, 'big', e);
    expect(L.isDirty(PTE, e)).toBe(true);
    expect(b.read(0x10000000, PMD)).toEqual(pmdBefore);
    expect(mmu.counters.snapshot()).toMatchObject({ aWrites: 1, dWrites: 1, faults: 0 });
  });

  it('reports DSI causes in DSISR and ISI causes in SRR1', () => {
    const { b, mmu } = rig('ppc64-radix');
    b.map(0x10000000, PMEM, PTE, { write: false, young: true });
    b.map(0x10010000, PMEM + 0x10000, PTE, { user: false, young: true, dirty: true });
    // No translation: DSI with DSISR_NOHPTE (| DSISR_ISSTORE for a store).
    expect(mmu.translate(0, 0x20000000, Access.Write, true)).toBe(-1);
    expect(mmu.fault.vector).toBe(PPC_VECTOR.DSI);
    expect(mmu.fault.code).toBe(DSISR.DSISR_NOHPTE | DSISR.DSISR_ISSTORE);
    expect(mmu.fault.codeNames()).toEqual(['DSISR_NOHPTE', 'DSISR_ISSTORE']);
    // Store to a read-only page: DSISR_PROTFAULT | DSISR_ISSTORE.
    expect(mmu.translate(0, 0x10000000, Access.Write, true)).toBe(-1);
    expect(mmu.fault.code).toBe(DSISR.DSISR_PROTFAULT | DSISR.DSISR_ISSTORE);
    // Problem-state load from a privileged page: DSISR_PROTFAULT; the kernel may.
    expect(mmu.translate(0, 0x10010000, Access.Read, true)).toBe(-1);
    expect(mmu.fault.code).toBe(DSISR.DSISR_PROTFAULT);
    expect(mmu.translate(0, 0x10010000, Access.Read, false)).toBe(PMEM + 0x10000);
    // Fetch from a no-execute page: ISI, SRR1 bit 35; fetch with no translation: SRR1_ISI_NOPT.
    expect(mmu.translate(0, 0x10000000, Access.Exec, true)).toBe(-1);
    expect(mmu.fault.vector).toBe(PPC_VECTOR.ISI);
    expect(mmu.fault.code).toBe(SRR1.SRR1_ISI_N_G_OR_CIP);
    expect(mmu.translate(0, 0x30000000, Access.Exec, true)).toBe(-1);
    expect(mmu.fault.code).toBe(SRR1.SRR1_ISI_NOPT);
    expect(mmu.fault.describe()).toContain('ISI 0x40000000 [SRR1_ISI_NOPT]');
  });

  it('flags a bad PDE as an unsupported radix configuration', () => {
    const { b, mmu } = rig('ppc64-radix');
    b.map(0x10000000, PMEM, PTE, RW);
    b.update(0x10000000, PMD, (e) => {
      e.lo = (e.lo | 0x20) >>> 0; // RADIX_PMD_BAD_BITS
    });
    expect(mmu.translate(0, 0x10000000, Access.Read, true)).toBe(-1);
    expect(mmu.fault.kind).toBe(FaultKind.Reserved);
    expect(mmu.fault.code).toBe(DSISR.DSISR_UNSUPP_MMU);
  });

  it('an address beyond the 52-bit tree raises a segment interrupt', () => {
    const { mmu } = rig('ppc64-radix');
    expect(mmu.translate(0, 2 ** 52, Access.Read, true)).toBe(-1);
    expect(mmu.fault.kind).toBe(FaultKind.NonCanonical);
    expect(mmu.fault.vector).toBe(PPC_VECTOR.DSEG);
    expect(mmu.translateBig(0, 0xc000000000000000n, Access.Exec, false)).toBe(-1);
    expect(mmu.fault.vector).toBe(PPC_VECTOR.ISEG);
  });
});

describe('s390x', () => {
  const PTE = 4;
  const PMD = 3;
  const PUD = 2;

  it('maps 4 KiB pages, 1 MiB segments and 2 GiB region-third leaves from big-endian tables', () => {
    const { b, mmu } = rig('s390x');
    b.map(0x10000000, PMEM + 0x5000, PTE, RW);
    b.map(0x40000000, PMEM + 64 * MiB, PMD, RW);
    b.map(0x80000000, PMEM + 2 * GiB, PUD, RW);
    expect(mmu.translate(0, 0x10000abc, Access.Write, true)).toBe(PMEM + 0x5abc);
    expect(mmu.translate(0, 0x400fffff, Access.Write, true)).toBe(PMEM + 64 * MiB + 0xfffff);
    expect(mmu.translate(0, 0x80000000 + 0x7ffffff0, Access.Read, true)).toBe(PMEM + 2 * GiB + 0x7ffffff0);
    expect(mmu.pageSizes).toEqual([4096, MiB, 2 * GiB]);
    // Five levels read for the page, four for the segment, three for the region-third leaf.
    expect(mmu.counters.snapshot().walkRefs).toBe(5 + 4 + 3);
  });

  it('writes no accessed or dirty bits (the storage key keeps them)', () => {
    const { mem, b, mmu } = rig('s390x');
    const epa = b.map(0x10000000, PMEM, PTE, RW);
    const before = new Uint8Array(8);
    mem.readBytes(epa, 8, before);
    expect(mmu.translate(0, 0x10000000, Access.Write, true)).toBe(PMEM);
    const after = new Uint8Array(8);
    mem.readBytes(epa, 8, after);
    expect(after).toEqual(before);
    expect(mmu.counters.snapshot()).toMatchObject({ aWrites: 0, dWrites: 0 });
    // A writable entry needs no dirty bit: stores hit the TLB at once.
    expect(mmu.translate(0, 0x10000008, Access.Write, true)).toBe(PMEM + 8);
    expect(mmu.counters.snapshot().tlbHits).toBe(1);
  });

  it('raises the translation exception of the level whose entry is invalid', () => {
    const { b, mmu } = rig('s390x');
    b.map(0x10000000, PMEM, PTE, RW);
    expect(mmu.translate(0, 0x10001000, Access.Read, true)).toBe(-1);
    expect(mmu.fault.code).toBe(PGM.PGM_PAGE_TRANSLATION);
    expect(mmu.fault.teidBits).toBe(TEID.FETCH);
    expect(mmu.translate(0, 0x10100000, Access.Write, true)).toBe(-1);
    expect(mmu.fault.code).toBe(PGM.PGM_SEGMENT_TRANSLATION);
    expect(mmu.fault.teidBits).toBe(TEID.STORE);
    expect(mmu.translate(0, 0x100000000, Access.Read, true)).toBe(-1);
    expect(mmu.fault.code).toBe(PGM.PGM_REGION_THIRD_TRANS);
    expect(mmu.translate(0, 2 ** 42, Access.Read, true)).toBe(-1);
    expect(mmu.fault.code).toBe(PGM.PGM_REGION_SECOND_TRANS);
    // Bits 63..53 index the region-first table: above 2^53, so through the bigint entry point.
    expect(mmu.translateBig(0, 1n << 60n, Access.Read, true)).toBe(-1);
    expect(mmu.fault.code).toBe(PGM.PGM_REGION_FIRST_TRANS);
    expect(mmu.fault.codeNames()).toEqual(['PGM_REGION_FIRST_TRANS']);
  });

  it('raises a protection exception for a store to a protected page and for a fetch under IEP', () => {
    const { b, mmu } = rig('s390x');
    b.map(0x10000000, PMEM, PTE, { write: false, young: true, dirty: true });
    // A clean page keeps _PAGE_PROTECT (the kernel's software dirty tracking): the first store faults.
    b.map(0x10001000, PMEM + 0x1000, PTE, { write: true, young: true, dirty: false });
    expect(mmu.translate(0, 0x10000000, Access.Read, true)).toBe(PMEM);
    expect(mmu.translate(0, 0x10000000, Access.Write, true)).toBe(-1);
    expect(mmu.fault.code).toBe(PGM.PGM_PROTECTION);
    expect(mmu.fault.teidBits).toBe(TEID.STORE | TEID.PROT_VALID);
    expect(mmu.translate(0, 0x10001000, Access.Write, true)).toBe(-1);
    expect(mmu.fault.code).toBe(PGM.PGM_PROTECTION);
    expect(mmu.translate(0, 0x10000000, Access.Exec, true)).toBe(-1);
    expect(mmu.fault.code).toBe(PGM.PGM_PROTECTION);
    expect(mmu.fault.teidBits & TEID.IEP).toBe(TEID.IEP);
  });

  it('an old page (software young) is invalid to the hardware', () => {
    const { b, mmu } = rig('s390x');
    b.map(0x10000000, PMEM, PTE, { write: true, young: false, dirty: true });
    expect(mmu.translate(0, 0x10000000, Access.Read, true)).toBe(-1);
    expect(mmu.fault.code).toBe(PGM.PGM_PAGE_TRANSLATION);
  });
});
