// A file's i_pages xa_lock held for ever by a task spinning on it (bug dax-lock-entry-deadlock,
// memory-failure.ts): every later path that takes it (xas_lock_irq before get_unlocked_entry,
// fs/dax.c: faults, fsync, truncate) spins behind it. The lock is otherwise not modelled: the
// model's paths never interleave inside an xa_lock section.

import type { KernelContext } from './context.ts';
import type { DaxFile } from './mm.ts';
import type { Steps } from './task.ts';
import { prepareToWait, WaitQueue } from './waitqueue.ts';

/** The files whose xa_lock is stuck, per kernel. */
const stuck = new WeakMap<KernelContext, Set<DaxFile>>();

/** A wait nothing ever ends: a spin on a lock whose holder never releases it. */
export function* spinForever(k: KernelContext, what: string): Steps<never> {
  const w = prepareToWait(k.tasks, new WaitQueue(), -1, -1, what);
  for (;;) yield w;
}

/** The current task spins on `file`'s xa_lock, which it holds itself. */
export function* spinOnOwnXaLock(k: KernelContext, file: DaxFile): Steps<never> {
  let files = stuck.get(k);
  if (files === undefined) stuck.set(k, (files = new Set()));
  files.add(file);
  return yield* spinForever(k, `xa_lock of ${file.name}'s i_pages, which it holds itself (spinning, interrupts off)`);
}

export function xaLockStuck(k: KernelContext, file: DaxFile): boolean {
  return stuck.get(k)?.has(file) === true;
}

/** xas_lock_irq of a file whose xa_lock is stuck (xaLockStuck). */
export function spinOnStuckXaLock(k: KernelContext, file: DaxFile): Steps<never> {
  return spinForever(k, `xa_lock of ${file.name}'s i_pages (held by a task spinning on it)`);
}
