// fork(2) and exit(2) with DAX file mappings (Linux 6.1, kernel/fork.c dup_mmap,
// mm/memory.c vma_needs_copy / copy_page_range, mm/mmap.c exit_mmap).
import { describe, expect, it } from 'vitest';
import { badInput, runLines } from './scenario-rig.ts';

const run = (lines: string[]) => runLines('fork.dax', lines);

describe('fork', () => {
  it('the child of a shared DAX mapping starts with no entries (vma_needs_copy is false) and faults its own in', () => {
    run([
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
    ]);
  });

  it('refuses a parent with private copy-on-write pages (their copy is not modelled yet)', () => {
    expect(badInput(['file F size 8K', 'proc A', 'A mmap p F offset 0 length 8K rw private', 'A write p 0 8', 'A fork C'])).toBe('daxsim: bad.dax:5: fork of A: mapping p has private copy-on-write pages, whose copy_page_range daxsim does not model yet');
  });

  it('bad input: a name already used, an unknown process', () => {
    expect(badInput(['file F size 8K', 'proc A', 'A fork F'])).toBe("daxsim: bad.dax:3: name 'F' is already used");
    expect(badInput(['file F size 8K', 'proc A', 'B fork C'])).toMatch(/^daxsim: bad\.dax:3: unknown process or statement 'B'/);
  });
});

describe('exit', () => {
  it('tears the mm down: every entry zapped, the VMAs gone from i_mmap, the data kept', () => {
    run([
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
    ]);
  });

  it('bad input: a statement of an exited process, a mapping of one', () => {
    expect(badInput(['file F size 8K', 'proc A', 'A mmap a F offset 0 length 8K', 'A exit', 'A fsync F'])).toBe('daxsim: bad.dax:5: process A has exited');
    expect(badInput(['file F size 8K', 'proc A', 'proc B', 'A mmap a F offset 0 length 8K', 'A exit', 'expect view A a 0 8 zero'])).toBe("daxsim: bad.dax:6: mapping 'a' was unmapped");
  });
});
