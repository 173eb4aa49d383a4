// A file on the pmem device, as a DAX filesystem (ext4/xfs with -o dax) presents it: its
// blocks are one contiguous, 2 MiB-aligned extent of the device (IOMAP_MAPPED, already
// allocated, so faults never allocate blocks), and its address_space holds the i_mmap
// interval tree of VMAs and the DAX entries.

import { DaxEntries } from './dax-entries.ts';
import { IntervalTree } from './interval-tree.ts';
import type { Vma } from './mm.ts';

export interface AddressSpace {
  /** mapping->i_mmap: every VMA of this file, shared or private, by [vm_pgoff, vm_pgoff + pages - 1]. */
  readonly iMmap: IntervalTree<Vma>;
  /** mapping->i_pages. */
  readonly entries: DaxEntries;
}

export interface DaxFile {
  readonly name: string;
  /** i_size in bytes. */
  readonly size: number;
  /** Physical address of the extent on the pmem device (block 0 of the file). */
  readonly phys: number;
  readonly mapping: AddressSpace;
}

export function newDaxFile(name: string, size: number, phys: number, pmdOrder: number): DaxFile {
  return { name, size, phys, mapping: { iMmap: new IntervalTree<Vma>(), entries: new DaxEntries(pmdOrder) } };
}
