// fsync / msync writeback of a DAX file (Linux 6.1):
//   vfs_fsync_range (fs/sync.c) -> ext4_sync_file (fs/ext4/fsync.c) ->
//   file_write_and_wait_range -> do_writepages -> ext4_dax_writepages (WB_SYNC_ALL) ->
//   dax_writeback_mapping_range (fs/dax.c): tag_pages_for_writeback, then dax_writeback_one
//   per TOWRITE entry: lock, clear TOWRITE, mkclean (the strategy), dax_flush over the whole
//   entry, clear DIRTY, unlock. Then ext4_fsync_journal commits the transaction (or
//   blkdev_issue_flush when there is nothing to commit): a REQ_PREFLUSH reaches
//   pmem_submit_bio (drivers/nvdimm/pmem.c), whose nvdimm_flush -> generic_nvdimm_flush
//   issues pmem_wmb(), the one store fence of the whole fsync (drivers/nvdimm/region_devs.c).
// Also zap_page_range for munmap (mm/memory.c).

import type { Entry } from '../../arch/types.ts';
import type { KernelContext } from './context.ts';
import type { DaxEntry } from './dax-entries.ts';
import type { DaxFile, FileBlocks } from './file.ts';
import { daxUnlockEntry, getUnlockedEntry, putUnlockedEntry } from './entry-lock.ts';
import { mkcleanEntry } from './mkclean.ts';
import { putAnonPage, type Vma } from './mm.ts';
import { ACTION_CONTINUE, ACTION_SUBTREE, walkPageRange, type MmWalk, type MmWalkOps } from './pagewalk.ts';
import { AFTER, BEFORE, runSteps, type Steps } from './task.ts';
import { flushTlbRange } from './tlbflush.ts';

/**
 * vfs_fsync_range(file, start, end - 1, datasync) for bytes [start, end), on `cpu`.
 * `userCall`: the user's own fsync(2)/msync(2), whose return promises the range durable. The
 * vfs_fsync_range that dax_finish_sync_fault runs inside a MAP_SYNC fault writes back and
 * commits just the same, but promises the user nothing (MAP_SYNC leaves data durability to
 * the user's flush and fence).
 */
export function vfsFsyncRange(k: KernelContext, cpu: number, file: DaxFile, start: number, end: number, userCall: boolean): void {
  runSteps(vfsFsyncRangeSteps(k, cpu, file, start, end, userCall));
}

/** vfs_fsync_range as a task's path: dax_writeback_one waits for locked entries and has its point. */
export function* vfsFsyncRangeSteps(k: KernelContext, cpu: number, file: DaxFile, start: number, end: number, userCall: boolean): Steps {
  if (userCall) k.events.fileSyncStart?.(file, start, end, cpu);
  yield* daxWritebackMappingRange(k, cpu, file, start, end);
  // generic_nvdimm_flush: pmem_wmb() (x86 sfence, POWER phwsync) after the writes, so the
  // flushed lines are in the persistence domain before fsync returns; the journal commit
  // clears the inode's datasync metadata (what IOMAP_F_DIRTY reports to MAP_SYNC faults).
  k.machine.cache.sfence(cpu);
  k.metadataDirty.delete(file);
  // The journal commit makes the file's new blocks durable metadata: a crash no longer
  // reverts them to holes (the checker reads through committedPa, file.ts).
  file.blocks?.uncommitted.clear();
  if (file.blocks !== undefined) commitFreedBlocks(k, file.blocks);
  if (userCall) k.events.fileSynced?.(file, start, end, cpu);
}

/**
 * The commit's callback for blocks a punch or truncate freed (fs/ext4/mballoc.c
 * ext4_process_freed_data -> ext4_free_data_in_buddy): the committed extent tree no longer
 * has them, and the allocator may hand them out again, lowest first.
 */
export function commitFreedBlocks(k: KernelContext, blocks: FileBlocks): void {
  blocks.freed.clear();
  for (const pa of blocks.pendingFree) k.blockAlloc.release(pa, k.pageSize);
  blocks.pendingFree.length = 0;
}

