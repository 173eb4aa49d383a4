// Taking a range of a DAX file away from its mappings and its page cache (Linux 6.1):
// dax_layout_busy_page_range (fs/dax.c), truncate_pagecache_range and
// truncate_inode_pages_range for DAX entries (mm/truncate.c), and ext4's zero range
// (fs/ext4/extents.c ext4_zero_range) on top of them.

import type { KernelContext } from './context.ts';
import { KernelError } from './errors.ts';
import { forEachBlock } from './file.ts';
import { FS_RULES, type BreakLayoutsFn } from './fs.ts';
import type { DaxFile, FileBlocks } from './mm.ts';
import { unmapMappingPages } from './writeback.ts';

/**
 * dax_layout_busy_page_range(mapping, start, end) as ext4_break_layouts calls it
 * (dax_layout_busy_page: the whole file): unmap_mapping_pages(mapping, start_idx, n, 0), so
 * every DAX mapping goes but the anonymous copies of private mappings stay, then the pinned
 * pages are waited for (daxsim models no pins yet). bug layout-busy-cows: before d75996dd022b
 * "dax: dax_layout_busy_page() should not unmap cow pages" it was
 * unmap_mapping_range(mapping, 0, 0, 1): even_cows, the private copies unmapped too.
 */
export function daxLayoutBusyPageRange(k: KernelContext, file: DaxFile, startIndex: number, endIndex: number): void {
  unmapMappingPages(k, file, startIndex, endIndex - startIndex + 1, k.bug('layout-busy-cows'));
}

/**
 * ext4_break_layouts (fs/ext4/inode.c): dax_layout_busy_page(inode->i_mapping), the whole
 * file, waiting for each busy page until none is left.
 */
export function ext4BreakLayouts(k: KernelContext, file: DaxFile): void {
  daxLayoutBusyPageRange(k, file, 0, Math.ceil(file.size / k.pageSize) - 1);
}

/** xfs_break_layouts(BREAK_UNMAP) -> xfs_break_dax_layouts (fs/xfs/xfs_file.c): dax_layout_busy_page, the whole file. */
export function xfsBreakDaxLayouts(k: KernelContext, file: DaxFile): void {
  daxLayoutBusyPageRange(k, file, 0, Math.ceil(file.size / k.pageSize) - 1);
}

/**
 * fuse_dax_break_layouts(inode, dmap_start, dmap_end) (fs/fuse/dax.c):
 * dax_layout_busy_page_range(mapping, start, end) over the byte range [start, end], retried
 * while a page is busy. `end` -1, as fuse_file_fallocate and fuse_do_setattr pass it in 6.1,
 * reaches every page: dax_layout_busy_page_range takes end_idx = end >> PAGE_SHIFT, all ones,
 * and unmap_mapping_pages(mapping, 0, 0, 0) wraps to the whole file.
 */
export function fuseDaxBreakLayouts(k: KernelContext, file: DaxFile, start: number, end: number): void {
  const ps = k.pageSize;
  const endIndex = end < 0 ? Math.ceil(file.size / ps) - 1 : Math.floor(end / ps);
  daxLayoutBusyPageRange(k, file, Math.floor(start / ps), endIndex);
}

/** The break-layouts function of each filesystem (fs.ts FS_RULES names it), as its fallocate and setattr call it. */
const BREAK_LAYOUTS: Readonly<Record<BreakLayoutsFn, (k: KernelContext, file: DaxFile) => void>> = {
  ext4_break_layouts: ext4BreakLayouts,
  xfs_break_dax_layouts: xfsBreakDaxLayouts,
  fuse_dax_break_layouts: (k, file) => fuseDaxBreakLayouts(k, file, 0, -1),
};

/** Break the layouts of `file` before a punch, zero range or truncate, with its filesystem's function. */
export function breakLayouts(k: KernelContext, file: DaxFile): void {
  BREAK_LAYOUTS[FS_RULES[file.fs].breakLayouts](k, file);
}

/**
 * truncate_pagecache_range(inode, lstart, lend): unmap the whole pages of the range
 * (unmap_mapping_range, even_cows 0), then truncate_inode_pages_range, which for a DAX
 * mapping deletes every entry overlapping it, dirty or not (dax_delete_mapping_entry).
 */
