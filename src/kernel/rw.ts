// read(2) and write(2) of a DAX file (Linux 6.1): ext4_dax_read_iter / ext4_dax_write_iter
// (fs/ext4/file.c) -> dax_iomap_rw -> dax_iomap_iter (fs/dax.c), one iomap extent at a time.
// A read of a hole copies zeros (iov_iter_zero); a write into a hole has ext4_iomap_begin
// allocate the extent (IOMAP_F_NEW, zeroed: Kernel context allocBlocks), and the hole's zero
// pages are then taken out of every mapping (invalidate_inode_pages2_range); the data goes in
// with dax_copy_from_iter, the pmem driver's _copy_from_iter_flushcache.

import type { KernelContext } from './context.ts';
import { getUnlockedEntry, putUnlockedEntry } from './entry-lock.ts';
import { blockPa, forEachBlock } from './file.ts';
import type { DaxFile } from './mm.ts';
import { AFTER, BEFORE, runSteps, type Steps } from './task.ts';
import { unmapMappingPages } from './writeback.ts';

/**
 * write(2) of `data` at byte `offset` of `file` on `cpu` (within i_size: daxsim's pwrite
 * does not extend files). Returns false when the device has no space (ENOSPC).
 */
export function daxIomapWrite(k: KernelContext, cpu: number, file: DaxFile, offset: number, data: Uint8Array): boolean {
  return runSteps(daxIomapWriteSteps(k, cpu, file, offset, data));
}

/** write(2) as a task's path: `iomap_begin` around each allocation, the invalidation waits for locked entries. */
export function* daxIomapWriteSteps(k: KernelContext, cpu: number, file: DaxFile, offset: number, data: Uint8Array): Steps<boolean> {
  const ps = k.pageSize;
  const first = Math.floor(offset / ps);
  const last = Math.floor((offset + data.length - 1) / ps);
  // ext4_iomap_begin per extent: each run of holes is allocated as one extent (IOMAP_F_NEW)
  for (let i = first; i <= last; ) {
    if (blockPa(file, i, ps) >= 0) {
      i++;
      continue;
    }
    let n = 1;
    while (i + n <= last && blockPa(file, i + n, ps) < 0) n++;
    yield BEFORE.iomap_begin;
    if (k.allocBlocks(cpu, file, i, n, ps) < 0) return false;
    yield AFTER.iomap_begin;
    yield* invalidateInodePages2Range(k, file, i, i + n - 1);
    i += n;
  }
  // every block is allocated now
  forEachBlock(file, offset, data.length, ps, (pa, done, n) => {
    copyFromIterFlushcache(k, cpu, pa, data.subarray(done, done + n));
    k.events.fileStore?.(file, offset + done, n, cpu, data, done);
  });
  return true;
}

/** read(2): the file's bytes through the cache, zeros for holes (dax_iomap_iter, !write). */
export function daxIomapRead(k: KernelContext, cpu: number, file: DaxFile, offset: number, out: Uint8Array): void {
  forEachBlock(file, offset, out.length, k.pageSize, (pa, done, n) => {
    if (pa < 0) out.fill(0, done, done + n);
    else k.machine.cache.load(cpu, pa, n, out, done);
  });
}

/**
 * invalidate_inode_pages2_range(mapping, start, end) for a DAX mapping (mm/truncate.c): every
 * entry in the range that is neither DIRTY nor TOWRITE is deleted
 * (dax_invalidate_mapping_entry_sync -> __dax_invalidate_entry, trunc false), then, since
 * cd656375f946 "mm: fix data corruption due to stale mmap reads", the page tables of the
 * range are unmapped (unmap_mapping_pages(mapping, start, end - start + 1, false)), so a
 * (huge) zero page mapped over the old hole goes and the next load faults on the new block.
 * bug stale-huge-zero-pmd reverts that: the entries go, the mappings stay.
 */
export function* invalidateInodePages2Range(k: KernelContext, file: DaxFile, start: number, end: number): Steps {
  // dax_invalidate_mapping_entry_sync per entry find_get_entries returned
  for (const seen of file.mapping.entries.range(start, end)) yield* daxInvalidateEntry(k, file, seen.index);
  if (!k.bug('stale-huge-zero-pmd')) unmapMappingPages(k, file, start, end - start + 1, false);
}