/** dax_writeback_mapping_range (fs/dax.c). */
export function* daxWritebackMappingRange(k: KernelContext, cpu: number, file: DaxFile, start: number, end: number): Steps {
  // bug dax-fsync-missing: before 9973c98ecfda "dax: add support for fsync/sync" DAX tracked
  // no dirty entries and fsync wrote no CPU cache line back (the journal commit and its
  // flush still ran).
  if (k.bug('dax-fsync-missing')) return;
  const entries = file.mapping.entries;
  if (entries.nrpages === 0) return;
  const startIndex = Math.floor(start / k.pageSize);
  const endIndex = Math.floor((end - 1) / k.pageSize);
  // tag_pages_for_writeback (mm/page-writeback.c): TOWRITE on every DIRTY entry in range;
  // a PMD entry is found even when start_index lies inside it.
  const inRange = entries.range(startIndex, endIndex);
  for (let i = 0; i < inRange.length; i++) if (inRange[i]!.dirty) inRange[i]!.towrite = true;
  // then the TOWRITE entries, in index order (find_get_entries_tag / pagevec loop)
  for (let i = 0; i < inRange.length; i++) if (inRange[i]!.towrite) yield* daxWritebackOne(k, cpu, file, inRange[i]!);
}

/** dax_writeback_one (fs/dax.c). */
export function* daxWritebackOne(k: KernelContext, cpu: number, file: DaxFile, tagged: DaxEntry): Steps {
  // An unlocked zero entry (6.1 tags the entries of read faults too, dax_load_hole's
  // included) goes through like any other: its pfn is the zero page's, the mkclean finds
  // only read-only zero-page leaves, the flush writes nothing back (dax_writeback_one has no
  // test for it outside its locked-entry branch). An empty entry is never tagged.
  if (tagged.kind === 'empty') return;
  if (k.tasks !== null) yield BEFORE.dax_writeback_one; // (no task driver: nothing stops at points)
  // "Lock the entry to serialize with page faults" (dax_writeback_one): get_unlocked_entry
  // waits for a fault holding it; an entry that changed meanwhile ("Entry got punched out /
  // reallocated?", no longer TOWRITE) is put back unlocked and skipped.
  const found = yield* getUnlockedEntry(k, file, tagged.index, 0);
  if (found !== tagged || !tagged.towrite) {
    putUnlockedEntry(k, file, tagged.index, found, 'next');
    if (k.tasks !== null) yield AFTER.dax_writeback_one;
    return;
  }
  const e = tagged;
  k.events.writebackStart?.(file, e);
  e.locked = true;
  e.towrite = false;
  const count = 2 ** e.order;
  const index = e.index; // xa_index & ~(count - 1)
  // bug dirty-tags-never-cleared: before 4b4bb46d00b3 "dax: clear dirty entry tags on cache
  // flush" dax_writeback_one flushed the entry and cleared TOWRITE only: no mkclean (the
  // mappings stay writable, so no fault re-dirties) and PAGECACHE_TAG_DIRTY stays, so every
  // later fsync flushes every entry ever written again.
  const neverClean = k.bug('dirty-tags-never-cleared');
  if (!neverClean) yield* mkcleanEntry(k, file, e, index, e.pfn, count);
  // dax_flush(dax_dev, page_address(pfn), count * PAGE_SIZE): the whole entry.
  const lines = k.machine.pmemFlush(cpu, e.pfn * k.pageSize, count * k.pageSize);
  k.counters.entriesWrittenBack++;
  k.counters.linesWrittenBack += lines;
  k.events.writeback?.(file, e, lines);
  if (!neverClean) e.dirty = false;
  daxUnlockEntry(k, file, index, e);
  if (k.tasks !== null) yield AFTER.dax_writeback_one;
}


/**
 * unmap_mapping_pages(mapping, start, nr, even_cows) (mm/memory.c): zap every VMA's leaves
 * mapping file pages [index, index + nr), found through i_mmap. Without even_cows the
 * anonymous copies private VMAs made are kept (zap_details.even_cows: should_zap_page skips
 * PageAnon pages); the zero page and DAX pfns have no anonymous page and go.
 */
