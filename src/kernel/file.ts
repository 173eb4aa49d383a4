// A file on the pmem device, as a DAX filesystem (ext4/xfs with -o dax) presents it: its
// blocks are one contiguous, 2 MiB-aligned extent of the device (IOMAP_MAPPED, already
// allocated), or, for a sparse file, a block map that starts as one hole (IOMAP_HOLE) and
// that faults and writes fill from the device's allocator (alloc.ts). Its address_space holds
// the i_mmap interval tree of VMAs and the DAX entries.

import { DaxEntries } from './dax-entries.ts';
import { IntervalTree } from './interval-tree.ts';
import type { FsName } from './fs.ts';
import type { DaxFile, Vma } from './mm.ts';

// The types live with the VMA that points at them (mm.ts), so imports point one way.
export type { AddressSpace, DaxFile, FileBlocks } from './mm.ts';

/** A file allocated whole at `phys`, or (phys NaN, `sparse`) one whose blocks are all holes. */
export function newDaxFile(name: string, size: number, phys: number, pmdOrder: number, sparse = false, fs: FsName = 'ext4'): DaxFile {
  const mapping = { iMmap: new IntervalTree<Vma>(), entries: new DaxEntries(pmdOrder) };
  return sparse ? { name, fs, size, phys: NaN, mapping, blocks: { pa: new Map(), uncommitted: new Set(), freed: new Map(), pendingFree: [] } } : { name, fs, size, phys, mapping };
}

/** The physical address of page `index` of the file (ext4_map_blocks), or -1 for a hole. */
export function blockPa(file: DaxFile, index: number, pageSize: number): number {
  if (file.blocks === undefined) return file.phys + index * pageSize;
  return file.blocks.pa.get(index) ?? -1;
}

/**
 * Walks [offset, offset + length) of the file block by block: `fn(pa, done, n)` for each
 * piece inside one block, `pa` the piece's physical address or -1 in a hole, `done` the bytes
 * before it.
 */
export function forEachBlock(file: DaxFile, offset: number, length: number, pageSize: number, fn: (pa: number, done: number, n: number) => void): void {
  let done = 0;
  while (done < length) {
    const at = offset + done;
    const index = Math.floor(at / pageSize);
    const n = Math.min(length - done, (index + 1) * pageSize - at);
    const pa = blockPa(file, index, pageSize);
    fn(pa < 0 ? -1 : pa + (at - index * pageSize), done, n);
    done += n;
  }
}

/**
 * Where byte `offset` of the file is on the device after a crash: the block as the journal
 * last committed it, or -1 where that is a hole (a block allocated since is reverted).
 */
export function committedPa(file: DaxFile, offset: number, pageSize: number): number {
  if (file.blocks === undefined) return file.phys + offset;
  const index = Math.floor(offset / pageSize);
  // a block punched or truncated away since the last commit: the committed tree still has it
  const old = file.blocks.freed.get(index);
  if (old !== undefined) return old + (offset - index * pageSize);
  if (file.blocks.uncommitted.has(index)) return -1;
  const pa = file.blocks.pa.get(index);
  return pa === undefined ? -1 : pa + (offset - index * pageSize);
}
