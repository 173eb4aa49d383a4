// A file on the pmem device, as a DAX filesystem (ext4/xfs with -o dax) presents it: its
// blocks are one contiguous, 2 MiB-aligned extent of the device (IOMAP_MAPPED, already
// allocated, so faults never allocate blocks), and its address_space holds the i_mmap
// interval tree of VMAs and the DAX entries.

import { DaxEntries } from './dax-entries.ts';
import { IntervalTree } from './interval-tree.ts';
import type { DaxFile, Vma } from './mm.ts';

// The types live with the VMA that points at them (mm.ts), so imports point one way.
export type { AddressSpace, DaxFile } from './mm.ts';

export function newDaxFile(name: string, size: number, phys: number, pmdOrder: number): DaxFile {
  return { name, size, phys, mapping: { iMmap: new IntervalTree<Vma>(), entries: new DaxEntries(pmdOrder) } };
}
