// Wait queues as kernel/sched/wait.c has them (Linux 6.1), and fs/dax.c's hashed table of them.
//
// prepare_to_wait adds a non-exclusive waiter at the head of the queue (__add_wait_queue),
// prepare_to_wait_exclusive an exclusive one at the tail (__add_wait_queue_entry_tail, with
// WQ_FLAG_EXCLUSIVE). __wake_up(wq, mode, nr_exclusive, key) -> __wake_up_common walks the
// queue in order and calls each waiter's wake function: a waiter whose function declines
// (wake_exceptional_entry_func on another key) is skipped and not counted; a matched one is
// woken and removed (autoremove_wake_function); the walk stops once nr_exclusive exclusive
// waiters have been woken (0: all of them, WAKE_ALL).

import type { Scheduler, Task, Waiter } from './task.ts';

export class WaitQueue {
  readonly waiters: Waiter[] = [];
}

function waiter(owner: Task | null, exclusive: boolean, xa: number, index: number, what: string): Waiter {
  return { kind: 'sleep', owner, exclusive, xa, index, what, woken: false };
}

/** prepare_to_wait: a non-exclusive waiter at the head (`xa` -1: a waiter without a DAX key). */
export function prepareToWait(sched: Scheduler | null, q: WaitQueue, xa: number, index: number, what: string): Waiter {
  const w = waiter(sched?.current ?? null, false, xa, index, what);
  q.waiters.unshift(w);
  return w;
}

/** prepare_to_wait_exclusive: an exclusive waiter at the tail. */
export function prepareToWaitExclusive(sched: Scheduler | null, q: WaitQueue, xa: number, index: number, what: string): Waiter {
  const w = waiter(sched?.current ?? null, true, xa, index, what);
  q.waiters.push(w);
  return w;
}

/** finish_wait: off the queue, woken or not. */
export function finishWait(q: WaitQueue, w: Waiter): void {
  const i = q.waiters.indexOf(w);
  if (i >= 0) q.waiters.splice(i, 1);
}

/**
 * __wake_up(q, TASK_NORMAL, nrExclusive, key): `key` null matches every waiter (the default
 * wake function); a DAX key matches only a waiter with the same mapping and entry index
 * (wake_exceptional_entry_func). Returns how many were woken.
 */
export function wakeUp(sched: Scheduler | null, q: WaitQueue, nrExclusive: number, key: { xa: number; index: number } | null): number {
  let left = nrExclusive;
  let woken = 0;
  for (let i = 0; i < q.waiters.length; ) {
    const w = q.waiters[i]!;
    if (key !== null && (w.xa !== key.xa || w.index !== key.index)) {
      i++;
      continue;
    }
    w.woken = true;
    woken++;
    q.waiters.splice(i, 1);
    if (w.owner !== null) sched?.wake(w.owner);
    if (w.exclusive && --left === 0) break;
  }
  return woken;
}

/** DAX_WAIT_TABLE_BITS (fs/dax.c): 4096 queues shared by every mapping. */
export const DAX_WAIT_TABLE_BITS = 12;
const GOLDEN_RATIO_64 = 0x61c8864680b583ebn; // include/linux/hash.h
const MASK_64 = (1n << 64n) - 1n;

/**
 * fs/dax.c's wait_table: dax_entry_waitqueue hashes (mapping ^ index) with hash_long into one
 * of DAX_WAIT_TABLE_ENTRIES queues; the queue is shared, the key tells waiters apart. Queues
 * are made on first use; `sleepers` counts waiters on all of them, so an unlock with nobody
 * waiting (every unlock outside a race) costs one comparison.
 */
export class DaxWaitTable {
  private readonly queues = new Map<number, WaitQueue>();
  sleepers = 0;

  /** hash_long((unsigned long)xa ^ index, DAX_WAIT_TABLE_BITS): hash_64 on 64-bit (include/linux/hash.h). */
  static hash(xa: number, index: number): number {
    const v = (BigInt(xa) ^ BigInt(index)) & MASK_64;
    return Number(((v * GOLDEN_RATIO_64) & MASK_64) >> BigInt(64 - DAX_WAIT_TABLE_BITS));
  }

  queue(xa: number, index: number): WaitQueue {
    const h = DaxWaitTable.hash(xa, index);
    let q = this.queues.get(h);
    if (q === undefined) this.queues.set(h, (q = new WaitQueue()));
    return q;
  }
}
