// GUP pins and page references on DAX pages, and a device writing into pinned pages (Linux 6.1):
//   pin_user_pages(FOLL_WRITE) -> __get_user_pages (mm/gup.c): per page, follow_page_mask
//   (follow_page_pte / follow_devmap_pmd) and, where it finds no writable leaf, faultin_page ->
//   handle_mm_fault(FAULT_FLAG_WRITE) and again; try_grab_page takes the reference.
//   unpin_user_pages -> gup_put_folio -> put_devmap_managed_page_refs ->
//   __put_devmap_managed_page_refs (mm/memremap.c): an fsdax page is idle at refcount 1 and
//   the drop to 1 is wake_up_var(&page->_refcount), what break layouts waits for.
//   dax_busy_page (fs/dax.c): the first page of a DAX entry with a refcount above 1.
// daxsim keeps a reference count per pfn only for pages someone holds (absent: 1, idle); the
// page's mapcount is not modelled (DAX mappings take no page references in 6.1: insert_pfn,
// vmf_insert_pfn_pmd_prot).

import type { KernelContext } from './context.ts';
import type { DaxEntry } from './dax-entries.ts';
import { KernelError } from './errors.ts';
import { handleMmFault } from './fault.ts';
import type { RwSemaphore } from './locks.ts';
import { downWrite, upWrite } from './locks.ts';
import type { Vma } from './mm.ts';
import { newSlot } from './pgtable.ts';
import type { Steps } from './task.ts';
import { finishWait, prepareToWait, wakeUp, WaitQueue } from './waitqueue.ts';

/** GUP_PIN_COUNTING_BIAS (include/linux/mm.h): what FOLL_PIN adds to an order-0 page's refcount. */
export const GUP_PIN_COUNTING_BIAS = 1024;

/** Times faultin_page may run for one page before __get_user_pages' retry is called a livelock. */
const FAULTIN_LIMIT = 4;

/** A pin: the pages pin_user_pages returned, in address order, until unpin_user_pages. */
export interface Pin {
  readonly name: string;
  /** The user address the pin started at (page aligned down) and its pfns, one per page. */
  readonly start: number;
  /** Offset of the pinned range's first byte in its first page. */
  readonly skew: number;
  readonly length: number;
  readonly pfns: readonly number[];
  released: boolean;
}

/** page_ref_count of the page at `pfn`: 1 for an fsdax page nobody holds (dax_busy_page's idle). */
export function pageRefCount(k: KernelContext, pfn: number): number {
  return k.pageRefs.get(pfn) ?? 1;
}

/**
 * follow_page_mask for FOLL_WRITE | FOLL_PIN | FOLL_TOUCH at `va`: the pfn of a present,
 * writable leaf, or -1 where __get_user_pages must fault the page in. A huge DAX PMD goes
 * through follow_devmap_pmd (pmd_write, pmd_present && pmd_devmap, touch_pmd: young and dirty,
 * pmdp_set_access_flags) and yields the pfn of the page inside it; a PTE through
 * follow_page_pte (can_follow_write_pte: pte_write; FOLL_TOUCH dirties the page, not the
 * PTE). A page-less PTE (pte_special without pte_devmap: FS_DAX_LIMITED) has no struct page to
 * pin: follow_pfn_pte's -EEXIST, which pin_user_pages returns.
 */
function followPageWrite(k: KernelContext, vma: Vma, va: number, slot = newSlot()): number {
  const l = k.layout;
  k.pt.walk(vma.mm.pgd, va, k.pt.last, false, slot);
  k.counters.ptRefs += slot.level + 1;
  const lv = slot.level;
  const e = slot.entry;
  if (l.isNone(lv, e) || !l.isPresent(lv, e) || !l.isLeaf(lv, e)) return -1;
  if (!l.isWrite(lv, e)) return -1;
  if (lv === k.pmdLevel) {
    if (!l.isDevmap(lv, e)) return -1;
    // touch_pmd(vma, addr, pmd, FOLL_WRITE): pmd_mkyoung, pmd_mkdirty, pmdp_set_access_flags
    l.mkyoung(lv, e);
    l.mkdirty(lv, e);
    k.writeEntry(slot.pa, e);
    // pfn += (addr & ~PMD_MASK) >> PAGE_SHIFT, in arithmetic (addresses exceed 2^31)
    return l.leafPfn(lv, e) + Math.floor((va % k.pmdSize) / k.pageSize);
  }
  if (lv !== k.pt.last) return -1;
  if (l.isSpecial(lv, e) && !l.isDevmap(lv, e) && !k.isZeroPfn(l.leafPfn(lv, e))) {
    throw new KernelError(`get_user_pages at 0x${va.toString(16)}: the DAX page has no struct page to pin (FS_DAX_LIMITED; follow_pfn_pte, EEXIST)`);
  }
  return l.leafPfn(lv, e);
}

/**
 * pin_user_pages(start, nr_pages, FOLL_WRITE) on `vma`, the caller's mm locked: each page
 * followed, faulted in with FAULT_FLAG_WRITE where it is not mapped writable (faultin_page:
 * the fault counts as the task's, mm_account_fault with regs NULL), then its refcount raised by
 * GUP_PIN_COUNTING_BIAS (try_grab_page; fsdax pages are order-0 folios in 6.1).
 */
