// madvise(MADV_DONTNEED) and mprotect(2) on DAX file mappings (Linux 6.1, mm/madvise.c
// madvise_dontneed_single_vma, mm/mprotect.c mprotect_fixup / change_protection,
// mm/huge_memory.c change_huge_pmd).
import { describe, expect, it } from 'vitest';
import { badInput, itRuns } from './scenario-rig.ts';

describe('madvise dontneed', () => {
  itRuns('madvise.dax', {
    'zaps that part of the mapping only; the DAX entry stays dirty and the next access faults it back': [
      'file F size 2M',
      'proc A',
      'A mmap a F offset 0 length 16K rw shared',
      'A write a 0 16K byte 3',
      'A madvise a 4K 8K dontneed',
      'expect pte A a 0 present rw dirty pte',
      'expect pte A a 4K absent',
      'expect pte A a 8K absent',
      'expect pte A a 12K present rw dirty pte',
      // zap_page_range leaves the page cache alone: the entry is still dirty for fsync
      'expect entry F 4K real pte dirty',
      'A read a 4K 8',
      'expect pte A a 4K present ro pte',
      'expect view A a 0 16K byte 3',
    ],
    'zaps a private copy too and frees it: the next load reads the file again': [
      'file F size 2M',
      'proc A',
      'A pwrite F 0 4K byte 1',
      'A mmap p F offset 0 length 8K rw private',
      'A write p 0 8 byte 9',
      'expect view A p 0 8 byte 9',
      'A madvise p 0 4K dontneed',
      'expect pte A p 0 absent',
      'expect view A p 0 8 byte 1',
    ],
    'zaps a PMD mapping whole (zap_huge_pmd)': ['file F size 2M', 'proc A', 'A mmap a F offset 0 length 2M', 'A write a 0 8', 'expect pte A a 0 present rw dirty pmd', 'A madvise a 0 2M dontneed', 'expect pte A a 0 absent', 'expect entry F 0 real pmd dirty'],
  });

  it('bad input', () => {
    expect(badInput(['file F size 8K', 'proc A', 'A mmap a F offset 0 length 8K', 'A madvise a 0 4K free'])).toBe("daxsim: bad.dax:4: expected dontneed (the only advice modelled), not 'free'");
    expect(badInput(['file F size 8K', 'proc A', 'A mmap a F offset 0 length 8K', 'A madvise a 100 4K dontneed'])).toBe('daxsim: bad.dax:4: madvise offset 100 is not page aligned');
    expect(badInput(['file F size 8K', 'proc A', 'A mmap a F offset 0 length 8K', 'A madvise a 4K 8K dontneed'])).toBe("daxsim: bad.dax:4: offset 4096 + length 8192 is past the end of mapping 'a' (8192 bytes)");
    expect(badInput(['file F size 8K', 'proc A', 'A madvise a 0 4K dontneed'])).toBe("daxsim: bad.dax:3: unknown mapping 'a'");
  });
});

describe('mprotect', () => {
  itRuns('madvise.dax', {
    'ro write-protects every entry and keeps its dirty bit (pte_modify); a store is then SIGSEGV': [
      'file F size 4M',
      'proc A',
      'A mmap a F offset 0 length 2M rw shared',
      'A mmap b F offset 2M length 16K rw shared',
      'A write a 0 8',
      'A write b 0 8',
      'A mprotect a 0 2M ro',
      'A mprotect b 0 16K ro',
      'expect pte A a 0 present ro dirty pmd',
      'expect pte A b 0 present ro dirty pte',
      'expect tlb A b 0 empty',
      'A write b 0 8',
      'expect last SIGSEGV',
      'A read b 0 8',
      'expect last ok',
    ],
    'rw on a shared DAX VMA: dirty PTEs become writable (can_change_pte_writable), clean ones and PMDs stay write-protected (vma_wants_writenotify)': [
      'file F size 4M',
      'proc A',
      'A mmap a F offset 0 length 2M ro shared',
      'A mmap b F offset 2M length 16K rw shared',
      'A read a 0 8',
      'A write b 0 8',
      'A read b 4K 8',
      'A mprotect b 0 16K ro',
      'A mprotect b 0 16K rw',
      'expect pte A b 0 present rw dirty pte',
      'expect pte A b 4K present ro clean pte',
      'A mprotect a 0 2M rw',
      'expect pte A a 0 present ro pmd',
      // the store takes the write-protect fault that dirties the entry (dax_iomap_pmd_fault)
      'A write a 0 8',
      'expect faults A read 2 write 1 wp 1',
      'expect pte A a 0 present rw dirty pmd',
      'expect entry F 0 real pmd dirty',
    ],
    'rw on a private VMA leaves DAX pages read-only (COW) and makes a dirty private copy writable again': [
      'file F size 2M',
      'proc A',
      'A mmap p F offset 0 length 8K rw private',
      'A write p 0 8 byte 9',
      'A read p 4K 8',
      'A mprotect p 0 8K ro',
      'expect pte A p 0 present ro dirty pte',
      'A mprotect p 0 8K rw',
      'expect pte A p 0 present rw dirty pte',
      'expect pte A p 4K present ro pte',
      'A write p 4K 8 byte 7',
      'expect data F 4K 8 zero',
      'expect view A p 4K 8 byte 7',
    ],
  });

  it('bad input', () => {
    expect(badInput(['file F size 8K', 'proc A', 'A mmap a F offset 0 length 8K', 'A mprotect a 0 8K rwx'])).toBe("daxsim: bad.dax:4: expected none, ro or rw, not 'rwx'");
    expect(badInput(['file F size 8K', 'proc A', 'A mmap a F offset 0 length 8K', 'A mprotect a 4K 8K none'])).toBe("daxsim: bad.dax:4: offset 4096 + length 8192 is past the end of mapping 'a' (8192 bytes)");
    expect(badInput(['file F size 8K', 'proc A', 'A mmap a F offset 0 length 8K', 'A mprotect a 10 4K none'])).toBe('daxsim: bad.dax:4: mprotect offset 10 is not page aligned');
    expect(badInput(['file F size 8K', 'proc A', 'A mmap a F offset 0 length 8K', 'expect pte A a 0 absent none'])).toBe('daxsim: bad.dax:4: an absent entry has no rw/dirty/level/zero to check');
  });
});
