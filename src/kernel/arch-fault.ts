// The architecture's page-fault entry: what the kernel reads from the hardware's fault record
// before handle_mm_fault. Each ISA's entry decodes its own report (the error code, DSISR/SRR1,
// program-interruption code and TEID) into the fault flags and the access check, as Linux 6.1 does:
//  - x86:     do_user_addr_fault + access_error (arch/x86/mm/fault.c);
//  - powerpc: ___do_page_fault + page_fault_is_write/page_fault_is_bad + access_error (arch/powerpc/mm/fault.c);
//  - s390:    do_dat_exception / do_protection_exception -> do_exception (arch/s390/mm/fault.c).
// The fault stays data until something prints it (MmuPort.describeFault).

import type { ArchFault } from '../../arch/fault.ts';
import { ESR } from '../../arch/arm64.ts';
import { EXCCODE } from '../../arch/loongarch64.ts';
import { DSISR } from '../../arch/ppc64-radix.ts';
import { SCAUSE } from '../../arch/riscv64.ts';
import { PGM, TEID } from '../../arch/s390x.ts';
import { X86_PF } from '../../arch/x86_64.ts';
import type { KernelContext } from './context.ts';
import { UserFault } from './errors.ts';
import { handleMmFault } from './fault.ts';
import { findVma, type Mm, type Vma } from './mm.ts';
import type { HwFault } from './ports.ts';

/** What an arch's fault entry makes of the hardware's report. */
export interface FaultEntry {
  /** FAULT_FLAG_WRITE. */
  readonly write: boolean;
  /** FAULT_FLAG_INSTRUCTION (an instruction fetch; the VMA must be VM_EXEC). */
  readonly exec: boolean;
  /** access_error regardless of the VMA: x86 a read of a present page (X86_PF_PROT without X86_PF_WRITE) or a key fault. */
  readonly denied: boolean;
  /** Not a fault the mm can resolve: x86 X86_PF_RSVD (pgtable_bad: an oops), powerpc page_fault_is_bad (SIGBUS). */
  readonly bad: 'pgtable' | 'sigbus' | null;
}

type Decoder<I extends ArchFault['isa']> = (f: Extract<ArchFault, { isa: I }>) => FaultEntry;

const x86: Decoder<'x86'> = (f) => {
  const e = f.errorCode;
  // A #GP (non-canonical address) has error code 0: no page-fault flags; no VMA holds the address.
  return {
    write: (e & X86_PF.X86_PF_WRITE) !== 0,
    exec: (e & X86_PF.X86_PF_INSTR) !== 0,
    // access_error: X86_PF_PK always; "read, present" (X86_PF_PROT without X86_PF_WRITE).
    denied: (e & X86_PF.X86_PF_PK) !== 0 || ((e & X86_PF.X86_PF_WRITE) === 0 && (e & X86_PF.X86_PF_PROT) !== 0),
    bad: (e & X86_PF.X86_PF_RSVD) !== 0 ? 'pgtable' : null,
  };
};

/**
 * powerpc: error_code is regs->dsisr; for an ISI (0x400) the interrupt entry copies the
 * DSISR_SRR1_MATCH_64S bits of SRR1 there, and is_exec comes from the trap number.
 * DSISR_BAD_FAULT_64S includes DSISR_UNSUPP_MMU (arch/powerpc/include/asm/reg.h).
 */
const power: Decoder<'power'> = (f) => {
  const isi = f.vector === 'ISI' || f.vector === 'ISegI';
  const err = isi ? f.srr1 : f.dsisr;
  return {
    write: !isi && (err & DSISR.DSISR_ISSTORE) !== 0,
    exec: isi,
    denied: false,
    bad: (err & DSISR.DSISR_UNSUPP_MMU) !== 0 ? 'sigbus' : null,
  };
};

/**
 * s390: a protection exception is do_exception(regs, VM_WRITE) (VM_EXEC with the TEID's
 * instruction-execution bit under NX); a translation exception is do_exception(regs,
 * VM_ACCESS_FLAGS), made VM_WRITE when the TEID says store ((teid & 0xc00) == 0x400).
 */
