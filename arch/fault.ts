// The vocabulary a hardware fault is described in, shared by every layout's fault hook
// (arch/types.ts ArchHooks.fault) and the MMU (src/mmu). Plain numbers, not strings or a TS
// `enum`, so the translate path compares small integers only.

/** The kind of memory access a CPU makes. */
export const Access = {
  /** A data load. */
  Read: 0,
  /** A data store. */
  Write: 1,
  /** An instruction fetch. */
  Exec: 2,
} as const;
export type Access = (typeof Access)[keyof typeof Access];

export const ACCESS_NAMES = ['read', 'write', 'exec'] as const;
export type AccessName = (typeof ACCESS_NAMES)[number];

/**
 * Why a translation failed, across architectures. The architecture's own encoding (x86 error
 * code, DSISR/SRR1, s390 program-interruption code) is what the layout's fault hook makes of it.
 */
export const FaultKind = {
  None: 0,
  /** An entry on the walk was not valid (x86 P=0; radix V=0; s390 invalid bit set). */
  NotPresent: 1,
  /** The leaf was reached but the access is not allowed (write, user, exec, SMEP/SMAP). */
  Protection: 2,
  /** A valid entry had a bit set that must be zero (x86 RSVD; radix bad config; s390 translation-specification). */
  Reserved: 3,
  /**
   * The address is outside what the translation can cover: x86 non-canonical (#GP, not #PF),
   * radix outside quadrant 0 / beyond the tree (segment interrupt), s390 beyond the ASCE's
   * designation type (ASCE-type exception).
   */
  NonCanonical: 4,
  /** x86 protection keys (PKRU) deny the data access. */
  Pkey: 5,
} as const;
export type FaultKind = (typeof FaultKind)[keyof typeof FaultKind];

export const FAULT_KIND_NAMES = ['none', 'not-present', 'protection', 'reserved', 'non-canonical', 'pkey'] as const;
export type FaultKindName = (typeof FAULT_KIND_NAMES)[number];

/** Which checks failed on a protection fault (several may). */
export const Cause = {
  /** A store to a read-only translation. */
  Write: 1,
  /** A load from a translation without read rights (radix _PAGE_READ clear). */
  Read: 2,
  /** An instruction fetch from a no-execute translation. */
  Exec: 4,
  /** A user-mode access to a supervisor-only translation. */
  User: 8,
  /** SMEP: a supervisor instruction fetch from a user page. */
  Smep: 16,
  /** SMAP: a supervisor data access to a user page. */
  Smap: 32,
  /** PKRU access-disable. */
  PkeyAccess: 64,
  /** PKRU write-disable. */
  PkeyWrite: 128,
} as const;

/** What a fault hook reads: the architecture-neutral facts of one fault. */
export interface FaultFacts {
  readonly kind: number;
  readonly access: number;
  readonly user: boolean;
  /** Level index (0 = the layout's first level) where the walk stopped; -1 if none was read. */
  readonly level: number;
  /** Cause bits of a protection or key fault. */
  readonly cause: number;
  /** Levels of the layout (s390 names the failing table by its distance from the page table). */
  readonly levelCount: number;
}

/** What a fault hook writes: the architecture's own code for it. */
export interface FaultCode {
  /** x86 error code (X86_PF_*, 0 for #GP); Power DSISR (DSI) or SRR1 (ISI) bits; s390 the program-interruption code. */
  code: number;
  /** x86 IDT vector (14 #PF, 13 #GP); Power interrupt offset (0x300 ...); s390 the program-interruption code. */
  vector: number;
  /** s390: the TEID bits below the failing address (TEID = (va & -4096) | teidBits); 0 elsewhere. */
  teidBits: number;
}

