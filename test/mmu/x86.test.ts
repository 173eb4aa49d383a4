// The MMU on the x86-64 layouts: leaves at every level, rights, A/D, #PF error codes, #GP for
// non-canonical addresses, protection keys, SMEP/SMAP, 5-level addresses above 2^47.
// Facts: Intel SDM Vol. 3A 4.5-4.8 and 4.10; arch/x86/include/asm/trap_pf.h.
import { mmuRig } from '../rig.ts';
import { describe, expect, it } from 'vitest';
import { findLayout } from '../../arch/index.ts';
import type { Layout } from '../../arch/types.ts';
import { Access, FaultKind, X86_PF, X86_VECTOR_GP, X86_VECTOR_PF, type MmuOptions } from '../../src/mmu/index.ts';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const TiB = 2 ** 40;
const PMEM = 4 * TiB;
const { X86_PF_PROT, X86_PF_WRITE, X86_PF_USER, X86_PF_RSVD, X86_PF_INSTR, X86_PF_PK } = X86_PF;

function layout(name: string): Layout {
  const l = findLayout(name);
  if (!l) throw new Error(name);
  return l;
}

function rig(name = 'x86_64', opts: MmuOptions = {}) {
  const L = layout(name);
  return { L, ...mmuRig(L, opts) };
}

const PTE = 3;
const PMD = 2;
const PUD = 1;

