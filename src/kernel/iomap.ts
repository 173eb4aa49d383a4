// The filesystem's side of a DAX fault (Linux 6.1, ext4): ext4_dax_huge_fault's
// invalidate_lock around dax_iomap_fault (fs/ext4/file.c), ->iomap_begin's block lookup and
// allocation as ext4_iomap_begin reports it (fs/ext4/inode.c), and dax_fault_is_synchronous's
// test of IOMAP_F_DIRTY. fault.ts calls these at its `iomap_begin` point.

import type { KernelContext } from './context.ts';
import type { DaxEntry } from './dax-entries.ts';
import { UserFault } from './errors.ts';
import { blockPa } from './file.ts';
import { downRead, invalidateLock, upRead } from './locks.ts';
import type { DaxFile, Vma } from './mm.ts';
import { AFTER, BEFORE, type Steps } from './task.ts';
import { isBadPmem } from './memory-failure.ts';

/**
 * ext4_dax_huge_fault (fs/ext4/file.c), which every DAX vm_operation reaches: the fault runs
 * under filemap_invalidate_lock_shared, so it cannot overlap a punch or truncate (locks.ts).
 */
export function* ext4DaxFault<T>(k: KernelContext, vma: Vma, body: Steps<T>): Steps<T> {
  const sem = invalidateLock(k, vma.file);
  yield* downRead(k.tasks, sem);
  try {
    return yield* body;
  } finally {
    upRead(k.tasks, sem);
  }
}

/**
 * dax_fault_is_synchronous: an IOMAP_WRITE fault on a VM_SYNC VMA while the filesystem
 * reports IOMAP_F_DIRTY, i.e. the inode has uncommitted datasync metadata (Kernel.metadataDirty).
 */
export function isSynchronous(k: KernelContext, vma: Vma, write: boolean): boolean {
  // bug map-sync-metadata: the kernel before the v4.15 MAP_SYNC series (for ext4 b8a6176c214c
  // "ext4: Support for synchronous DAX faults": ext4_iomap_begin reports IOMAP_F_DIRTY, the
  // fault handler calls dax_finish_sync_fault). Before it MAP_SYNC was an unknown flag a
  // MAP_SHARED mmap ignored, and no fault was synchronous: a block a write fault allocated is
  // mapped writable before its allocation is committed.
  if (k.bug('map-sync-metadata')) return false;
  return write && vma.flags.sync && k.metadataDirty.has(vma.file);
}

/**
 * ->iomap_begin of a page fault (ext4_iomap_begin): the block at `index`, or -1 for a hole a
 * read leaves as it is; a write fills the hole (ext4_iomap_alloc, IOMAP_F_NEW), SIGBUS when
 * the device is full (the empty entry `e`, when the fault holds one, goes with it).
 */
export function* iomapBegin(k: KernelContext, vma: Vma, va: number, index: number, write: boolean, e: DaxEntry | undefined): Steps<number> {
  yield BEFORE.iomap_begin;
  let pa = blockPa(vma.file, index, k.pageSize);
  if (pa < 0 && write && k.bug('simultaneous-write-faults')) {
    // bug simultaneous-write-faults: before 843172978bb9 "dax: fix race between simultaneous
    // faults" (Matthew Wilcox, 2015) __dax_fault looked the block up (get_block, create 0),
    // and on a hole asked again with create 1 under i_mmap_sem held shared, then zeroed what
    // came back as new (dax_clear_blocks): two write faults on one hole both got here, and
    // the loser zeroed the block the winner had already mapped and stored into. The code
    // predates the entry lock (ac401cc78242) and iomap: the lookup is this fault's
    // `iomap_begin`, the create-and-zero the step after it.
    yield AFTER.iomap_begin;
    pa = blockPa(vma.file, index, k.pageSize);
    if (pa >= 0) k.machine.cache.ntstore(vma.mm.cpu, pa, new Uint8Array(k.pageSize)); // clear_pmem of the winner's block
    else pa = k.allocBlocks(vma.mm.cpu, vma.file, index, 1, k.pageSize);
    if (pa >= 0) return pa;
  }
  if (pa < 0 && write) {
    pa = k.allocBlocks(vma.mm.cpu, vma.file, index, 1, k.pageSize);
    if (pa < 0) {
      if (e !== undefined && e.kind === 'empty') vma.file.mapping.entries.delete(e);
      throw new UserFault('SIGBUS', `no space left on the pmem device for a block at 0x${va.toString(16)} (ENOSPC)`);
    }
  }
  yield AFTER.iomap_begin;
  // dax_iomap_direct_access on a bad block: -EIO from __pmem_direct_access (badblocks), dax_fault_return -> VM_FAULT_SIGBUS
  if (pa >= 0 && isBadPmem(k, pa)) throw new UserFault('SIGBUS', `the pmem block behind 0x${va.toString(16)} is poisoned (dax_direct_access: EIO)`);
  return pa;
}

/**
 * What ext4_iomap_begin reports for the PMD at `index` of a sparse file: the extent's
 * physical address when all its blocks are allocated, contiguous and PMD-aligned (what
 * dax_iomap_direct_access needs for a PMD pfn), 'hole' when none is, and 'mixed' otherwise
 * (iomap_length < PMD_SIZE, or a misaligned pfn: VM_FAULT_FALLBACK).
 */
export function pmdExtent(k: KernelContext, file: DaxFile, index: number, nr: number): number | 'hole' | 'mixed' {
  if (file.blocks === undefined) return file.phys + index * k.pageSize;
  const head = file.blocks.pa.get(index);
  let holes = 0;
  for (let i = 0; i < nr; i++) {
    const pa = file.blocks.pa.get(index + i);
    if (pa === undefined) holes++;
    else if (head === undefined || pa !== head + i * k.pageSize) return 'mixed';
  }
  if (holes === nr) return 'hole';
  if (holes > 0 || head! % k.pmdSize !== 0) return 'mixed';
  return head!;
}