export function* pinUserPages(k: KernelContext, vma: Vma, name: string, offset: number, length: number): Steps<Pin> {
  // check_vma_flags: FOLL_WRITE needs VM_WRITE (the parser refuses a read-only mapping)
  if (!vma.flags.write) throw new KernelError(`pin of read-only mapping ${vma.name}: get_user_pages(FOLL_WRITE) fails (EFAULT)`);
  const ps = k.pageSize;
  const first = vma.start + Math.floor(offset / ps) * ps;
  const end = vma.start + Math.ceil((offset + length) / ps) * ps;
  const slot = newSlot();
  const pfns: number[] = [];
  for (let va = first; va < end; va += ps) {
    let pfn = followPageWrite(k, vma, va, slot);
    for (let tries = 0; pfn < 0; tries++) {
      if (tries === FAULTIN_LIMIT) throw new KernelError(`get_user_pages at 0x${va.toString(16)}: the write fault made no writable mapping (${FAULTIN_LIMIT} tries)`);
      yield* handleMmFault(k, vma, va, true, null);
      pfn = followPageWrite(k, vma, va, slot);
    }
    k.pageRefs.set(pfn, pageRefCount(k, pfn) + GUP_PIN_COUNTING_BIAS);
    pfns.push(pfn);
  }
  return { name, start: first, skew: offset % ps, length, pfns, released: false };
}

/**
 * The key of a wait on a page's refcount (wait_var_event(&page->_refcount, ...)): the waits of
 * include/linux/wait_bit.h share hashed queues (__var_waitqueue) and wake_bit_function matches
 * the variable's address, here the pfn, with this mark where the DAX waits put a mapping.
 */
const VAR_WAIT = -2;

function refcountQueue(k: KernelContext, pfn: number): WaitQueue {
  let q = k.refcountWaits.get(pfn);
  if (q === undefined) k.refcountWaits.set(pfn, (q = new WaitQueue()));
  return q;
}

/**
 * ___wait_var_event(&page->_refcount, page_ref_count(page) == 1, TASK_INTERRUPTIBLE, 0, 0, cmd)
 * as ext4_break_layouts / xfs_break_dax_layouts / __fuse_dax_break_layouts wait for a pinned
 * page: prepare_to_wait_event, the condition, then cmd, which drops the mapping's
 * invalidate_lock (`sem`, held exclusive; null: not held), schedule()s and retakes it
 * (ext4_wait_dax_page, fuse_wait_dax_page), until the refcount is 1.
 */
export function* waitPageIdle(k: KernelContext, pfn: number, sem: RwSemaphore | null): Steps {
  const q = refcountQueue(k, pfn);
  for (;;) {
    const w = prepareToWait(k.tasks, q, VAR_WAIT, pfn, `the refcount of pinned page pfn 0x${pfn.toString(16)}`);
    if (pageRefCount(k, pfn) === 1) {
      finishWait(q, w);
      return;
    }
    if (sem !== null) upWrite(k.tasks, sem);
    yield w;
    finishWait(q, w);
    if (sem !== null) yield* downWrite(k.tasks, sem);
  }
}

/**
 * unpin_user_pages: each page's refcount drops by GUP_PIN_COUNTING_BIAS; an fsdax page going
 * back to 1 is idle and wakes whoever waits on its refcount (__put_devmap_managed_page_refs:
 * wake_up_var(&page->_refcount)).
 */
export function unpinUserPages(k: KernelContext, pin: Pin): void {
  if (pin.released) throw new KernelError(`pin ${pin.name} was unpinned already`);
  pin.released = true;
  for (const pfn of pin.pfns) {
    const refs = pageRefCount(k, pfn) - GUP_PIN_COUNTING_BIAS;
    if (refs < 1) throw new Error(`refcount of pfn 0x${pfn.toString(16)} below 1 after unpin`);
    if (refs === 1) {
      k.pageRefs.delete(pfn);
      const q = k.refcountWaits.get(pfn);
      if (q !== undefined) wakeUp(k.tasks, q, 1, { xa: VAR_WAIT, index: pfn });
    } else {
      k.pageRefs.set(pfn, refs);
    }
  }
}

/**
 * A device write of `data` at byte `offset` of the pinned range: through the pinned pfns
 * whoever owns their blocks now, straight to pmem (an inbound DMA write: coherent with the CPU
 * caches, durable once done). Bytes landing in a file's block are that file's new content
 * (the durability checker hears of them); in a freed block they are nobody's.
 */
export function dmaWrite(k: KernelContext, pin: Pin, offset: number, data: Uint8Array): void {
  if (pin.released) throw new KernelError(`dma through pin ${pin.name}, which was unpinned`);
  const ps = k.pageSize;
  let done = 0;
  while (done < data.length) {
    const at = pin.skew + offset + done;
    const page = Math.floor(at / ps);
    const n = Math.min(data.length - done, ps - (at % ps));
    const pa = pin.pfns[page]! * ps + (at % ps);
    k.machine.cache.deviceWrite(pa, data, done, n);
    const where = k.fileOffsetAt(pa);
    if (where !== undefined) k.events.fileStore?.(where.file, where.offset, n, -1, data, done);
    done += n;
  }
}

/**
 * dax_busy_page(entry): the first pfn of a DAX entry with a refcount above 1, or -1. Zero and
 * empty entries map no pfn (for_each_mapped_pfn).
 */
export function daxBusyPage(k: KernelContext, e: DaxEntry): number {
  if (e.kind !== 'real') return -1;
  const n = 2 ** e.order;
  for (let i = 0; i < n; i++) if (pageRefCount(k, e.pfn + i) > 1) return e.pfn + i;
  return -1;
}