describe('x86-64 walk', () => {
  it('maps 4 KiB, 2 MiB and 1 GiB leaves', () => {
    const { b, mmu } = rig();
    b.map(0x400000, PMEM + 0x5000, PTE, { young: true, dirty: true });
    b.map(0x40000000 + 2 * MiB, PMEM + 64 * MiB, PMD, { young: true, dirty: true });
    b.map(0x80000000, PMEM + GiB, PUD, { young: true, dirty: true });
    expect(mmu.translate(0, 0x400123, Access.Read, true)).toBe(PMEM + 0x5123);
    expect(mmu.translate(0, 0x40000000 + 2 * MiB + 0x1ffff7, Access.Read, true)).toBe(PMEM + 64 * MiB + 0x1ffff7);
    expect(mmu.translate(0, 0x80000000 + 0x3fffffff, Access.Write, true)).toBe(PMEM + GiB + 0x3fffffff);
    expect(mmu.lookup(b.root, 0x80001234)).toMatchObject({ status: 'mapped', level: PUD, pageSize: GiB, pa: PMEM + GiB + 0x1234 });
    expect(mmu.lookup(b.root, 0x40000000 + 2 * MiB)).toMatchObject({ status: 'mapped', level: PMD, pageSize: 2 * MiB });
    const snap = mmu.counters.snapshot();
    expect(snap.walks).toBe(3);
    expect(snap.walkRefs).toBe(4 + 3 + 2);
  });

  it('reports a not-present fault with the level and the error code bits', () => {
    const { b, mmu } = rig();
    b.map(0x400000, PMEM, PTE);
    expect(mmu.translate(0, 0x401000, Access.Write, true)).toBe(-1);
    expect(mmu.fault.kind).toBe(FaultKind.NotPresent);
    expect(mmu.fault.vector).toBe(X86_VECTOR_PF);
    expect(mmu.fault.code).toBe(X86_PF_WRITE | X86_PF_USER);
    expect(mmu.fault.levelName).toBe('pte');
    expect(mmu.fault.va).toBe(0x401000);
    expect(mmu.fault.codeNames()).toEqual(['X86_PF_WRITE', 'X86_PF_USER']);
    // An empty PGD slot stops the walk at the root.
    expect(mmu.translate(0, 0x7f0000000000, Access.Exec, false)).toBe(-1);
    expect(mmu.fault.level).toBe(0);
    expect(mmu.fault.code).toBe(X86_PF_INSTR);
    expect(mmu.fault.describe()).toContain('#PF 0x10 [X86_PF_INSTR] not-present exec kernel va=0x7f0000000000 at pgd');
  });

  it('checks write, user and NX on every level and reports protection faults', () => {
    const { L, b, mmu } = rig();
    b.map(0x400000, PMEM, PTE, { write: false, young: true });
    b.map(0x600000, PMEM + 0x1000, PTE, { user: false, young: true, dirty: true });
    b.map(0x800000, PMEM + 0x2000, PTE, { exec: true, young: true, dirty: true });
    // Read-only: loads work, stores fault with P=1.
    expect(mmu.translate(0, 0x400000, Access.Read, true)).toBe(PMEM);
    expect(mmu.translate(0, 0x400008, Access.Write, true)).toBe(-1);
    expect(mmu.fault.code).toBe(X86_PF_PROT | X86_PF_WRITE | X86_PF_USER);
    // CR0.WP=1 (Linux): the kernel cannot write a read-only page either.
    expect(mmu.translate(0, 0x400008, Access.Write, false)).toBe(-1);
    expect(mmu.fault.code).toBe(X86_PF_PROT | X86_PF_WRITE);
    // Supervisor page: user access faults, kernel access works.
    expect(mmu.translate(0, 0x600000, Access.Read, true)).toBe(-1);
    expect(mmu.fault.code).toBe(X86_PF_PROT | X86_PF_USER);
    expect(mmu.translate(0, 0x600000, Access.Write, false)).toBe(PMEM + 0x1000);
    // NX: fetch from a data page faults with I/D; an exec page fetches.
    expect(mmu.translate(0, 0x600000, Access.Exec, false)).toBe(-1);
    expect(mmu.fault.code).toBe(X86_PF_PROT | X86_PF_INSTR);
    expect(mmu.translate(0, 0x800000, Access.Exec, true)).toBe(PMEM + 0x2000);
    // R/W clear in the PMD (a table entry) makes every page below it read-only (SDM 4.6.1).
    b.update(0x800000, PMD, (e) => L.wrprotect(PMD, e));
    mmu.flushAll(0);
    expect(mmu.translate(0, 0x800000, Access.Write, true)).toBe(-1);
    expect(mmu.fault.kind).toBe(FaultKind.Protection);
    expect(mmu.fault.level).toBe(PTE);
    // NX in the PUD forbids fetches below it.
    b.update(0x800000, PUD, (e) => {
      e.hi = (e.hi | 0x80000000) >>> 0;
    });
    mmu.flushAll(0);
    expect(mmu.translate(0, 0x800000, Access.Exec, true)).toBe(-1);
    expect(mmu.fault.code).toBe(X86_PF_PROT | X86_PF_USER | X86_PF_INSTR);
    expect(mmu.counters.snapshot().faultsProtection).toBe(6);
  });

  it('raises RSVD for PS in a PML4E and for reserved bits of a huge leaf', () => {
    const { L, b, mmu } = rig();
    b.map(0x40000000, PMEM, PMD, { young: true, dirty: true });
    b.update(0x40000000, PMD, (e) => {
      e.lo = (e.lo | (1 << 13)) >>> 0; // bits 20:13 of a 2 MiB PDE are reserved
    });
    expect(mmu.translate(0, 0x40000000, Access.Read, true)).toBe(-1);
    expect(mmu.fault.kind).toBe(FaultKind.Reserved);
    expect(mmu.fault.code).toBe(X86_PF_PROT | X86_PF_RSVD | X86_PF_USER);
    expect(mmu.fault.levelName).toBe('pmd');
    expect(mmu.lookup(b.root, 0x40000000).status).toBe('reserved');
    b.update(0x40000000, 0, (e) => {
      e.lo = (e.lo | Number(L.flags._PAGE_PSE)) >>> 0;
    });
    expect(mmu.translate(0, 0x40000000, Access.Write, false)).toBe(-1);
    expect(mmu.fault.code).toBe(X86_PF_PROT | X86_PF_RSVD | X86_PF_WRITE);
    expect(mmu.fault.levelName).toBe('pgd');
    expect(mmu.counters.snapshot().faultsReserved).toBe(2);
  });

  it('sets accessed on every level and dirty on the leaf of a store, writing back only clear bits', () => {
    const { L, b, mem, mmu } = rig();
    const epa = b.map(0x400000, PMEM, PTE, { young: false, dirty: false });
    // Tables made by mkTable carry A (and D) already; clear A in the PMD entry to see it set.
    b.update(0x400000, PMD, (e) => L.mkold(PMD, e));
    const e = { lo: 0, hi: 0 };
    expect(mmu.translate(0, 0x400000, Access.Read, true)).toBe(PMEM);
    mem.read64(epa, 'little', e);
    expect(L.isYoung(PTE, e)).toBe(true);
    expect(L.isDirty(PTE, e)).toBe(false);
    expect(L.isYoung(PMD, b.read(0x400000, PMD)!)).toBe(true);
    expect(mmu.counters.snapshot().aWrites).toBe(2);
    // The store through the writable, clean entry in the TLB walks again and sets D: no fault.
    expect(mmu.translate(0, 0x400010, Access.Write, true)).toBe(PMEM + 0x10);
    mem.read64(epa, 'little', e);
    expect(L.isDirty(PTE, e)).toBe(true);
    let s = mmu.counters.snapshot();
    expect(s.tlbRewalks).toBe(1);
    expect(s.dWrites).toBe(1);
    expect(s.aWrites).toBe(2);
    expect(s.faults).toBe(0);
    // Now writable and dirty in the TLB: further stores hit without a walk.
    expect(mmu.translate(0, 0x400020, Access.Write, true)).toBe(PMEM + 0x20);
    s = mmu.counters.snapshot();
    expect(s.walks).toBe(2);
    expect(s.tlbHits).toBe(1);
    // A faulting walk writes nothing.
    const before = { ...e };
    b.update(0x400000, PTE, (x) => L.mkold(PTE, x));
    b.update(0x400000, PTE, (x) => L.mkclean(PTE, x));
    b.update(0x400000, PTE, (x) => L.wrprotect(PTE, x));
    mmu.flushAll(0);
    expect(mmu.translate(0, 0x400000, Access.Write, true)).toBe(-1);
    mem.read64(epa, 'little', e);
    expect(L.isYoung(PTE, e) || L.isDirty(PTE, e)).toBe(false);
    expect(before.lo).not.toBe(e.lo);
  });

  it('a write through a read-only entry faults, a write through a clean writable one does not', () => {
    const { b, mmu } = rig();
    b.map(0x400000, PMEM, PTE, { write: false, young: true });
    b.map(0x401000, PMEM + 0x1000, PTE, { write: true, young: true, dirty: false });
    expect(mmu.translate(0, 0x400000, Access.Write, true)).toBe(-1);
    expect(mmu.translate(0, 0x401000, Access.Write, true)).toBe(PMEM + 0x1000);
  });
});

