// Processes' address spaces: struct mm_struct and struct vm_area_struct, reduced to what the
// DAX paths read (include/linux/mm_types.h, include/linux/mm.h).

import type { DaxEntries } from './dax-entries.ts';
import type { IntervalTree } from './interval-tree.ts';

/** A DAX file's address_space and inode fields the model reads (file.ts builds them). */
export interface AddressSpace {
  /** mapping->i_mmap: every VMA of this file, shared or private, by [vm_pgoff, vm_pgoff + pages - 1]. */
  readonly iMmap: IntervalTree<Vma>;
  /** mapping->i_pages. */
  readonly entries: DaxEntries;
}

export interface DaxFile {
  readonly name: string;
  /** i_size in bytes (truncate changes it). */
  size: number;
  /**
   * Physical address of the extent on the pmem device (block 0 of the file); NaN for a sparse
   * file, and for a file allocated whole once a punch or truncate gave it a block map (truncate.ts).
   */
  phys: number;
  readonly mapping: AddressSpace;
  /** A sparse file's blocks (`file F size N sparse`); absent for a file allocated whole (until a punch or truncate). */
  blocks?: FileBlocks;
}

/**
 * The block map of a sparse file (the extent tree ext4 keeps), by page index: a hole until a
 * write fault, pwrite or fallocate allocates the block. A block allocated since the last
 * journal commit is metadata not yet durable: a crash reverts it to a hole.
 */
export interface FileBlocks {
  /** Physical address of each allocated block. */
  readonly pa: Map<number, number>;
  /** Blocks allocated since the last commit (fsync, msync, the sync of a MAP_SYNC fault). */
  readonly uncommitted: Set<number>;
  /**
   * Blocks a punch or truncate removed since the last commit, by page index, with the block
   * the committed extent tree still has there: a crash before the commit finds them again.
   */
  readonly freed: Map<number, number>;
  /**
   * Their physical addresses, given back to the allocator only at the commit: ext4_free_blocks
   * (fs/ext4/mballoc.c, ext4_mb_clear_bb) keeps freed data blocks busy until the transaction
   * commits ("we don't reuse the freed block until after the transaction is committed",
   * ext4_mb_free_metadata; data=ordered, the default), then ext4_free_data_in_buddy frees them.
   */
  readonly pendingFree: number[];
}

/** The vm_flags bits the DAX paths test (include/linux/mm.h). */
export interface VmFlags {
  /** VM_READ */
  readonly read: boolean;
  /** VM_WRITE */
  readonly write: boolean;
  /** VM_SHARED (MAP_SHARED); without it writes copy to anonymous memory. */
  readonly shared: boolean;
  /** VM_SYNC (MAP_SYNC): write faults commit metadata before the page is mapped writable. */
  readonly sync: boolean;
}

export interface Vma {
  readonly mm: Mm;
  /** The scenario's name for the mapping. */
  readonly name: string;
  /** vm_start / vm_end: virtual addresses, [start, end). */
  readonly start: number;
  readonly end: number;
  /** vm_pgoff: the file page index mapped at vm_start. */
  readonly pgoff: number;
  /** vm_flags; mprotect replaces them. */
  flags: VmFlags;
  readonly file: DaxFile;
  /** Anonymous pages a MAP_PRIVATE write copied into, by page index in the file (the COW page, in DRAM). */
  readonly cowPages: Map<number, number>;
}

export interface Mm {
  readonly id: number;
  readonly name: string;
  /** The CPU this process runs on; its TLB caches this mm's translations. */
  readonly cpu: number;
  /** Physical address of the page-table root (mm->pgd). */
  readonly pgd: number;
  /** VMAs sorted by start (the mm's VMA tree). */
  readonly vmas: Vma[];
  /** Top of the next top-down mmap search (mm->mmap_base, moving down). */
  mmapTop: number;
  /** The CPUs of the mm's other threads (`thread T of P`): its flushes reach their TLBs too (mm_cpumask). */
  threads?: number[];
}

/** find_vma-like lookup: the VMA containing `va`, or undefined. */
export function findVma(mm: Mm, va: number): Vma | undefined {
  for (const v of mm.vmas) if (va >= v.start && va < v.end) return v;
  return undefined;
}

/** The file page index mapped at `va` in `vma` (linear_page_index). */
export function linearPageIndex(vma: Vma, va: number, pageShift: number): number {
  return vma.pgoff + Math.floor((va - vma.start) / 2 ** pageShift);
}