export function unmapMappingPages(k: KernelContext, file: DaxFile, index: number, nr: number, evenCows: boolean): void {
  const ps = k.pageSize;
  for (const vma of file.mapping.iMmap.query(index, index + nr - 1)) {
    const first = Math.max(index, vma.pgoff);
    const lastIndex = Math.min(index + nr, vma.pgoff + (vma.end - vma.start) / ps);
    const start = vma.start + (first - vma.pgoff) * ps;
    const end = vma.start + (lastIndex - vma.pgoff) * ps;
    if (start < end) zapVmaRange(k, vma, start, end, !evenCows);
  }
}

/** zap_page_range's walk: the kernel it runs in, and the empty entry it writes. */
interface ZapWalk extends MmWalk {
  readonly k: KernelContext;
  readonly none: Entry;
  /** The VMA zapped, and whether its anonymous copies stay (unmap_mapping_pages without even_cows). */
  readonly vma: Vma;
  readonly keepCows: boolean;
}

/** The leaf at w stays: an anonymous copy a private VMA made, when the zap keeps those (should_zap_page). */
function keptCow(w: ZapWalk): boolean {
  const l = w.k.layout;
  return w.keepCows && l.isPresent(w.level, w.entry) && isAnonCopy(w.k, w.vma, l.leafPfn(w.level, w.entry));
}

/**
 * zap_pmd_range / zap_pte_range (mm/memory.c) as pagewalk ops: every leaf in the range is
 * cleared (a huge PMD or PUD leaf as zap_huge_pmd / zap_huge_pud does), empty entries are
 * skipped. ptRefs counts, for each leaf or hole reached, the references of a descent from the
 * pgd to it (its level + 1, as every other kernel-side walk counts), plus each entry written.
 */
const ZAP_OPS: MmWalkOps<ZapWalk> = {
  pxdEntry(w) {
    const l = w.k.layout;
    if (!l.isLeaf(w.level, w.entry)) return 0; // a table: the walk descends
    w.k.counters.ptRefs += w.level + 1;
    if (!keptCow(w)) {
      l.mkNone(w.level, w.none);
      w.k.writeEntry(w.pa, w.none);
    }
    w.action = ACTION_CONTINUE;
    return 0;
  },
  pteEntry(w) {
    const l = w.k.layout;
    w.k.counters.ptRefs += w.level + 1;
    if (!l.isNone(w.level, w.entry) && l.isLeaf(w.level, w.entry) && !keptCow(w)) {
      l.mkNone(w.level, w.none);
      w.k.writeEntry(w.pa, w.none);
    }
    return 0;
  },
  pteHole(w, _addr, _next, depth) {
    w.k.counters.ptRefs += depth + 1;
    return 0;
  },
};

/** zap_page_range over [start, end) of one VMA: clear every leaf (but anonymous copies with `keepCows`), then flush the TLB range. */
export function zapVmaRange(k: KernelContext, vma: Vma, start: number, end: number, keepCows = false): void {
  const w: ZapWalk = { level: 0, pa: 0, entry: { lo: 0, hi: 0 }, action: ACTION_SUBTREE, k, none: k.scratch.none, vma, keepCows };
  walkPageRange(k.pt, vma.mm.pgd, 0, start, end, ZAP_OPS, w);
  flushTlbRange(k, vma.mm, start, end, 'zap_page_range');
  // the anonymous copies zapped are freed (zap_pte_range: page_remove_rmap, then the
  // mmu_gather frees the pages): a later private write copies the file again
  if (!keepCows && vma.cowPages.size > 0) {
    const ps = k.pageSize;
    const first = vma.pgoff + (start - vma.start) / ps;
    const last = vma.pgoff + (end - vma.start) / ps;
    for (const [index, pa] of vma.cowPages) {
      if (index < first || index >= last) continue;
      putAnonPage(k, pa);
      vma.cowPages.delete(index);
    }
  }
}

/** A private VMA's anonymous copy of a file page (vma.cowPages), as opposed to a pmem or zero-page pfn. */
export function isAnonCopy(k: KernelContext, vma: Vma, pfn: number): boolean {
  const pa = pfn * k.pageSize;
  for (const p of vma.cowPages.values()) if (p === pa) return true;
  return false;
}