describe('x86-64 canonical addresses', () => {
  it('raises #GP, not #PF, for non-canonical addresses', () => {
    const { mmu } = rig();
    expect(mmu.translate(0, 2 ** 47, Access.Read, true)).toBe(-1);
    expect(mmu.fault.kind).toBe(FaultKind.NonCanonical);
    expect(mmu.fault.vector).toBe(X86_VECTOR_GP);
    expect(mmu.fault.code).toBe(0);
    expect(mmu.fault.describe()).toContain('#GP');
    expect(mmu.translateBig(0, 0x0000800000000000n, Access.Read, true)).toBe(-1);
    expect(mmu.fault.kind).toBe(FaultKind.NonCanonical);
    expect(mmu.translateBig(0, 0xffff7fffffffffffn, Access.Read, false)).toBe(-1);
    expect(mmu.fault.kind).toBe(FaultKind.NonCanonical);
    // The kernel half is canonical: it walks (and finds nothing here).
    expect(mmu.translateBig(0, 0xffff800000000000n, Access.Read, false)).toBe(-1);
    expect(mmu.fault.kind).toBe(FaultKind.NotPresent);
    expect(mmu.fault.level).toBe(0);
    expect(mmu.counters.snapshot().faultsNonCanonical).toBe(3);
  });

  it('translates kernel-half addresses through the same root', () => {
    const { b, mmu } = rig();
    // PGD index 256 (0xffff800000000000), built with the halves' low 48 bits (the builder indexes by bits 47..).
    b.map(0x800000000000, PMEM, PTE, { user: false, young: true, dirty: true });
    expect(mmu.translateBig(0, 0xffff800000000123n, Access.Read, false)).toBe(PMEM + 0x123);
    expect(mmu.translateBig(0, 0xffff800000000123n, Access.Read, true)).toBe(-1);
    expect(mmu.lookup(b.root, 0xffff800000000123n).pa).toBe(PMEM + 0x123);
  });

  it('throws for a number that is not a safe non-negative integer', () => {
    const { mmu } = rig();
    expect(() => mmu.translate(0, 2 ** 53, Access.Read, true)).toThrow(RangeError);
    expect(() => mmu.translate(0, -4096, Access.Read, true)).toThrow(RangeError);
    expect(() => mmu.translate(0, 0.5, Access.Read, true)).toThrow(RangeError);
    expect(() => mmu.translate(0, NaN, Access.Read, true)).toThrow(RangeError);
    // Bad cpu or access kind, even where the TLB holds the page.
    mmu.translate(0, 0x1000, Access.Read, true);
    expect(() => mmu.translate(2, 0x1000, Access.Read, true)).toThrow(RangeError);
    expect(() => mmu.translate(0, 0x1000, 3 as Access, true)).toThrow(RangeError); // a JS caller can pass any number
  });

  it('LA57: walks five levels and maps addresses above 2^47; non-canonical above 2^56', () => {
    const { b, mmu } = rig('x86_64-la57');
    const va = 0xf123456789000; // > 2^47, < 2^53
    // Five levels: pgd p4d pud pmd pte.
    b.map(va, PMEM + 0x7000, 4, { young: true, dirty: true });
    b.map(2 ** 52, PMEM + 2 * MiB, 3, { young: true, dirty: true });
    expect(mmu.translate(0, va + 0xabc, Access.Write, true)).toBe(PMEM + 0x7abc);
    expect(mmu.translate(0, 2 ** 52 + 12345, Access.Read, true)).toBe(PMEM + 2 * MiB + 12345);
    expect(mmu.counters.snapshot().walkRefs).toBe(5 + 4);
    expect(mmu.lookup(b.root, va)).toMatchObject({ status: 'mapped', level: 4 });
    expect(mmu.translateBig(0, 0x0100000000000000n, Access.Read, true)).toBe(-1);
    expect(mmu.fault.kind).toBe(FaultKind.NonCanonical);
    expect(mmu.translateBig(0, 0xff00000000000000n, Access.Read, false)).toBe(-1);
    expect(mmu.fault.kind).toBe(FaultKind.NotPresent);
    // On a 4-level CPU the same number is non-canonical.
    const four = rig('x86_64').mmu;
    expect(four.translate(0, va, Access.Read, true)).toBe(-1);
    expect(four.fault.vector).toBe(X86_VECTOR_GP);
  });
});