/**
 * __dax_invalidate_entry(mapping, index, trunc false) (fs/dax.c): wait for the entry's lock (a
 * fault holding it), delete it unless DIRTY or TOWRITE, then put_unlocked_entry(WAKE_ALL):
 * since 237388320deb "dax: Wake up all waiters after invalidating dax entry" (v5.13) everybody
 * waiting on the index must look again, for a waiter that finds the entry gone passes no wake
 * on. bug invalidate-wake-all: WAKE_NEXT, as from ac401cc78242 (v4.7): the one woken finds
 * nothing and the others sleep for ever.
 */
function* daxInvalidateEntry(k: KernelContext, file: DaxFile, index: number): Steps {
  const e = yield* getUnlockedEntry(k, file, index, 0);
  if (e !== undefined && e !== 'conflict' && !e.dirty && !e.towrite) file.mapping.entries.delete(e);
  putUnlockedEntry(k, file, index, e, k.bug('invalidate-wake-all') ? 'next' : 'all');
}

/**
 * _copy_from_iter_flushcache into pmem. x86 (arch/x86/lib/usercopy_64.c, 6.1):
 * __copy_user_flushcache copies with __copy_user_nocache, non-temporal stores for the
 * 8-byte-aligned bulk and cached stores elsewhere, then clean_cache_range (clwb) of the
 * unaligned head and tail it copied through the cache (a 4-byte movnti in the tail is modelled
 * as cached: its clwb makes it the same at the fence): a copy under 8 bytes is flushed
 * unless it is one aligned 4-byte store (a movnti); else a destination not 8-aligned has its
 * first line cleaned, and a length not ending 8-aligned its last. Nothing fences here; the
 * LOCK XADD of the inode_unlock ending write(2) completes it (writeUnlockBarrier). Other
 * arches: a cached copy and the arch's pmem flush of the range (memcpy_flushcache,
 * arch_wb_cache_pmem; arm64's completes itself with a DSB, POWER's waits for a phwsync).
 */
function copyFromIterFlushcache(k: KernelContext, cpu: number, pa: number, src: Uint8Array): void {
  const cache = k.machine.cache;
  const size = src.length;
  if (k.layout.hooks.memcpyFlushcache !== 'movnt') {
    cache.store(cpu, pa, src);
    k.machine.pmemFlush(cpu, pa, size);
    return;
  }
  if (size < 8) {
    if (size === 4 && pa % 4 === 0) cache.ntstore(cpu, pa, src);
    else {
      cache.store(cpu, pa, src);
      cleanCacheRange(k, cpu, pa, size);
    }
    return;
  }
  const head = (8 - (pa % 8)) % 8;
  const bulk = Math.floor((size - head) / 8) * 8;
  if (head > 0) {
    cache.store(cpu, pa, src, 0, head);
    cleanCacheRange(k, cpu, pa, 1);
  }
  if (bulk > 0) cache.ntstore(cpu, pa + head, src, head, bulk);
  const tail = size - head - bulk;
  if (tail > 0) {
    cache.store(cpu, pa + head + bulk, src, head + bulk, tail);
    cleanCacheRange(k, cpu, pa + size - 1, 1);
  }
}

/**
 * The release of i_rwsem ending write(2) on `cpu` (ext4_dax_write_iter's inode_unlock; xfs and
 * fuse end their DAX writes the same way) is __up_write's atomic RMW (kernel/locking/rwsem.c).
 * Where that is a locked instruction ordering flushes as a fence does (x86:
 * layout.hooks.unlockCompletesFlushes, its sources there), the copy's clwbs and movntis are
 * complete when write(2) returns, whichever CPU later fsyncs the file; elsewhere they wait
 * for the writer's next fence, which another CPU's fsync does not issue.
 */
export function writeUnlockBarrier(k: KernelContext, cpu: number): void {
  if (k.layout.hooks.unlockCompletesFlushes) k.machine.cache.completeFlushes(cpu);
}

/** clean_cache_range (arch/x86/lib/usercopy_64.c): clwb of every line of [pa, pa + size). */
function cleanCacheRange(k: KernelContext, cpu: number, pa: number, size: number): void {
  const line = 64;
  for (let a = Math.floor(pa / line) * line; a < pa + size; a += line) k.machine.cache.clwb(cpu, a);
}
