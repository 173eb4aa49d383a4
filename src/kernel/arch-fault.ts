// The page-fault entry every arch shares after decoding: find_vma, access_error, then
// handle_mm_fault. What the hardware's record means (x86 do_user_addr_fault's error code,
// powerpc ___do_page_fault's DSISR/SRR1, s390 do_exception's PGM code and TEID, arm64's ESR,
// riscv's scause, LoongArch's EXCCODE) is the arch's own hook (`FaultHook.entry`, arch/).
// The fault stays data until something prints it (MmuPort.describeFault).

import type { FaultEntry, FaultHook } from '../../arch/fault.ts';
import { faultHookOf } from '../../arch/index.ts';
import type { KernelContext } from './context.ts';
import { UserFault } from './errors.ts';
import { handleMmFault } from './fault.ts';
import { findVma, type Mm, type Vma } from './mm.ts';
import type { HwFault } from './ports.ts';
import { downRead, mmapLock, upRead } from './locks.ts';
import type { Steps } from './task.ts';

export type { FaultEntry };

/**
 * The arch's page-fault entry reads the hardware's report: the running layout's fault hook, or
 * (for a record on its own, as tests hand one) the hook of the record's ISA.
 */
export function decodeFault(hw: HwFault, hook: FaultHook = faultHookOf(hw.arch.isa)): FaultEntry {
  return hook.entry(hw.arch, hw.access);
}

/**
 * access_error: the VMA does not allow the access. x86, powerpc and s390 agree on writes
 * (VM_WRITE) and fetches (VM_EXEC, which no DAX mapping here has); a read needs the VMA
 * accessible (vma_is_accessible: VM_READ | VM_WRITE | VM_EXEC; s390 `vm_flags & VM_ACCESS_FLAGS`).
 */
function accessError(f: FaultEntry, vma: Vma): boolean {
  if (f.denied || f.exec) return true;
  if (f.write) return !vma.flags.write;
  return !vma.flags.read && !vma.flags.write;
}

/** The arch fault entry for a user access: decode, find_vma, access_error, then handle_mm_fault. */
export function* doUserAddrFault(k: KernelContext, mm: Mm, hw: HwFault): Steps {
  const f = decodeFault(hw, k.layout.hooks.fault); // no search over the layouts on a fault
  const va = hw.va;
  const text = (): string => k.machine.mmu.describeFault(hw);
  k.events.faultStart?.(mm, va, f.write);
  // x86 pgtable_bad: a reserved bit in a page table is a kernel bug (here: daxsim's), never bad input.
  if (f.bad === 'pgtable') throw new Error(`pgtable_bad: reserved bit set in a page-table entry (${text()})`);
  if (f.bad === 'sigbus') throw new UserFault('SIGBUS', `bad fault at 0x${va.toString(16)} (${text()})`);
  // mmap_read_lock before find_vma, held through handle_mm_fault (lock_mm_and_find_vma)
  const sem = mmapLock(k, mm);
  yield* downRead(k.tasks, sem);
  try {
    const vma = findVma(mm, va);
    if (vma === undefined) throw new UserFault('SIGSEGV', `no mapping at 0x${va.toString(16)} (${text()})`);
    if (accessError(f, vma)) {
      const what = f.write ? 'write to read-only' : f.exec ? 'instruction fetch from non-executable' : 'read of unreadable';
      throw new UserFault('SIGSEGV', `${what} mapping ${vma.name} at 0x${va.toString(16)} (${text()})`);
    }
    yield* handleMmFault(k, vma, va, f.write, hw);
  } finally {
    upRead(k.tasks, sem);
  }
}
