// fallocate(FALLOC_FL_PUNCH_HOLE) and truncate(2) on ext4 -o dax (Linux 6.1, fs/ext4/inode.c
// ext4_punch_hole and ext4_setattr): the layouts broken, the mappings and DAX entries of the
// range gone, the blocks freed to the allocator at the next commit and reused lowest first,
// a crash before that commit finding the old blocks again.
import { describe, expect, it } from 'vitest';
import { badInput, runLines } from './scenario-rig.ts';

const run = (lines: string[]) => runLines('punch.dax', lines);

describe('fallocate punch', () => {
  it('unmaps the punched pages, deletes their entries, and the hole reads zeros through a new fault', () => {
    run([
      'file F size 2M sparse',
      'proc A',
      'A mmap a F offset 0 length 64K rw shared',
      'A write a 0 16K byte 7',
      'expect pte A a 4K present rw dirty pte',
      'expect entry F 4K real pte dirty',
      'A fallocate F punch 4K 8K',
      // ext4_break_layouts unmaps every mapping of the file (dax_layout_busy_page)
      'expect pte A a 0 absent',
      'expect pte A a 4K absent',
      'expect entry F 4K absent',
      'expect entry F 8K absent',
      // the page outside the hole keeps its entry and its data
      'expect entry F 0 real pte dirty',
      'expect data F 0 4K byte 7',
      'expect data F 4K 8K zero',
      'expect data F 12K 4K byte 7',
      'A read a 4K 8',
      'expect pte A a 4K present ro pte zero',
      'expect view A a 4K 8K zero',
    ]);
  });

  it('zeroes the partial edge blocks and frees only the whole ones (ext4_zero_partial_blocks)', () => {
    run([
      'file F size 2M sparse',
      'proc A',
      'A pwrite F 0 12K byte 5',
      'A fallocate F punch 2K 8K',
      'expect data F 0 2K byte 5',
      'expect data F 2K 8K zero',
      'expect data F 10K 2K byte 5',
      // block 1 went, blocks 0 and 2 stay allocated
      'expect entry F 0 absent',
      'A mmap a F offset 0 length 12K rw shared',
      'A read a 4K 8',
      'expect pte A a 4K present ro pte zero',
      'A read a 8K 8',
      'expect pte A a 8K present ro pte',
    ]);
  });

  it('a crash before the commit finds the punched blocks again; after fsync they are a hole', () => {
    const before = [
      'file F size 2M sparse',
      'proc A',
      'A pwrite F 0 4K byte 3',
      'A fsync F',
      'A fallocate F punch 0 4K',
      'expect data F 0 4K zero',
    ];
    // ext4's punch is a journal transaction: before its commit the extent tree still has the block
    run([...before, 'crash', 'expect durable', 'expect data F 0 4K byte 3']);
    run([...before, 'A fsync F', 'crash', 'expect durable', 'expect data F 0 4K zero']);
  });

  it('freed blocks go back to the allocator at the commit and are reused lowest first', () => {
    // G's first write takes the block F had (the lowest free) only once the punch is committed
    const lines = (commit: boolean) => [
      'file F size 8K sparse',
      'file G size 8K sparse',
      'proc A',
      'A pwrite F 0 4K byte 1',
      'A pwrite F 4K 4K byte 2',
      'A fsync F',
      'A fallocate F punch 0 4K',
      ...(commit ? ['A fsync F'] : []),
      'A pwrite G 0 4K byte 9',
      'A fsync G',
      'crash',
      'expect durable',
      `expect data F 0 4K ${commit ? 'zero' : 'byte 1'}`,
      'expect data F 4K 4K byte 2',
      'expect data G 0 4K byte 9',
    ];
    run(lines(false));
    run(lines(true));
  });

  it('punches a file allocated whole (its extent becomes a block map) and keeps private copies', () => {
    run([
      'file F size 2M',
      'proc A',
      'A pwrite F 0 8K byte 4',
      'A mmap p F offset 0 length 8K rw private',
      'A write p 0 8 byte 9',
      'A fallocate F punch 4K 4K',
      // break layouts without even_cows (d75996dd022b): the anonymous copy stays mapped
      'expect pte A p 0 present rw dirty pte',
      'expect view A p 0 8 byte 9',
      'expect data F 0 4K byte 4',
      'expect data F 4K 4K zero',
    ]);
  });

  it('bad input: a mode that does not exist', () => {
    expect(badInput(['file F size 8K', 'proc A', 'A fallocate F collapse 0 4K'])).toBe("daxsim: bad.dax:3: expected punch or zero, not 'collapse'");
  });
});

describe('truncate', () => {
  it('shrinking unmaps past the new end, private copies too (truncate_pagecache: even_cows 1), and a fault there is SIGBUS', () => {
    run([
      'file F size 16K sparse',
      'proc A',
      'A mmap s F offset 0 length 16K rw shared',
      'A mmap p F offset 0 length 16K rw private',
      'A write s 0 16K byte 6',
      'A write p 12K 8 byte 8',
      'expect pte A p 12K present rw dirty pte',
      'A truncate F 8K',
      'expect pte A s 0 absent',
      'expect pte A p 12K absent',
      'A write s 12K 8',
      'expect last SIGBUS',
      'A read s 4K 8',
      'expect view A s 0 8K byte 6',
      'A fsync F',
      'crash',
      'expect durable',
      'expect data F 0 8K byte 6',
    ]);
  });

  it('growing adds holes: the new pages read the zero page and a write allocates them', () => {
    run([
      'file F size 4K',
      'proc A',
      'A pwrite F 0 4K byte 2',
      'A truncate F 12K',
      'A mmap a F offset 0 length 12K rw shared',
      'A read a 8K 8',
      'expect pte A a 8K present ro pte zero',
      'A write a 4K 8 byte 5',
      'expect pte A a 4K present rw dirty pte',
      'expect view A a 0 8 byte 2',
      'A fsync F',
      'crash',
      'expect durable',
      'expect data F 4K 8 byte 5',
      'expect data F 8K 4K zero',
    ]);
  });

  it('bad input: an unaligned size, a size beyond the device, an unknown file', () => {
    expect(badInput(['file F size 8K', 'proc A', 'A truncate F 100'])).toBe('daxsim: bad.dax:3: truncate size 100 is not a multiple of the page size (4096): daxsim keeps i_size page aligned');
    expect(badInput(['file F size 8K', 'proc A', 'A truncate F 2048G'])).toMatch(/^daxsim: bad\.dax:3: truncate size \d+ exceeds the limit/);
    expect(badInput(['file F size 8K', 'proc A', 'A truncate G 4K'])).toBe("daxsim: bad.dax:3: unknown file 'G'");
    expect(badInput(['file F size 8K', 'proc A', 'A truncate F'])).toBe("daxsim: bad.dax:3: expected 'P truncate F N'");
  });
});