/** The fault as the architecture reports it, as data: what the kernel's fault entry would read. */
export type ArchFault =
  | { readonly isa: 'x86'; readonly vector: 'PF' | 'GP'; readonly errorCode: number }
  | { readonly isa: 'power'; readonly vector: 'DSI' | 'ISI' | 'DSegI' | 'ISegI'; readonly dsisr: number; readonly srr1: number }
  | { readonly isa: 's390'; readonly pgm: number; readonly teid: number }
  | { readonly isa: 'arm64'; readonly esr: number }
  | { readonly isa: 'riscv'; readonly scause: number }
  | { readonly isa: 'loongarch'; readonly ecode: number }
  | { readonly isa: 'generic'; readonly kind: number };

/** What an arch's page-fault entry makes of the hardware's report, before find_vma and access_error. */
export interface FaultEntry {
  /** FAULT_FLAG_WRITE. */
  readonly write: boolean;
  /** FAULT_FLAG_INSTRUCTION (an instruction fetch; the VMA must be VM_EXEC). */
  readonly exec: boolean;
  /** access_error regardless of the VMA: x86 a read of a present page (X86_PF_PROT without X86_PF_WRITE) or a key fault; LoongArch a privilege exception. */
  readonly denied: boolean;
  /** Not a fault the mm can resolve: x86 X86_PF_RSVD (pgtable_bad: an oops), powerpc page_fault_is_bad (SIGBUS). */
  readonly bad: 'pgtable' | 'sigbus' | null;
}

/** The record of `isa` (the hook's own); a record of another ISA is a daxsim bug. */
export function ownFault<I extends ArchFault['isa']>(isa: I, f: ArchFault): Extract<ArchFault, { isa: I }> {
  if (f.isa !== isa) throw new Error(`a ${f.isa} fault record handed to the ${isa} fault entry`);
  return f as Extract<ArchFault, { isa: I }>;
}

/**
 * A layout's fault encoding (arch_* in Linux terms: x86 do_page_fault's error code, powerpc's
 * DSISR/SRR1 decoding, s390's program-check codes). Pure: facts in, the arch's code out.
 */
export interface FaultHook {
  readonly isa: ArchFault['isa'];
  /** Fills out.code, out.vector and out.teidBits from the facts. */
  encode(f: FaultFacts, out: FaultCode): void;
  /** The names of the bits (or the code) in c.code, as the kernel's headers spell them. */
  codeNames(c: Readonly<FaultCode>): string[];
  /** The interrupt's name (#PF, DSI, program-check ...). */
  vectorName(c: Readonly<FaultCode>): string;
  /** The record the kernel reads, for the faulting address as uint32 halves. */
  record(c: Readonly<FaultCode>, vaHi: number, vaLo: number): ArchFault;
  /** Words a one-line description adds after the address (s390 the TEID bits), or ''. */
  detail(c: Readonly<FaultCode>): string;
  /**
   * The arch's page-fault entry (arch/<arch>/mm/fault.c): the fault flags it reads from the
   * record; `access` is the MMU's, which only a layout without its own encoding needs.
   */
  entry(f: ArchFault, access: AccessName): FaultEntry;
}

/** Names of the bits of `code` set in `table`, in the table's order. */
export function bitNames(code: number, table: Readonly<Record<string, number>>): string[] {
  const out: string[] = [];
  for (const [name, v] of Object.entries(table)) if ((code & v) !== 0) out.push(name);
  return out;
}

/** For a layout of an ISA without its own hook: the code is the FaultKind. */
export const genericFaultHook: FaultHook = {
  isa: 'generic',
  encode(f, out) {
    out.code = f.kind;
    out.vector = 0;
    out.teidBits = 0;
  },
  codeNames: (c) => [FAULT_KIND_NAMES[c.code] ?? String(c.code)],
  vectorName: () => 'fault',
  record: (c) => ({ isa: 'generic', kind: c.code }),
  detail: () => '',
  // No error code to read: the access is the MMU's.
  entry: (_f, access) => ({ write: access === 'write', exec: access === 'exec', denied: false, bad: null }),
};
