// Taking a range of a DAX file away from its mappings and its page cache (Linux 6.1):
// breaking layouts (ext4_break_layouts, fs/ext4/inode.c, over dax_layout_busy_page_range,
// fs/dax.c: unmap, then wait for every pinned page to go idle), truncate_pagecache_range and
// truncate_inode_pages_range for DAX entries (mm/truncate.c), and ext4's punch hole, zero range
// and truncate (fs/ext4/inode.c ext4_punch_hole, ext4_setattr; fs/ext4/extents.c
// ext4_zero_range) on top of them, each under the mapping's invalidate_lock taken exclusive
// (filemap_invalidate_lock), which the DAX faults take shared (locks.ts): ea3d7209ca01 "ext4:
// fix races between page faults and hole punching" (v4.5, CVE-2015-8839; its i_mmap_sem is
// invalidate_lock since d4f5258eae7b, v5.15). bug punch-vs-fault takes no such lock.

import type { KernelContext } from './context.ts';
import { getUnlockedEntry, putUnlockedEntry } from './entry-lock.ts';
import { KernelError } from './errors.ts';
import { forEachBlock } from './file.ts';
import { FS_RULES, type BreakLayoutsFn } from './fs.ts';
import { daxBusyPage, waitPageIdle } from './gup.ts';
import { downWrite, inodeLock, invalidateLock, upWrite, type RwSemaphore } from './locks.ts';
import type { DaxFile, FileBlocks } from './mm.ts';
import { AFTER, BEFORE, type Steps } from './task.ts';
import { unmapMappingPages } from './writeback.ts';

/** The last page index LLONG_MAX names (dax_layout_busy_page_range: `end == LLONG_MAX` -> ULONG_MAX). */
const TO_THE_END = Number.MAX_SAFE_INTEGER;

/**
 * dax_layout_busy_page_range(mapping, start, end) over page indexes [startIndex, endIndex]:
 * nothing where no VMA maps the file (`!mapping_mapped(mapping)`) or where GUP of DAX pages is
 * disabled (CONFIG_FS_DAX_LIMITED); else unmap_mapping_pages(mapping, start, n, 0), so every DAX
 * mapping goes but the anonymous copies of private mappings stay, and GUP-fast must retake the
 * slow path, then the entries in index order, each looked up unlocked (get_unlocked_entry, which
 * waits for a locked one; put_unlocked_entry(WAKE_NEXT) after), for the first pfn whose page
 * has a reference besides its own (dax_busy_page). Returns that pfn, or -1.
 * bug layout-busy-cows: before d75996dd022b the unmap was unmap_mapping_range(mapping, 0, 0, 1):
 * even_cows, the private copies unmapped too.
 */
export function* daxLayoutBusyPageRange(k: KernelContext, file: DaxFile, startIndex: number, endIndex: number): Steps<number> {
  if (k.layout.fsDaxLimited || file.mapping.iMmap.size === 0) return -1;
  const last = Math.min(endIndex, Math.ceil(file.size / k.pageSize) - 1);
  if (last < startIndex) return -1;
  unmapMappingPages(k, file, startIndex, last - startIndex + 1, k.bug('layout-busy-cows'));
  for (let index = startIndex; index <= last; ) {
    const next = file.mapping.entries.range(index, last)[0];
    if (next === undefined) return -1;
    const found = yield* getUnlockedEntry(k, file, next.index, 0);
    const pfn = found !== undefined && found !== 'conflict' ? daxBusyPage(k, found) : -1;
    putUnlockedEntry(k, file, next.index, found, 'next');
    if (pfn >= 0) return pfn;
    index = next.index + 2 ** next.order;
  }
  return -1;
}

/**
 * ext4_break_layouts (fs/ext4/inode.c), invalidate_lock held exclusive (`sem`): while
 * dax_layout_busy_page (the whole file) finds a busy page, ___wait_var_event on its refcount
 * reaching 1, ext4_wait_dax_page dropping the lock while asleep; the unpin that makes the page
 * idle wakes it (gup.ts). bug pinned-truncate: before 5fac7408d828 "mm, fs, dax: handle layout
 * changes to pinned dax mappings" (v4.18) there was no such step: the blocks go while a device
 * may still write into them.
 */
export function* ext4BreakLayouts(k: KernelContext, file: DaxFile, sem: RwSemaphore | null): Steps {
  if (!k.bug('pinned-truncate')) yield* waitBusyPages(k, file, 0, TO_THE_END, sem);
}

