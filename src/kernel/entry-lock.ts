// The DAX entry lock (DAX_LOCKED in the entry value) and its waits, fs/dax.c (Linux 6.1):
// get_unlocked_entry, dax_unlock_entry, put_unlocked_entry, dax_wake_entry and
// dax_entry_waitqueue over the hashed wait table (waitqueue.ts DaxWaitTable).
//
// A waiter sleeps exclusively (prepare_to_wait_exclusive) on the queue of hash(mapping ^
// index) with the key (mapping, index), where index is xas->xa_index aligned down to the PMD
// when the entry it found is a PMD entry. A wake (dax_wake_entry) computes its key the same
// way from its own xa_state and entry, and wake_exceptional_entry_func wakes only waiters
// with exactly that key: WAKE_NEXT one exclusive waiter, WAKE_ALL every one.

import type { KernelContext } from './context.ts';
import type { DaxEntry } from './dax-entries.ts';
import type { AddressSpace, DaxFile } from './mm.ts';
import { Ready, type Path, type Steps } from './task.ts';
import { finishWait, prepareToWaitExclusive, wakeUp } from './waitqueue.ts';
import { spinOnStuckXaLock, xaLockStuck } from './xa-lock.ts';

/** dax_wake_mode (fs/dax.c): WAKE_NEXT wakes one exclusive waiter, WAKE_ALL every one. */
export type WakeMode = 'next' | 'all';

/** What xas_find_conflict found, after get_unlocked_entry: an unlocked entry, none, or (order too small) the conflict marker. */
export type Found = DaxEntry | undefined | 'conflict';

const mappingIds = new WeakMap<AddressSpace, number>();
let nextMapping = 1;

/** A stand-in for the address_space pointer the wait key holds: distinct per mapping, stable for its life. */
export function mappingKey(file: DaxFile): number {
  let id = mappingIds.get(file.mapping);
  if (id === undefined) mappingIds.set(file.mapping, (id = nextMapping++));
  return id;
}

/** The key index dax_entry_waitqueue uses: xa_index, aligned to the PMD for a PMD entry. */
export function keyIndex(k: KernelContext, xaIndex: number, e: DaxEntry): number {
  if (e.order === 0) return xaIndex;
  const n = 2 ** k.pmdOrder;
  return xaIndex - (xaIndex % n);
}

/**
 * xas_find_conflict at xa_index `index` for an xa_state of `order`: the entry covering it, or
 * for a PMD-order state the first entry anywhere in its range.
 */
function findConflict(file: DaxFile, index: number, order: number): DaxEntry | undefined {
  const entries = file.mapping.entries;
  const e = entries.find(index);
  if (e !== undefined || order === 0) return e;
  const n = 2 ** order;
  return entries.range(index, index + n - 1)[0];
}

/**
 * get_unlocked_entry(xas, order): the entry, waiting while it is locked. Since 23c84eb78375
 * "dax: Fix missed wakeup with PMD faults" an entry of smaller order than asked is returned at
 * once as a conflict (XA_RETRY_ENTRY), before looking at its lock; bug missed-wakeup-pmd
 * reverts that: the PMD fault waits on the page entry's lock under the key of its own
 * PMD-aligned index, which the page entry's unlock (keyed by its own index) never wakes.
 */
export function getUnlockedEntry(k: KernelContext, file: DaxFile, index: number, order: number): Path<Found> {
  if (xaLockStuck(k, file)) return spinOnStuckXaLock(k, file); // bug dax-lock-entry-deadlock (xa-lock.ts)
  const now = unlockedNow(k, file, index, order);
  if (now === 'locked') return waitUnlocked(k, file, index, order);
  NO_WAIT.value = now;
  return NO_WAIT;
}

/** What get_unlocked_entry returns without sleeping, or 'locked' when it must wait. */
function unlockedNow(k: KernelContext, file: DaxFile, index: number, order: number): Found | 'locked' {
  const e = findConflict(file, index, order);
  if (e === undefined) return undefined;
  if (e.order < order && !k.bug('missed-wakeup-pmd')) return 'conflict';
  return e.locked ? 'locked' : e;
}

/**
 * The path of a lookup that needs no sleep (every lookup outside a race: each entry of a
 * 1 GiB fsync): one reused path already at its end, so no generator is made.
 */
const NO_WAIT = new Ready<Found>(undefined);

function* waitUnlocked(k: KernelContext, file: DaxFile, index: number, order: number): Steps<Found> {
  const xa = mappingKey(file);
  for (;;) {
    const now = unlockedNow(k, file, index, order);
    if (now !== 'locked') return now;
    const e = findConflict(file, index, order)!;
    const key = keyIndex(k, index, e);
    const q = k.daxWait.queue(xa, key);
    const w = prepareToWaitExclusive(k.tasks, q, xa, key, `DAX entry ${file.name}[0x${(e.index * k.pageSize).toString(16)}]${key !== e.index ? ` (the wait keyed by index ${key})` : ''}`);
    k.daxWait.sleepers++;
    yield w;
    finishWait(q, w);
    k.daxWait.sleepers--;
  }
}

/** dax_wake_entry(xas at `index`, entry, mode). */
export function daxWakeEntry(k: KernelContext, file: DaxFile, index: number, e: DaxEntry, mode: WakeMode): void {
  if (k.daxWait.sleepers === 0) return; // waitqueue_active is false on every queue
  const xa = mappingKey(file);
  const key = keyIndex(k, index, e);
  wakeUp(k.tasks, k.daxWait.queue(xa, key), mode === 'all' ? 0 : 1, { xa, index: key });
}

/** dax_unlock_entry: clear DAX_LOCKED, wake the next waiter. */
export function daxUnlockEntry(k: KernelContext, file: DaxFile, index: number, e: DaxEntry): void {
  e.locked = false;
  daxWakeEntry(k, file, index, e, 'next');
}

/** put_unlocked_entry: an entry looked up but not locked passes the wake-up on. */
export function putUnlockedEntry(k: KernelContext, file: DaxFile, index: number, e: Found, mode: WakeMode): void {
  if (e !== undefined && e !== 'conflict') daxWakeEntry(k, file, index, e, mode);
}
