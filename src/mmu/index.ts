// src/mmu: the CPU's page walker and TLBs: mmu.ts assembles tlb.ts (per-CPU TLBs), walk.ts (the
// reference walk, root registers, out-of-line walk parts) and codegen.ts (the generated hot path).
//
// Public API (everything else in this folder is internal):
//
//   const mmu = new Mmu(layout, mem, { cpus?, tlb?, tlbEntries?, smep?, smap? });
//
//   mmu.setRoot(cpu, root, asid = 0)              load CR3 / PID / ASCE (layout.hooks.root.encode(table, level);
//                                                  the table aligned to its size); asid 0 flushes that CPU's
//                                                  untagged entries, others are kept (PCID)
//   mmu.translate(cpu, va, access, user): number  pa >= 0, or -1 with mmu.fault filled
//                                                  va: a safe-integer JS number (throws otherwise);
//                                                  access: Access.Read | Access.Write | Access.Exec; user: CPL3 / problem state
//                                                  (allocation-free where V8 inlines it into the caller; a
//                                                  physical address is a double, boxed if returned across a call)
//   mmu.translateTo(cpu, va, access, user): 0 | -1  the same, never allocating: the address is in mmu.result[0]
//   mmu.translateMany(cpu, vas, from, count, access, user, dst): number
//                                                  translate() of vas[from ..] into dst[0 ..], batched (one generated
//                                                  loop); returns count, or the index of the first fault
//   mmu.translateBig(cpu, va: bigint, access, user) the same for any 64-bit address (kernel half, non-canonical)
//   mmu.fault: FaultInfo                           the last fault, reused: kind (FaultKind), code (x86 error code,
//                                                  DSISR/SRR1, s390 program-interruption code), vector, level, va,
//                                                  access, user, record() (a typed HwFault), codeNames(), describe()
//   mmu.flushPage(cpu, va, asid?)                  invlpg: drops the entry of any size covering va
//   mmu.flushRange(cpu, start, end, asid?)         flush_tlb_range, end exclusive
//   mmu.flushAsid(cpu, asid?)                      flush_tlb_mm: one address space (default the CPU's current)
//   mmu.flushAll(cpu)                              every entry on that CPU
//   mmu.rootOf(cpu) / mmu.rootLevelOf(cpu)          the root register value; the level its walk starts at (s390 ASCE type)
//   mmu.setPkru(cpu, value)                        x86 WRPKRU (no flush, as on hardware)
//   mmu.setSmepSmap(smep, smap)                    x86 CR4.SMEP / CR4.SMAP
//   mmu.setTlbEnabled(on)                          off: every translate walks (walk benchmarks)
//   mmu.tlbProbe(cpu, va): TlbEntryView | null     the entry a translate would hit, no side effect
//   mmu.lookup(root, va): LookupResult             side-effect-free reference walk: leaf level, entry, entry pa, pa
//   mmu.counters.snapshot() / .reset()             walks, walk memory references, TLB hits/misses/re-walks,
//                                                  A/D write-backs, faults by kind, flushes
//
//   new TableBuilder(layout, mem, frames, rootLevel?) (builder.ts) page tables for tests and benchmarks; .root is
//                                                  the root register value for setRoot / lookup
//
// The TLB is not coherent with page-table memory: an entry changed without a flush keeps being
// used until flushed, as on hardware (the mkclean bug depends on it).

export { Access, ACCESS_NAMES, Cause, FaultKind, FAULT_KIND_NAMES, Perm } from './consts.ts';
export { C as CounterIndex, Counters, type CounterSnapshot } from './counters.ts';
export { describeFault, FaultInfo, faultText, permNames, type FaultSnapshot, type HwFault } from './fault.ts';
export type { ArchFault, FaultHook } from '../../arch/fault.ts';
// The architectures' fault codes, where their hooks define them.
export { X86_PF, X86_VECTOR_GP, X86_VECTOR_PF } from '../../arch/x86_64.ts';
export { DSISR, PPC_VECTOR, SRR1 } from '../../arch/ppc64-radix.ts';
export { PGM, TEID } from '../../arch/s390x.ts';
export { MAX_ASID, Mmu, type LookupResult, type MmuOptions, type TlbEntryView } from './mmu.ts';
export { DEFAULT_PROT, TableBuilder } from './builder.ts';