/**
 * xfs_break_layouts(BREAK_UNMAP) -> xfs_break_dax_layouts (fs/xfs/xfs_file.c): the same wait
 * over dax_layout_busy_page, the whole file (d6dc57e251a4, the xfs half of the pinned-truncate
 * fix, so the bug reverts it here too).
 */
export function* xfsBreakDaxLayouts(k: KernelContext, file: DaxFile, sem: RwSemaphore | null): Steps {
  if (!k.bug('pinned-truncate')) yield* waitBusyPages(k, file, 0, TO_THE_END, sem);
}

/**
 * fuse_dax_break_layouts(inode, dmap_start, dmap_end) (fs/fuse/dax.c), invalidate_lock held:
 * the same loop over dax_layout_busy_page_range(mapping, start, end), byte offsets. Since
 * 7851bf649d42 "fuse: fix dax truncate/punch_hole fault path" (v6.15, in 6.1.y) truncate
 * (fuse_do_setattr) and fallocate pass end -1: as a loff_t shifted down, ULONG_MAX, the whole
 * file. bug fuse-break-layouts-end0: end 0, as from 6ae330cad6ef (v5.10): end_idx 0, so only
 * page 0 is unmapped and scanned, and a page pinned past it is not waited for.
 */
export function* fuseDaxBreakLayouts(k: KernelContext, file: DaxFile, start: number, end: number, sem: RwSemaphore | null = null): Steps {
  const ps = k.pageSize;
  const last = k.bug('fuse-break-layouts-end0') ? 0 : end;
  yield* waitBusyPages(k, file, Math.floor(start / ps), last < 0 ? TO_THE_END : Math.floor(last / ps), sem);
}

/** The loop every filesystem runs: while pages [startIndex, endIndex] hold a busy page, wait for it to go idle. */
function* waitBusyPages(k: KernelContext, file: DaxFile, startIndex: number, endIndex: number, sem: RwSemaphore | null): Steps {
  for (;;) {
    const pfn = yield* daxLayoutBusyPageRange(k, file, startIndex, endIndex);
    if (pfn < 0) return;
    yield* waitPageIdle(k, pfn, sem);
  }
}

/** The break-layouts function of each filesystem (fs.ts FS_RULES names it), as its fallocate and setattr call it. */
const BREAK_LAYOUTS: Readonly<Record<BreakLayoutsFn, (k: KernelContext, file: DaxFile, sem: RwSemaphore | null) => Steps>> = {
  ext4_break_layouts: ext4BreakLayouts,
  xfs_break_dax_layouts: xfsBreakDaxLayouts,
  fuse_dax_break_layouts: (k, file, sem) => fuseDaxBreakLayouts(k, file, 0, -1, sem),
};

/** Break the layouts of `file` before a punch, zero range or truncate, with its filesystem's function. */
function* breakLayouts(k: KernelContext, file: DaxFile, sem: RwSemaphore | null): Steps {
  yield* BREAK_LAYOUTS[FS_RULES[file.fs].breakLayouts](k, file, sem);
}

/**
 * truncate_pagecache_range(inode, lstart, lend): unmap the whole pages of the range
 * (unmap_mapping_range, even_cows 0), then truncate_inode_pages_range, which for a DAX
 * mapping deletes every entry overlapping it, dirty or not (dax_delete_mapping_entry).
 */
export function* truncatePagecacheRange(k: KernelContext, file: DaxFile, lstart: number, lend: number): Steps {
  const ps = k.pageSize;
  const first = Math.ceil(lstart / ps);
  const last = Math.floor((lend + 1) / ps) - 1;
  yield BEFORE.unmap_mapping_range;
  if (first <= last) unmapMappingPages(k, file, first, last - first + 1, false);
  yield AFTER.unmap_mapping_range;
  const entries = file.mapping.entries;
  for (const e of entries.range(Math.floor(lstart / ps), Math.floor(lend / ps))) entries.delete(e);
}

/**
 * filemap_invalidate_lock(mapping) around `body`, as ext4's punch, zero range and truncate hold
 * it from before breaking layouts to after the blocks are freed. bug punch-vs-fault: none (every
 * ext4 before ea3d7209ca01); ext4_break_layouts' WARN_ON_ONCE(!rwsem_is_locked(...)), which came
 * with 430657b6be89 (v4.18) and assumes the fix, is not applied then.
 */
