// A media error on a pmem block and what Linux 6.1 does about it (README "Memory failure"):
// the nfit driver's MCE notifier records the bad range in the pmem device's badblocks
// (drivers/acpi/nfit/mce.c nfit_handle_mce), and memory_failure(pfn) (mm/memory-failure.c)
// finds the pfn in ZONE_DEVICE and goes to memory_failure_dev_pagemap. For ext4 (no dax
// holder: dax_holder_notify_failure, drivers/dax/super.c, returns -EOPNOTSUPP) and for xfs
// without rmapbt (xfs_dax_notify_failure returns -EOPNOTSUPP) that falls back to
// mf_generic_kill_procs:
//   dax_lock_page (fs/dax.c): lock the DAX entry of page->mapping / page->index, waiting
//     (non-exclusive, wait_entry_unlocked) while another path holds it; NULL (-EBUSY,
//     "Failed") when the page belongs to no mapping;
//   SetPageHWPoison; collect_procs -> collect_procs_file: with force_early, only the tasks of
//     current's mm (task_early_kill; vm.memory_failure_early_kill is 0 by default) whose VMA
//     maps the page, each with the size of its leaf (dev_pagemap_mapping_shift: 0 when not
//     mapped, and add_to_kill drops it);
//   unmap_and_kill: unmap_mapping_range over the largest such leaf of the file, then
//     kill_proc: BUS_MCEERR_AR to current (MF_ACTION_REQUIRED);
//   dax_unlock_page; action_result "recovery action for dax page: Recovered|Failed".
// A later fault on the block gets -EIO from the pmem driver (__pmem_direct_access checks
// badblocks, drivers/nvdimm/pmem.c): dax_fault_return -> VM_FAULT_SIGBUS (iomap.ts).

import type { KernelContext } from './context.ts';
import type { DaxEntry } from './dax-entries.ts';
import { daxUnlockEntry, keyIndex, mappingKey } from './entry-lock.ts';
import { KernelError, UserFault } from './errors.ts';
import { blockPa } from './file.ts';
import type { DaxFile, Mm } from './mm.ts';
import { newSlot } from './pgtable.ts';
import { AFTER, BEFORE, type Steps } from './task.ts';
import { finishWait, prepareToWait } from './waitqueue.ts';
import { unmapMappingPages } from './writeback.ts';
import { spinOnOwnXaLock } from './xa-lock.ts';

/** The pfns the pmem device's badblocks cover (and PageHWPoison), per kernel. */
const badPfns = new WeakMap<KernelContext, Set<number>>();

/** Whether any of the `pages` blocks from `pa` is bad media (__pmem_direct_access: badblocks_check -> -EIO). */
export function isBadPmem(k: KernelContext, pa: number, pages = 1): boolean {
  const bad = badPfns.get(k);
  if (bad === undefined) return false;
  const first = Math.floor(pa / k.pageSize);
  for (let i = 0; i < pages; i++) if (bad.has(first + i)) return true;
  return false;
}

const pfnText = (pfn: number): string => `0x${pfn.toString(16)}`;

/** page->mapping of the DAX page `pfn` at `index` (set by dax_associate_entry): the real entry holding it, or none. */
function pageEntry(k: KernelContext, file: DaxFile, index: number, pfn: number): DaxEntry | undefined {
  const e = file.mapping.entries.find(index);
  if (e === undefined || e.kind !== 'real' || e.pfn + (index - e.index) !== pfn) return undefined;
  return e;
}

/**
 * dax_lock_page: the page's entry, locked, or undefined (the page left its mapping). Fixed
 * (f52afc93cd01 "dax: Fix deadlock in dax_lock_mapping_entry()", v4.20-rc; 6.1's
 * wait_entry_unlocked drops xa_lock and the loop starts over with it unlocked). Bug
 * dax-lock-entry-deadlock reverts the fix: v4.19's __get_unlocked_mapping_entry re-took
 * xa_lock on wake-up and returned -EAGAIN, and dax_lock_mapping_entry `continue`d without
 * xa_unlock_irq, so its next xa_lock_irq spins on the lock it holds, interrupts off.
 */
