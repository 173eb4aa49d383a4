// Sleeping locks other than the DAX entry lock (entry-lock.ts): the rw_semaphore of
// kernel/locking/rwsem.c (Linux 6.1) as mapping->invalidate_lock uses it
// (filemap_invalidate_lock / _shared, include/linux/fs.h). ext4's DAX faults take it shared
// around dax_iomap_fault (fs/ext4/file.c ext4_dax_huge_fault, which .fault, .huge_fault,
// .page_mkwrite and .pfn_mkwrite all reach), hole punch, zero range and truncate take it
// exclusive (fs/ext4/inode.c ext4_punch_hole, ext4_setattr; fs/ext4/extents.c
// ext4_zero_range). Before d4f5258eae7b "ext4: Convert to use mapping->invalidate_lock"
// (v5.15) the same rule was EXT4_I(inode)->i_mmap_sem; all the kernels daxsim runs (5.17,
// 5.19, 6.1) have invalidate_lock, so one rule serves them.
//
// Waiters queue FIFO (rwsem_add_waiter: list_add_tail). On release rwsem_mark_wake wakes the
// first waiter if it is a writer, or else every reader in the queue (writers in between
// stay queued: "grant up to MAX_READERS_WAKEUP read locks to all the readers in the queue");
// the lock is handed to the woken task (the handoff), so a woken waiter owns it.

import type { DaxFile, Mm } from './mm.ts';
import { Ready, type Path, type Scheduler, type Steps, type Waiter } from './task.ts';

interface RwWaiter {
  readonly w: Waiter;
  readonly write: boolean;
}

export class RwSemaphore {
  readers = 0;
  writer = false;
  readonly queue: RwWaiter[] = [];

  constructor(readonly what: string) {}
}

function sleeper(sched: Scheduler | null, sem: RwSemaphore, write: boolean): Waiter {
  const w: Waiter = { kind: 'sleep', owner: sched?.current ?? null, exclusive: write, xa: -1, index: -1, what: `${sem.what} (${write ? 'down_write' : 'down_read'})`, woken: false };
  sem.queue.push({ w, write });
  return w;
}

/** Taken at once: no sleep, no generator (every fault outside a race with truncate). */
const TAKEN = new Ready<void>(undefined);

/** down_read: free of writers and of waiters, or sleep until the lock is handed over. */
export function downRead(sched: Scheduler | null, sem: RwSemaphore): Path<void> {
  if (!sem.writer && sem.queue.length === 0) {
    sem.readers++;
    return TAKEN;
  }
  return sleepFor(sleeper(sched, sem, false));
}

function* sleepFor(w: Waiter): Steps {
  yield w;
}

/** down_write: free, or sleep until handed over. */
export function downWrite(sched: Scheduler | null, sem: RwSemaphore): Path<void> {
  if (!sem.writer && sem.readers === 0 && sem.queue.length === 0) {
    sem.writer = true;
    return TAKEN;
  }
  return sleepFor(sleeper(sched, sem, true));
}

export function upRead(sched: Scheduler | null, sem: RwSemaphore): void {
  sem.readers--;
  if (sem.readers === 0) markWake(sched, sem);
}

export function upWrite(sched: Scheduler | null, sem: RwSemaphore): void {
  sem.writer = false;
  markWake(sched, sem);
}

function grant(sched: Scheduler | null, w: Waiter): void {
  w.woken = true;
  if (w.owner !== null) sched?.wake(w.owner);
}

/** rwsem_mark_wake: the first waiter if it writes, else every waiting reader. */
function markWake(sched: Scheduler | null, sem: RwSemaphore): void {
  const first = sem.queue[0];
  if (first === undefined) return;
  if (first.write) {
    sem.queue.shift();
    sem.writer = true;
    grant(sched, first.w);
    return;
  }
  for (let i = 0; i < sem.queue.length; ) {
    const q = sem.queue[i]!;
    if (q.write) {
      i++;
      continue;
    }
    sem.queue.splice(i, 1);
    sem.readers++;
    grant(sched, q.w);
  }
}

/** Nobody holds `sem` and nobody waits for it. */
export function isFree(sem: RwSemaphore): boolean {
  return !sem.writer && sem.readers === 0 && sem.queue.length === 0;
}

/**
 * mm->mmap_lock of `mm`: a page fault holds it shared from finding the VMA to the end of
 * handle_mm_fault (arch/x86/mm/fault.c do_user_addr_fault), mmap, munmap, mprotect and fork
 * take it exclusive (mm/mmap.c, mm/mprotect.c, kernel/fork.c dup_mmap), MADV_DONTNEED and
 * msync shared: a thread's munmap waits for its sibling's fault.
 */
export function mmapLock(k: { readonly mmapLocks: Map<Mm, RwSemaphore> }, mm: Mm): RwSemaphore {
  let sem = k.mmapLocks.get(mm);
  if (sem === undefined) k.mmapLocks.set(mm, (sem = new RwSemaphore(`mmap_lock of ${mm.name}`)));
  return sem;
}

/**
 * inode->i_rwsem of `file` (inode_lock / inode_lock_shared): ext4_dax_write_iter takes it
 * exclusive around dax_iomap_rw, ext4_dax_read_iter shared (fs/ext4/file.c), so two write(2)s
 * of one file never overlap; faults and fsync do not take it.
 */
export function inodeLock(k: { readonly inodeLocks: Map<DaxFile, RwSemaphore> }, file: DaxFile): RwSemaphore {
  let sem = k.inodeLocks.get(file);
  if (sem === undefined) k.inodeLocks.set(file, (sem = new RwSemaphore(`i_rwsem of ${file.name}`)));
  return sem;
}

/** mapping->invalidate_lock of `file`, made on first use in the kernel's table (KernelContext.invalidateLocks). */
export function invalidateLock(k: { readonly invalidateLocks: Map<DaxFile, RwSemaphore> }, file: DaxFile): RwSemaphore {
  let sem = k.invalidateLocks.get(file);
  if (sem === undefined) k.invalidateLocks.set(file, (sem = new RwSemaphore(`invalidate_lock of ${file.name}`)));
  return sem;
}

/**
 * A spinlock (the PMD lock, pmd-lock.ts): a task spinning for it is `blocked` in this model, and
 * the release hands it to the first waiter (qspinlock's MCS queue, kernel/locking/qspinlock.c,
 * serves in arrival order).
 */
export class SpinLock {
  held = false;
  readonly queue: Waiter[] = [];

  constructor(readonly what: string) {}
}

/** spin_lock: free, or wait in the queue until the holder hands it over. */
export function* spinLock(sched: Scheduler | null, lock: SpinLock): Steps {
  if (!lock.held && lock.queue.length === 0) {
    lock.held = true;
    return;
  }
  const w: Waiter = { kind: 'sleep', owner: sched?.current ?? null, exclusive: true, xa: -1, index: -1, what: lock.what, woken: false };
  lock.queue.push(w);
  yield w;
}

/** spin_unlock: the first waiter gets the lock. */
export function spinUnlock(sched: Scheduler | null, lock: SpinLock): void {
  const next = lock.queue.shift();
  if (next === undefined) {
    lock.held = false;
    return;
  }
  next.woken = true;
  if (next.owner !== null) sched?.wake(next.owner);
}