export function truncatePagecacheRange(k: KernelContext, file: DaxFile, lstart: number, lend: number): void {
  const ps = k.pageSize;
  const first = Math.ceil(lstart / ps);
  const last = Math.floor((lend + 1) / ps) - 1;
  if (first <= last) unmapMappingPages(k, file, first, last - first + 1, false);
  const entries = file.mapping.entries;
  for (const e of entries.range(Math.floor(lstart / ps), Math.floor(lend / ps))) entries.delete(e);
}

/**
 * fallocate(FALLOC_FL_ZERO_RANGE) on ext4 (ext4_zero_range): break layouts, drop the page
 * cache of the range, and make it read as zeros, which is a metadata change (datasync:
 * ext4_update_inode_fsync_trans). ext4 converts the block-aligned part to unwritten extents
 * and zeroes the partial edge blocks; daxsim writes zeros into the allocated blocks instead
 * (non-temporal stores, persistent at the next fence): what reads and faults see is the
 * same, but a crash before the next commit keeps the zeros where ext4 would show the old
 * data (an unmodelled difference). Holes stay holes.
 */
export function ext4ZeroRange(k: KernelContext, cpu: number, file: DaxFile, offset: number, length: number): void {
  const ps = k.pageSize;
  breakLayouts(k, file);
  truncatePagecacheRange(k, file, offset, offset + length - 1);
  forEachBlock(file, offset, length, ps, (pa, done, n) => {
    if (pa < 0) return;
    const zeros = new Uint8Array(n);
    k.machine.cache.ntstore(cpu, pa, zeros);
    // the file's bytes are zeros now: what a later fsync promises (the durability checker)
    k.events.fileStore?.(file, offset + done, n, cpu, zeros, 0);
  });
  k.metadataDirty.add(file);
}

/** Pages of a file allocated whole that punch and truncate turn into a block map at most (4 GiB of 4 KiB pages). */
export const MAX_BLOCK_MAP_PAGES = 2 ** 20;

/**
 * The file's block map, made from its one extent the first time a punch or truncate changes
 * a file allocated whole: every page its block, all committed (what ext4's extent tree had).
 */
function blockMapOf(k: KernelContext, file: DaxFile): FileBlocks {
  if (file.blocks !== undefined) return file.blocks;
  const ps = k.pageSize;
  const pages = Math.ceil(file.size / ps);
  if (pages > MAX_BLOCK_MAP_PAGES) throw new KernelError(`file ${file.name} is allocated whole and too large (${pages} pages, limit ${MAX_BLOCK_MAP_PAGES}) for daxsim to punch or truncate: make it sparse`);
  const blocks: FileBlocks = { pa: new Map(), uncommitted: new Set(), freed: new Map(), pendingFree: [] };
  for (let i = 0; i < pages; i++) {
    const pa = file.phys + i * ps;
    blocks.pa.set(i, pa);
    k.blockOwner.set(pa, { file, index: i });
  }
  file.blocks = blocks;
  file.phys = NaN;
  return blocks;
}

/**
 * ext4_ext_remove_space over pages [first, end) (fs/ext4/extents.c, ext4_free_blocks): the
 * extents go from the block map now; the committed tree keeps each block until the commit,
 * and the allocator gets it back only then (FileBlocks.pendingFree). A block allocated since
 * the last commit was never in the committed tree: gone from it already.
 */
function removeSpace(k: KernelContext, file: DaxFile, first: number, end: number): void {
  const blocks = blockMapOf(k, file);
  for (let i = first; i < end; i++) {
    const pa = blocks.pa.get(i);
    if (pa === undefined) continue;
    blocks.pa.delete(i);
    if (blocks.uncommitted.delete(i)) {
      // never committed: freed at the commit all the same (ext4_mb_free_metadata by tid)
    } else if (!blocks.freed.has(i)) {
      blocks.freed.set(i, pa);
    }
    blocks.pendingFree.push(pa);
    k.blockOwner.delete(pa);
  }
  k.metadataDirty.add(file);
}

/**
 * Zeroes [offset, offset + length) of the file where it has blocks: ext4_zero_partial_blocks
 * -> ext4_block_zero_page_range -> iomap_zero_range for DAX (fs/dax.c dax_zero_iter ->
 * dax_memzero: memset then dax_flush), modelled as non-temporal stores (durable at the next
 * fence, as dax_flush's clwb lines are); the checker learns the file reads zeros there.
 */
