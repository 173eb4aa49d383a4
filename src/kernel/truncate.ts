// Taking a range of a DAX file away from its mappings and its page cache (Linux 6.1):
// dax_layout_busy_page_range (fs/dax.c), truncate_pagecache_range and
// truncate_inode_pages_range for DAX entries (mm/truncate.c), and ext4's zero range
// (fs/ext4/extents.c ext4_zero_range) on top of them.

import type { KernelContext } from './context.ts';
import { forEachBlock } from './file.ts';
import type { DaxFile } from './mm.ts';
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
  daxLayoutBusyPageRange(k, file, 0, Math.ceil(file.size / ps) - 1);
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