function* underInvalidateLock(k: KernelContext, file: DaxFile, body: (sem: RwSemaphore | null) => Steps): Steps {
  // inode_lock first, held throughout: ext4_punch_hole and ext4_zero_range take it, truncate's
  // do_truncate takes it before ext4_setattr (fs/open.c); it was there before ea3d7209ca01 too
  const inode = inodeLock(k, file);
  yield* downWrite(k.tasks, inode);
  try {
    if (k.bug('punch-vs-fault')) return yield* body(null);
    const sem = invalidateLock(k, file);
    yield* downWrite(k.tasks, sem);
    try {
      yield* body(sem);
    } finally {
      upWrite(k.tasks, sem);
    }
  } finally {
    upWrite(k.tasks, inode);
  }
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
export function* ext4ZeroRange(k: KernelContext, cpu: number, file: DaxFile, offset: number, length: number): Steps {
  yield* underInvalidateLock(k, file, (sem) => zeroRangeLocked(k, cpu, file, offset, length, sem));
}

function* zeroRangeLocked(k: KernelContext, cpu: number, file: DaxFile, offset: number, length: number, sem: RwSemaphore | null): Steps {
  yield* breakLayouts(k, file, sem);
  yield* truncatePagecacheRange(k, file, offset, offset + length - 1);
  forEachBlock(file, offset, length, k.pageSize, (pa, done, n) => {
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
export function* ext4PunchHole(k: KernelContext, cpu: number, file: DaxFile, offset: number, length: number): Steps {
  if (offset >= file.size) return;
  yield* underInvalidateLock(k, file, (sem) => punchLocked(k, cpu, file, offset, length, sem));
}

function* punchLocked(k: KernelContext, cpu: number, file: DaxFile, offset: number, length: number, sem: RwSemaphore | null): Steps {
  const ps = k.pageSize;
  // a hole past i_size ends after the page holding i_size (i_size is page aligned here)
  const end = Math.min(offset + length, file.size);
  yield* breakLayouts(k, file, sem);
  const firstBlock = Math.ceil(offset / ps);
  const stopBlock = Math.floor(end / ps);
  if (stopBlock * ps - 1 > firstBlock * ps) yield* truncatePagecacheRange(k, file, firstBlock * ps, stopBlock * ps - 1);
  // ext4_zero_partial_blocks: the head and tail pieces outside the whole blocks
  if (stopBlock <= firstBlock) {
    zeroBlocks(k, cpu, file, offset, end - offset);
  } else {
    if (offset < firstBlock * ps) zeroBlocks(k, cpu, file, offset, firstBlock * ps - offset);
    if (end > stopBlock * ps) zeroBlocks(k, cpu, file, stopBlock * ps, end - stopBlock * ps);
  }
  if (stopBlock > firstBlock) {
    zeroedForChecker(k, cpu, file, firstBlock * ps, (stopBlock - firstBlock) * ps);
    yield BEFORE.free_blocks;
    removeSpace(k, file, firstBlock, stopBlock);
    yield AFTER.free_blocks;
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
export function* ext4Setattr(k: KernelContext, file: DaxFile, newSize: number): Steps {
  yield* underInvalidateLock(k, file, (sem) => setattrLocked(k, file, newSize, sem));
}

function* setattrLocked(k: KernelContext, file: DaxFile, newSize: number, sem: RwSemaphore | null): Steps {
  const ps = k.pageSize;
  const oldSize = file.size;
  const oldPages = Math.ceil(oldSize / ps);
  yield* breakLayouts(k, file, sem);
  blockMapOf(k, file); // growing: the pages past the old end are holes of the block map
  file.size = newSize;
  k.metadataDirty.add(file);
  const holeBegin = Math.ceil(newSize / ps);
  if (newSize < oldSize) {
    // truncate_pagecache: private COW copies past the end go too (even_cows 1)
    yield BEFORE.unmap_mapping_range;
    unmapMappingPages(k, file, holeBegin, oldPages - holeBegin, true);
    yield AFTER.unmap_mapping_range;
    const entries = file.mapping.entries;
    for (const e of entries.range(holeBegin, oldPages - 1)) entries.delete(e);
    unmapMappingPages(k, file, holeBegin, oldPages - holeBegin, true);
    zeroedForChecker(k, 0, file, newSize, oldSize - newSize);
    yield BEFORE.free_blocks;
    removeSpace(k, file, holeBegin, oldPages);
    yield AFTER.free_blocks;
  }
}
