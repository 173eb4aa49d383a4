// fork(2) and exit(2) with DAX file mappings (Linux 6.1, kernel/fork.c dup_mmap,
// mm/memory.c vma_needs_copy / copy_page_range, mm/mmap.c exit_mmap).
import { describe, expect, it } from 'vitest';
import { badInput, itRuns } from './scenario-rig.ts';

describe('fork', () => {
  itRuns('fork.dax', {
    'the child of a shared DAX mapping starts with no entries (vma_needs_copy is false) and faults its own in': [
      'file F size 4M',
      'proc A',
      'A mmap a F offset 0 length 2M rw shared',
      'A mmap b F offset 2M length 16K rw shared',
      'A write a 0 8 byte 5',
      'A write b 0 8 byte 6',
      'A fork C',
      'expect pte C C.a 0 absent',
      'expect pte C C.b 0 absent',
      // the parent keeps its entries as they were
      'expect pte A a 0 present rw dirty pmd',
      'expect view C C.a 0 8 byte 5',
      'expect pte C C.a 0 present ro pmd',
      'C write C.b 0 8 byte 7',
      'expect view A b 0 8 byte 7',
      // the child's VMA is in i_mmap: fsync write-protects its PTE as well as the parent's
      'C fsync F',
      'expect pte C C.b 0 present ro clean pte',
      'expect pte A b 0 present ro clean pte',
    ],
    'private copy-on-write pages: shared write-protected by both, the first writer copies, the last one reuses (copy_present_pte, do_wp_page)': [
      'file F size 2M',
      'proc A',
      'A pwrite F 0 8K byte 1',
      'A mmap p F offset 0 length 8K rw private',
      'A write p 0 8 byte 9',
      'A read p 4K 8',
      'expect pte A p 0 present rw dirty pte',
      'A fork C',
      // vma_needs_copy (anon_vma): both map the one anonymous page read-only; the file page too
      'expect pte A p 0 present ro dirty pte',
      'expect pte C C.p 0 present ro dirty pte',
      'expect pte C C.p 4K present ro pte',
      'expect tlb A p 0 empty',
      'expect view C C.p 0 8 byte 9',
      'expect faults C read 0 write 0 wp 0',
      // the child writes first: page_count 2, so wp_page_copy gives it its own copy
      'C write C.p 0 8 byte 5',
      'expect faults C read 0 write 0 wp 1',
      'expect view C C.p 0 8 byte 5',
      'expect view A p 0 8 byte 9',
      // the parent is its page's last mapper now: reused in place, no copy
      'A write p 0 8 byte 6',
      'expect faults A read 1 write 1 wp 1',
      'expect pte A p 0 present rw dirty pte',
      'expect view A p 0 8 byte 6',
      'expect view C C.p 0 8 byte 5',
      // the file was never written through the private mappings
      'expect data F 0 8 byte 1',
      'C exit',
      'A exit',
    ],
    'mprotect rw after fork makes no shared anonymous page writable (can_change_pte_writable: not PageAnonExclusive)': [
      'file F size 2M',
      'proc A',
      'A mmap p F offset 0 length 8K rw private',
      'A write p 0 8 byte 9',
      'A fork C',
      'C exit',
      'A mprotect p 0 8K ro',
      'A mprotect p 0 8K rw',
      'expect pte A p 0 present ro dirty pte',
      'A write p 0 8 byte 3',
      'expect faults A read 0 write 1 wp 1',
      'expect pte A p 0 present rw dirty pte',
      'expect view A p 0 8 byte 3',
    ],
    'a shared DAX mapping on virtiofs (VM_MIXEDMAP) has its PTEs copied, clean and old; a PMD is refaulted (copy_huge_pmd)': [
      'file F size 4M fs virtiofs',
      'proc A',
      'A mmap a F offset 0 length 2M rw shared',
      'A mmap b F offset 2M length 16K rw shared',
      'A write a 0 8 byte 1',
      'A write b 0 8 byte 2',
      'A fork C',
      'expect pte C C.a 0 absent',
      'expect pte C C.b 0 present rw clean pte',
      'expect pte A b 0 present rw dirty pte',
      'expect view C C.b 0 8 byte 2',
      'expect faults C read 0 write 0 wp 0',
    ],
  });

  it('bad input: a name already used, an unknown process', () => {
    expect(badInput(['file F size 8K', 'proc A', 'A fork F'])).toBe("daxsim: bad.dax:3: name 'F' is already used");
    expect(badInput(['file F size 8K', 'proc A', 'B fork C'])).toMatch(/^daxsim: bad\.dax:3: unknown process or statement 'B'/);
  });
});

describe('exit', () => {
  itRuns('fork.dax', {
    'tears the mm down: every entry zapped, the VMAs gone from i_mmap, the data kept': [
      'file F size 4M',
      'proc A',
      'proc B',
      'A mmap a F offset 0 length 2M rw shared',
      'B mmap b F offset 0 length 16K rw shared',
      'A write a 0 8 byte 1',
      'B write b 4K 8 byte 2',
      'A exit',
      'expect pte A a 0 absent',
      'expect tlb A a 0 empty',
      'expect pte B b 4K present rw dirty pte',
      'B fsync F',
      'expect pte B b 4K present ro clean pte',
      'crash',
      'expect durable',
      'expect data F 0 8 byte 1',
      'expect data F 4K 8 byte 2',
    ],
  });

  it('bad input: a statement of an exited process, a mapping of one', () => {
    expect(badInput(['file F size 8K', 'proc A', 'A mmap a F offset 0 length 8K', 'A exit', 'A fsync F'])).toBe('daxsim: bad.dax:5: process A has exited');
    expect(badInput(['file F size 8K', 'proc A', 'proc B', 'A mmap a F offset 0 length 8K', 'A exit', 'expect view A a 0 8 zero'])).toBe("daxsim: bad.dax:6: mapping 'a' was unmapped");
  });
});