function* daxLockPage(k: KernelContext, file: DaxFile, index: number, pfn: number, cpu: number): Steps<DaxEntry | undefined> {
  for (;;) {
    const e = pageEntry(k, file, index, pfn);
    if (e === undefined) return undefined;
    if (!e.locked) {
      e.locked = true; // dax_lock_entry
      return e;
    }
    const xa = mappingKey(file);
    const key = keyIndex(k, index, e);
    const q = k.daxWait.queue(xa, key);
    const w = prepareToWait(k.tasks, q, xa, key, `DAX entry ${file.name}[0x${(e.index * k.pageSize).toString(16)}] (dax_lock_page)`);
    k.daxWait.sleepers++;
    yield w;
    finishWait(q, w);
    k.daxWait.sleepers--;
    if (k.bug('dax-lock-entry-deadlock')) yield* selfDeadlock(k, file, cpu);
  }
}

/** xa_lock_irq on the xa_lock this task already holds: it spins for ever; nothing can wake it. */
function* selfDeadlock(k: KernelContext, file: DaxFile, cpu: number): Steps {
  // kernel/watchdog_hld.c watchdog_overflow_callback (pr_fmt "NMI watchdog: ")
  k.log.push(`NMI watchdog: Watchdog detected hard LOCKUP on cpu ${cpu}`);
  yield* spinOnOwnXaLock(k, file);
}

/** dev_pagemap_mapping_shift: the size of the devmap leaf mapping `va` in `mm`, 0 when none does. */
function mappingSize(k: KernelContext, mm: Mm, va: number): number {
  const slot = newSlot();
  if (!k.pt.lookup(mm.pgd, va, slot) || !k.layout.isDevmap(slot.level, slot.entry)) return 0;
  return k.pt.levelSize[slot.level]!;
}

/**
 * memory_failure(pfn of the block behind `offset` of `file`) run by a task of `mm` (madvise
 * MADV_HWPOISON, or the MCE of its own access), after the device recorded the bad block.
 */
export function* memoryFailureSteps(k: KernelContext, mm: Mm, cpu: number, file: DaxFile, offset: number): Steps {
  const index = Math.floor(offset / k.pageSize);
  const pa = blockPa(file, index, k.pageSize);
  if (pa < 0) throw new KernelError(`offset ${offset} of file ${file.name} is a hole: no pmem block behind it to poison`);
  const pfn = pa / k.pageSize;
  let bad = badPfns.get(k);
  if (bad === undefined) badPfns.set(k, (bad = new Set()));
  bad.add(pfn);
  // memory_failure: no online page and no dev_pagemap (pmem without struct pages: no devmap
  // bit, no ZONE_DEVICE, as fault.ts pfnIsDevmap) -> -ENXIO
  if (k.layout.devmap === null) {
    k.log.push(`Memory failure: ${pfnText(pfn)}: memory outside kernel control`);
    return;
  }
  const e = yield* daxLockPage(k, file, index, pfn, cpu);
  if (e === undefined) {
    // mf_generic_kill_procs: !cookie -> -EBUSY; action_result(MF_MSG_DAX, MF_FAILED)
    k.log.push(`Memory failure: ${pfnText(pfn)}: recovery action for dax page: Failed`);
    return;
  }
  // collect_procs_file with force_early: current's mm only, where a leaf maps the page
  let size = 0;
  for (const vma of file.mapping.iMmap.query(index, index)) {
    if (vma.mm !== mm) continue;
    size = Math.max(size, mappingSize(k, mm, vma.start + (index - vma.pgoff) * k.pageSize));
  }
  if (size > 0) {
    // unmap_and_kill: unmap_mapping_range(mapping, (index << PAGE_SHIFT) & ~(size - 1), size, 0)
    const nr = size / k.pageSize;
    yield BEFORE.unmap_mapping_range;
    unmapMappingPages(k, file, index - (index % nr), nr, false);
    yield AFTER.unmap_mapping_range;
    k.log.push(`Memory failure: ${pfnText(pfn)}: Sending SIGBUS to ${mm.name}:${mm.id} due to hardware memory corruption`);
  }
  daxUnlockEntry(k, file, index, e); // dax_unlock_page
  k.log.push(`Memory failure: ${pfnText(pfn)}: recovery action for dax page: Recovered`);
  // kill_proc: force_sig_mceerr(BUS_MCEERR_AR) to current, delivered on its return to user space
  if (size > 0) throw new UserFault('SIGBUS', `SIGBUS (BUS_MCEERR_AR): ${mm.name} maps the poisoned block of ${file.name} at offset ${index * k.pageSize}`);
}
