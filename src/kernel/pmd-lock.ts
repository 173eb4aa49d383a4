// The PMD page-table lock (pmd_lock / pmd_lockptr, include/linux/mm.h, Linux 6.1): with
// USE_SPLIT_PMD_PTLOCKS one spinlock per PMD table page (its struct page's ptl), else the mm's
// page_table_lock. page_vma_mapped_walk holds it over a huge PMD while mkclean changes it
// (page_vma_mkclean_one, mm/rmap.c), and zap_huge_pmd takes it (__pmd_trans_huge_lock) before
// clearing one, so a MADV_DONTNEED that saw a huge PMD waits for mkclean to finish. A task
// spinning for it is `blocked` in this model, and the release hands the lock on in FIFO order
// (locks.ts SpinLock: the MCS queue of qspinlock, kernel/locking/qspinlock.c, is fair).

import type { KernelContext } from './context.ts';
import type { Vma } from './mm.ts';
import { newSlot } from './pgtable.ts';
import { spinLock, spinUnlock, SpinLock } from './locks.ts';
import type { Steps } from './task.ts';

/** pmd_lockptr(mm, pmd): the lock of the PMD table page holding the slot at `pmdPa`. */
export function pmdLockOf(k: KernelContext, pmdPa: number): SpinLock {
  const bytes = k.layout.tableBytes[k.pmdLevel]!;
  const table = Math.floor(pmdPa / bytes) * bytes;
  let lock = k.pmdLocks.get(table);
  if (lock === undefined) k.pmdLocks.set(table, (lock = new SpinLock(`PMD lock of table 0x${table.toString(16)}`)));
  return lock;
}

/**
 * zap_pmd_range's test of each PMD slot of [start, end) of `vma` for MADV_DONTNEED (mm/memory.c,
 * 6.1), then `zap`, the zap of the whole range: a slot is read without the lock; a huge one
 * (`is_swap_pmd || pmd_trans_huge || pmd_devmap`: a leaf pmd_present still accepts,
 * pmdp_invalidate's value included) goes to zap_huge_pmd, which takes the PMD lock, and so waits
 * for a mkclean holding it; a none one is skipped (`pmd_none_or_trans_huge_or_clear_bad` ->
 * next), whatever sets it again later. The zap itself runs once every lock was had, in the same
 * step, so nothing can come in between: as if each PMD were zapped under its lock.
 */
export function* zapPmdRangeLocked(k: KernelContext, vma: Vma, start: number, end: number, zap: () => void): Steps {
  const l = k.layout;
  const lv = k.pmdLevel;
  const size = k.pmdSize;
  const slot = newSlot();
  for (let addr = Math.floor(start / size) * size; addr < end; addr += size) {
    k.pt.walk(vma.mm.pgd, Math.max(addr, start), lv, false, slot);
    if (slot.level !== lv || l.isNone(lv, slot.entry) || !l.isLeaf(lv, slot.entry) || !l.isPresent(lv, slot.entry)) continue;
    const lock = pmdLockOf(k, slot.pa);
    yield* spinLock(k.tasks, lock);
    spinUnlock(k.tasks, lock);
  }
  zap();
}