describe('x86-64 protection keys, SMEP, SMAP', () => {
  it('PKRU access-disable and write-disable block user pages by key', () => {
    const { L, b, mmu } = rig();
    b.map(0x400000, PMEM, PTE, { young: true, dirty: true });
    b.update(0x400000, PTE, (e) => {
      e.hi = (e.hi | (3 << (59 - 32))) >>> 0; // key 3 (_PAGE_PKEY_BIT0 | _PAGE_PKEY_BIT1)
    });
    expect(L.flags._PAGE_PKEY_BIT0).toBe(1n << 59n);
    expect(mmu.translate(0, 0x400000, Access.Write, true)).toBe(PMEM);
    // WD for key 3 (bit 7): loads work, stores fault with PK; no flush is needed (PKRU is checked on TLB hits too).
    mmu.setPkru(0, 1 << 7);
    expect(mmu.translate(0, 0x400000, Access.Read, true)).toBe(PMEM);
    expect(mmu.translate(0, 0x400000, Access.Write, true)).toBe(-1);
    expect(mmu.fault.kind).toBe(FaultKind.Pkey);
    expect(mmu.fault.code).toBe(X86_PF_PROT | X86_PF_WRITE | X86_PF_USER | X86_PF_PK);
    // AD for key 3 (bit 6): loads fault; fetches are not checked against PKRU.
    mmu.setPkru(0, 1 << 6);
    expect(mmu.translate(0, 0x400000, Access.Read, true)).toBe(-1);
    expect(mmu.fault.code).toBe(X86_PF_PROT | X86_PF_USER | X86_PF_PK);
    // Another key's bits do not matter; the other CPU's PKRU is its own.
    mmu.setPkru(0, 0b11 << 8);
    expect(mmu.translate(0, 0x400000, Access.Write, true)).toBe(PMEM);
    expect(mmu.translate(1, 0x400000, Access.Write, true)).toBe(PMEM);
    expect(mmu.counters.snapshot().faultsPkey).toBe(2);
  });

  it('SMEP and SMAP stop the kernel from fetching from / touching user pages', () => {
    const { b, mmu } = rig('x86_64', { smep: true, smap: true });
    b.map(0x400000, PMEM, PTE, { exec: true, young: true, dirty: true });
    expect(mmu.translate(0, 0x400000, Access.Exec, true)).toBe(PMEM);
    expect(mmu.translate(0, 0x400000, Access.Exec, false)).toBe(-1);
    expect(mmu.fault.code).toBe(X86_PF_PROT | X86_PF_INSTR);
    expect(mmu.translate(0, 0x400000, Access.Read, false)).toBe(-1);
    expect(mmu.fault.code).toBe(X86_PF_PROT);
    mmu.setSmepSmap(false, false);
    expect(mmu.translate(0, 0x400000, Access.Read, false)).toBe(PMEM);
  });
});
