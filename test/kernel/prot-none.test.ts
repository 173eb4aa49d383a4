// mprotect(PROT_NONE) and mprotect over part of a VMA on DAX file mappings (Linux 6.1,
// mm/mprotect.c mprotect_fixup / change_protection, mm/mmap.c __split_vma, mm/huge_memory.c
// change_huge_pmd / __split_huge_pmd_locked), on every layout: PAGE_NONE in the arch's own
// encoding (pte_present still true, pte_protnone true, the hardware faults), a fault on the VMA
// is SIGSEGV (access_error), and `mprotect rw` makes it usable again.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { layouts } from '../../arch/index.ts';
import { entryFromBigInt, entryToBigInt } from '../../arch/bits.ts';
import { itRuns, runLines } from './scenario-rig.ts';

const run = (lines: string[], arch = 'x86_64') => runLines('prot-none.dax', lines, { arch });

describe('PAGE_NONE as each layout encodes it', () => {
  // PAGE_NONE, _PAGE_CHG_MASK and _HPAGE_CHG_MASK as test/arch/header-values/header-values.sh
  // computes them from the 6.1 headers where they are compile-time constants (its
  // header-values.tsv, group extra), kept in test/arch/header-values/prot-none.json.
  const header = JSON.parse(readFileSync(path.join(import.meta.dirname, '../arch/header-values/prot-none.json'), 'utf8')) as Record<string, Record<string, string>>;
  for (const [name, v] of Object.entries(header)) {
    it(`${name}: ${Object.keys(v).join(', ')} as the headers have them`, () => {
      const hook = layouts.find((l) => l.name === name)!.hooks.protNone;
      if (v.PAGE_NONE !== undefined) expect(hook.pageNone).toBe(BigInt(v.PAGE_NONE));
      if (v._PAGE_CHG_MASK !== undefined) expect(hook.chgMask.pte).toBe(BigInt(v._PAGE_CHG_MASK));
      if (v._HPAGE_CHG_MASK !== undefined) expect(hook.chgMask.pmd).toBe(BigInt(v._HPAGE_CHG_MASK));
    });
  }

  for (const l of layouts) {
    it(`${l.name}: a PROT_NONE leaf is present, protnone, keeps pfn and dirty, and faults in hardware`, () => {
      for (const level of [l.levels.length - 1, l.pmdLevel]) {
        if (!l.levels[level]!.leaf) continue;
        const pfn = 2 ** (l.levels[level]!.shift - l.pageShift) * 3;
        const e = { lo: 0, hi: 0 };
        l.mkLeaf(level, pfn, { write: true, user: true, exec: false, dirty: true, young: true, devmap: l.devmap !== null, special: false }, e);
        expect(l.hooks.protNone.is(level, e)).toBe(false);
        l.hooks.protNone.mk(level, e);
        expect(l.isPresent(level, e), 'pte_present').toBe(true);
        expect(l.isLeaf(level, e), 'p?d_leaf (fixed)').toBe(true);
        expect(l.hooks.protNone.is(level, e), 'pte_protnone').toBe(true);
        expect(l.leafPfn(level, e)).toBe(pfn);
        expect(l.isDirty(level, e)).toBe(true);
        expect(l.isWrite(level, e)).toBe(false);
        // the hardware: invalid, or (powerpc) a privileged page a user access may not use
        const hw = l.hw;
        const valid = ((e.lo & hw.valid[level]!.lo) | (e.hi & hw.valid[level]!.hi)) !== 0 === hw.validWhenSet[level];
        const user = ((e.lo & hw.user[level]!.lo) | (e.hi & hw.user[level]!.hi)) !== 0 === hw.userWhenSet[level];
        expect(valid && user, `${entryToBigInt(e).toString(16)} usable by user space`).toBe(false);
      }
    });
  }

  it('x86_64: L1TF, the pfn of a PROT_NONE PTE is stored inverted (flip_protnone_guard) and pte_pfn undoes it', () => {
    const l = layouts.find((x) => x.name === 'x86_64')!;
    const e = entryFromBigInt(0x8000000123456067n, { lo: 0, hi: 0 }); // NX | pfn 0x123456 | D A U RW P
    l.hooks.protNone.mk(3, e);
    // _PAGE_CHG_MASK kept (pfn, D, A), PAGE_NONE's _PAGE_GLOBAL added, P/RW/U/NX gone, pfn bits 12..51 inverted
    expect(entryToBigInt(e)).toBe(0x000ffffedcba9160n);
    expect(l.leafPfn(3, e)).toBe(0x123456);
  });
});