function zeroBlocks(k: KernelContext, cpu: number, file: DaxFile, offset: number, length: number): void {
  forEachBlock(file, offset, length, k.pageSize, (pa, done, n) => {
    const zeros = new Uint8Array(n);
    if (pa >= 0) k.machine.cache.ntstore(cpu, pa, zeros);
    k.events.fileStore?.(file, offset + done, n, cpu, zeros, 0);
  });
}

/**
 * fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE) on ext4 (fs/ext4/inode.c
 * ext4_punch_hole): nothing past i_size; ext4_break_layouts (dax_layout_busy_page: every
 * mapping of the file, the pins waited for), truncate_pagecache_range over the whole blocks
 * [round_up(offset), round_down(offset + length) - 1], ext4_zero_partial_blocks for the
 * partial edge blocks, ext4_ext_remove_space of the whole blocks, then
 * ext4_update_inode_fsync_trans(datasync 1): the hole is metadata until the next commit.
 */
export function ext4PunchHole(k: KernelContext, cpu: number, file: DaxFile, offset: number, length: number): void {
  const ps = k.pageSize;
  if (offset >= file.size) return;
  // a hole past i_size ends after the page holding i_size (i_size is page aligned here)
  const end = Math.min(offset + length, file.size);
  breakLayouts(k, file);
  const firstBlock = Math.ceil(offset / ps);
  const stopBlock = Math.floor(end / ps);
  if (stopBlock * ps - 1 > firstBlock * ps) truncatePagecacheRange(k, file, firstBlock * ps, stopBlock * ps - 1);
  // ext4_zero_partial_blocks: the head and tail pieces outside the whole blocks
  if (stopBlock <= firstBlock) {
    zeroBlocks(k, cpu, file, offset, end - offset);
  } else {
    if (offset < firstBlock * ps) zeroBlocks(k, cpu, file, offset, firstBlock * ps - offset);
    if (end > stopBlock * ps) zeroBlocks(k, cpu, file, stopBlock * ps, end - stopBlock * ps);
  }
  if (stopBlock > firstBlock) {
    zeroedForChecker(k, cpu, file, firstBlock * ps, (stopBlock - firstBlock) * ps);
    removeSpace(k, file, firstBlock, stopBlock);
  }
  k.metadataDirty.add(file);
}

/** A hole reads as zeros: what a later fsync promises for the bytes whose blocks went (the durability checker). */
function zeroedForChecker(k: KernelContext, cpu: number, file: DaxFile, offset: number, length: number): void {
  const fileStore = k.events.fileStore;
  if (fileStore === undefined) return;
  const ps = k.pageSize;
  const zeros = new Uint8Array(ps);
  for (let done = 0; done < length; done += ps) fileStore(file, offset + done, Math.min(ps, length - done), cpu, zeros, 0);
}

/**
 * truncate(2) / ftruncate to `newSize` on ext4 (fs/ext4/inode.c ext4_setattr, ATTR_SIZE):
 * ext4_break_layouts, i_size_write (ext4_mark_inode_dirty -> ext4_do_update_inode: i_disksize
 * changed, so datasync metadata), truncate_pagecache(inode, newsize) (mm/truncate.c:
 * unmap_mapping_range(holebegin, 0, even_cows 1), truncate_inode_pages from newsize, the unmap
 * again), then for a shrink ext4_truncate frees every block past the new end
 * (ext4_ext_truncate -> ext4_ext_remove_space). Growing adds holes (no block is allocated).
 * `newSize` is page aligned here, so ext4_block_truncate_page has no partial block to zero.
 */
export function ext4Setattr(k: KernelContext, file: DaxFile, newSize: number): void {
  const ps = k.pageSize;
  const oldSize = file.size;
  const oldPages = Math.ceil(oldSize / ps);
  breakLayouts(k, file);
  blockMapOf(k, file); // growing: the pages past the old end are holes of the block map
  file.size = newSize;
  k.metadataDirty.add(file);
  const holeBegin = Math.ceil(newSize / ps);
  if (newSize < oldSize) {
    // truncate_pagecache: private COW copies past the end go too (even_cows 1)
    unmapMappingPages(k, file, holeBegin, oldPages - holeBegin, true);
    const entries = file.mapping.entries;
    for (const e of entries.range(holeBegin, oldPages - 1)) entries.delete(e);
    unmapMappingPages(k, file, holeBegin, oldPages - holeBegin, true);
    zeroedForChecker(k, 0, file, newSize, oldSize - newSize);
    removeSpace(k, file, holeBegin, oldPages);
  }
}