const s390: Decoder<'s390'> = (f) => {
  const bits = f.teid % 4096;
  const prot = f.pgm === PGM.PGM_PROTECTION;
  const exec = prot && (bits & TEID.IEP) !== 0;
  return {
    write: !exec && (prot || (bits & (TEID.STORE | TEID.FETCH)) === TEID.STORE),
    exec,
    denied: false,
    bad: null,
  };
};

/**
 * arm64 do_page_fault (arch/arm64/mm/fault.c): is_el0_instruction_abort (EC IABT_LOW) is an
 * instruction fetch, is_write_abort (WnR without CM) a write, anything else a read.
 */
const arm64: Decoder<'arm64'> = (f) => {
  const ec = Math.floor(f.esr / 2 ** ESR.ESR_ELx_EC_SHIFT) % 64;
  const exec = ec === ESR.ESR_ELx_EC_IABT_LOW;
  return { write: !exec && (f.esr & ESR.ESR_ELx_WNR) !== 0, exec, denied: false, bad: null };
};

/** riscv do_page_fault (arch/riscv/mm/fault.c): scause 15 sets FAULT_FLAG_WRITE, 12 FAULT_FLAG_INSTRUCTION. */
const riscv: Decoder<'riscv'> = (f) => ({ write: f.scause === SCAUSE.EXC_STORE_PAGE_FAULT, exec: f.scause === SCAUSE.EXC_INST_PAGE_FAULT, denied: false, bad: null });

/**
 * loongarch do_page_fault(regs, write, address) (arch/loongarch/mm/fault.c): the TLB store and
 * modify handlers pass write = 1 (arch/loongarch/mm/tlbex.S); a fetch (TLBI, TLBNX) needs
 * VM_EXEC; a privilege exception (TLBPE) of a user access is an access error.
 */
const loongarch: Decoder<'loongarch'> = (f) => ({
  write: f.ecode === EXCCODE.EXCCODE_TLBS || f.ecode === EXCCODE.EXCCODE_TLBM,
  exec: f.ecode === EXCCODE.EXCCODE_TLBI || f.ecode === EXCCODE.EXCCODE_TLBNX,
  denied: f.ecode === EXCCODE.EXCCODE_TLBPE,
  bad: null,
});

/** A layout without its own encoding reports only the FaultKind: the access is the MMU's. */
function generic(hw: HwFault): FaultEntry {
  return { write: hw.access === 'write', exec: hw.access === 'exec', denied: false, bad: null };
}

/** The fault flags an arch's entry reads from the hardware's report. */
export function decodeFault(hw: HwFault): FaultEntry {
  const a = hw.arch;
  switch (a.isa) {
    case 'x86':
      return x86(a);
    case 'power':
      return power(a);
    case 's390':
      return s390(a);
    case 'arm64':
      return arm64(a);
    case 'riscv':
      return riscv(a);
    case 'loongarch':
      return loongarch(a);
    case 'generic':
      return generic(hw);
  }
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
export function doUserAddrFault(k: KernelContext, mm: Mm, hw: HwFault): void {
  const f = decodeFault(hw);
  const va = hw.va;
  const text = (): string => k.machine.mmu.describeFault(hw);
  k.events.faultStart?.(mm, va, f.write);
  // x86 pgtable_bad: a reserved bit in a page table is a kernel bug (here: daxsim's), never bad input.
  if (f.bad === 'pgtable') throw new Error(`pgtable_bad: reserved bit set in a page-table entry (${text()})`);
  if (f.bad === 'sigbus') throw new UserFault('SIGBUS', `bad fault at 0x${va.toString(16)} (${text()})`);
  const vma = findVma(mm, va);
  if (vma === undefined) throw new UserFault('SIGSEGV', `no mapping at 0x${va.toString(16)} (${text()})`);
  if (accessError(f, vma)) {
    const what = f.write ? 'write to read-only' : f.exec ? 'instruction fetch from non-executable' : 'read of unreadable';
    throw new UserFault('SIGSEGV', `${what} mapping ${vma.name} at 0x${va.toString(16)} (${text()})`);
  }
  handleMmFault(k, vma, va, f.write, hw);
}