describe('mprotect none', () => {
  itRuns('prot-none.dax', {
    'x86_64: every PTE becomes PROT_NONE, a load is SIGSEGV, mprotect rw brings the data back': [
      'file F size 2M',
      'proc A',
      'A mmap a F offset 0 length 16K rw shared',
      'A write a 0 16K byte 5',
      'A mprotect a 0 16K none',
      'expect pte A a 0 present ro dirty pte none',
      'expect tlb A a 0 empty',
      'A read a 0 8',
      'expect last SIGSEGV',
      'A write a 4K 8 byte 6',
      'expect last SIGSEGV',
      'expect faults A read 0 write 4 wp 0',
      'A mprotect a 0 16K rw',
      // pte_modify keeps dirty; can_change_pte_writable: a dirty shared PTE becomes writable at once
      'expect pte A a 0 present rw dirty pte',
      'A write a 0 8 byte 7',
      'expect faults A read 0 write 4 wp 0',
      'expect view A a 0 8 byte 7',
      'expect view A a 8 8 byte 5',
    ],
  });

  for (const l of layouts) {
    it(`${l.name}: PTEs through none and back to rw keep their data and dirty state, with no new fault`, () => {
      const ps = 2 ** l.pageShift;
      const r = run(
        [
          'file F size 2M',
          'proc A',
          `A mmap a F offset 0 length ${2 * ps} rw shared`,
          `A write a ${ps} 8 byte 5`,
          `A mprotect a 0 ${2 * ps} none`,
          `expect pte A a ${ps} present ro dirty pte none`,
          `A read a ${ps} 8`,
          'expect last SIGSEGV',
          `A mprotect a 0 ${2 * ps} rw`,
          `expect pte A a ${ps} present rw dirty pte`,
          `A write a ${ps} 8 byte 6`,
          `expect view A a ${ps} 8 byte 6`,
        ],
        l.name,
      );
      expect(r.faults.A).toEqual({ read: 0, write: 1, wp: 0 });
    });
  }

  for (const arch of ['x86_64', 'arm64-4k', 'ppc64-radix-4k']) {
    it(`${arch}: a huge PMD is changed whole (change_huge_pmd) and stays PROT_NONE until mprotect ro`, () => {
      run(
        [
          'file F size 2M',
          'proc A',
          'A mmap a F offset 0 length 2M rw shared',
          'A write a 0 8 byte 1',
          'expect pte A a 0 present rw dirty pmd',
          'A mprotect a 0 2M none',
          'expect pte A a 0 present ro dirty pmd none',
          'A read a 4K 8',
          'expect last SIGSEGV',
          'A fsync F',
          // pfn_mkclean_range cleans the PROT_NONE PMD too (pmd_dirty)
          'expect pte A a 0 present ro clean pmd none',
          'A mprotect a 0 2M ro',
          'expect pte A a 0 present ro clean pmd',
          'expect view A a 0 8 byte 1',
        ],
        arch,
      );
    });
  }
});

describe('change_huge_pmd: pmdp_invalidate_ad flushes the PMD, except on x86', () => {
  it('x86_64 issues only the mmu_gather flush of the range; arm64-4k the pmdp_invalidate flush too', () => {
    const lines = ['file F size 2M', 'proc A', 'A mmap a F offset 0 length 2M rw shared', 'A write a 0 8', 'A mprotect a 0 2M ro', 'expect pte A a 0 present ro dirty pmd'];
    const flushes = (arch: string) => {
      const before = run(lines.slice(0, 4), arch).counters.tlbFlushes;
      return run(lines, arch).counters.tlbFlushes - before;
    };
    expect(flushes('x86_64')).toBe(1);
    expect(flushes('arm64-4k')).toBe(2);
  });
});

describe('mprotect of part of a VMA (split_vma)', () => {
  itRuns('prot-none.dax', {
    'splits the VMA in three, protects the middle, and merges them back when the flags agree again': [
      'file F size 2M',
      'proc A',
      'A mmap a F offset 0 length 16K rw shared',
      'A write a 0 16K byte 2',
      'A mprotect a 4K 4K none',
      'expect pte A a 0 present rw dirty pte',
      'expect pte A a 4K present ro dirty pte none',
      'expect pte A a 8K present rw dirty pte',
      'A write a 8K 8 byte 3',
      'A write a 4K 8 byte 3',
      'expect last SIGSEGV',
      'A mprotect a 4K 4K rw',
      'A write a 4K 8 byte 4',
      'expect view A a 4K 8 byte 4',
      'expect view A a 8K 8 byte 3',
      'A munmap a',
      'expect pte A a 0 absent',
    ],
    'a huge PMD straddling the split point is zapped (__split_huge_pmd for DAX) and the next fault maps PTEs': [
      'file F size 2M',
      'proc A',
      'A mmap a F offset 0 length 2M rw shared',
      'A write a 0 8 byte 1',
      'expect pte A a 0 present rw dirty pmd',
      'A mprotect a 1M 1M ro',
      'expect pte A a 0 absent',
      'expect entry F 0 real pmd dirty',
      'A read a 0 8',
      'expect pte A a 0 present ro pte',
      'A write a 1M 8 byte 2',
      'expect last SIGSEGV',
      'expect view A a 0 8 byte 1',
    ],
    'fsync after a split reaches every piece (each is its own VMA in i_mmap)': [
      'file F size 2M',
      'proc A',
      'A mmap a F offset 0 length 16K rw shared',
      'A write a 0 16K byte 2',
      'A mprotect a 8K 8K ro',
      'A fsync F',
      'expect pte A a 0 present ro clean pte',
      'expect pte A a 8K present ro clean pte',
      'A write a 0 8 byte 9',
      'crash',
      'expect durable',
    ],
  });
});
