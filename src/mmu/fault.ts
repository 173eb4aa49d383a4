// Fault information, in each architecture's own terms. The MMU fills one FaultInfo per MMU,
// reused across faults (no allocation on the translate path); the kernel model reads it right
// after translate() returns -1, or copies it with snapshot().
//
// Encodings:
//  - x86-64: the page-fault error code bits as arch/x86/include/asm/trap_pf.h names them
//    (X86_PF_*), Intel SDM Vol. 3A 4.7 "Page-Fault Exceptions"; a non-canonical address raises
//    #GP(0), not #PF (SDM Vol. 3A 6.15, "Interrupt 13 - General Protection Exception", and
//    Vol. 1 3.3.7.1 "Canonical Addressing").
//  - Power (book3s64 radix): a Data Storage Interrupt (0x300) with DSISR bits, or an Instruction
//    Storage Interrupt (0x400) with SRR1 bits, as arch/powerpc/include/asm/reg.h names them
//    (DSISR_*, SRR1_ISI_*); an address the radix tree cannot translate raises a Data / Instruction
//    Segment Interrupt (0x380 / 0x480) (Power ISA v3.0B Book III 6.5.3, 6.5.5 and 6.7.10).
//  - s390x: program-interruption codes (z/Architecture Principles of Operation, chapter 6
//    "Program-Interruption Conditions", as named in arch/s390/include/asm/kvm_host.h PGM_*),
//    with the translation-exception identification bits arch/s390/mm/fault.c reads.

import type { Level } from '../../arch/types.ts';
import { ACCESS_NAMES, Access, FAULT_KIND_NAMES, FaultKind, Perm } from './consts.ts';

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

/** x86 page-fault error code bits (arch/x86/include/asm/trap_pf.h, enum x86_pf_error_code). */
export const X86_PF = {
  X86_PF_PROT: 1 << 0,
  X86_PF_WRITE: 1 << 1,
  X86_PF_USER: 1 << 2,
  X86_PF_RSVD: 1 << 3,
  X86_PF_INSTR: 1 << 4,
  X86_PF_PK: 1 << 5,
  X86_PF_SGX: 1 << 15,
} as const;
/** IDT vectors (SDM Vol. 3A table 6-1). */
export const X86_VECTOR_GP = 13;
export const X86_VECTOR_PF = 14;

/** DSISR bits (arch/powerpc/include/asm/reg.h) that the radix walker produces. */
export const DSISR = {
  DSISR_NOHPTE: 0x40000000,
  DSISR_PROTFAULT: 0x08000000,
  DSISR_ISSTORE: 0x02000000,
  DSISR_KEYFAULT: 0x00200000,
  DSISR_UNSUPP_MMU: 0x00080000,
} as const;
/** SRR1 bits on an ISI (arch/powerpc/include/asm/reg.h). SRR1 bit 44 is the same bit as DSISR_UNSUPP_MMU (DSISR_SRR1_MATCH_64S). */
export const SRR1 = {
  SRR1_ISI_NOPT: 0x40000000,
  SRR1_ISI_N_G_OR_CIP: 0x10000000,
  SRR1_ISI_PROT: 0x08000000,
  SRR1_KEYFAULT: 0x00200000,
  SRR1_UNSUPP_MMU: 0x00080000,
} as const;
/** Interrupt vectors (Power ISA v3.0B Book III 7.5, figure "Interrupt vector offsets"). */
export const PPC_VECTOR = { DSI: 0x300, DSEG: 0x380, ISI: 0x400, ISEG: 0x480 } as const;

/** Program-interruption codes (z/Architecture PoO ch. 6; names as arch/s390/include/asm/kvm_host.h). */
export const PGM = {
  PGM_PROTECTION: 0x04,
  PGM_SEGMENT_TRANSLATION: 0x10,
  PGM_PAGE_TRANSLATION: 0x11,
  PGM_TRANSLATION_SPEC: 0x12,
  PGM_ASCE_TYPE: 0x38,
  PGM_REGION_FIRST_TRANS: 0x39,
  PGM_REGION_SECOND_TRANS: 0x3a,
  PGM_REGION_THIRD_TRANS: 0x3b,
} as const;
/**
 * Translation-exception identification bits below the failing address (arch/s390/mm/fault.c):
 * 0x400 store / 0x800 fetch (store_indication 0xc00), 4 = the TEID is valid on a protection
 * exception (else low-address protection), 0x80 = instruction-execution protection.
 */
export const TEID = { STORE: 0x400, FETCH: 0x800, PROT_VALID: 0x4, IEP: 0x80 } as const;

/** Turns a fault's kind and circumstances into an architecture's own code and names it. */
export interface FaultModel {
  readonly isa: 'x86' | 'power' | 's390' | 'generic';
  /** Fills f.code, f.vector and f.teidBits from f.kind, f.access, f.user, f.level, f.cause. */
  encode(f: FaultInfo): void;
  /** The names of the bits (or the code) in f.code. */
  codeNames(f: FaultInfo): string[];
  vectorName(f: FaultInfo): string;
}

function bitNames(code: number, table: Readonly<Record<string, number>>): string[] {
  const out: string[] = [];
  for (const [name, v] of Object.entries(table)) if ((code & v) !== 0) out.push(name);
  return out;
}

export const x86FaultModel: FaultModel = {
  isa: 'x86',
  encode(f) {
    f.teidBits = 0;
    if (f.kind === FaultKind.NonCanonical) {
      // SDM Vol. 3A 6.15 (#GP): a memory reference in 64-bit mode to a non-canonical address; error code 0.
      f.vector = X86_VECTOR_GP;
      f.code = 0;
      return;
    }
    f.vector = X86_VECTOR_PF;
    // SDM Vol. 3A 4.7: W/R from the access, U/S from CPL, I/D for fetches (IA32_EFER.NXE is set by Linux).
    let c = 0;
    if (f.access === Access.Write) c |= X86_PF.X86_PF_WRITE;
    if (f.user) c |= X86_PF.X86_PF_USER;
    if (f.access === Access.Exec) c |= X86_PF.X86_PF_INSTR;
    // P=0 only when a non-present entry stopped the walk; RSVD and PK faults are on present entries.
    if (f.kind === FaultKind.Protection) c |= X86_PF.X86_PF_PROT;
    else if (f.kind === FaultKind.Reserved) c |= X86_PF.X86_PF_PROT | X86_PF.X86_PF_RSVD;
    else if (f.kind === FaultKind.Pkey) c |= X86_PF.X86_PF_PROT | X86_PF.X86_PF_PK;
    f.code = c;
  },
  codeNames: (f) => (f.vector === X86_VECTOR_GP ? [] : bitNames(f.code, X86_PF)),
  vectorName: (f) => (f.vector === X86_VECTOR_GP ? '#GP' : '#PF'),
};

export const powerFaultModel: FaultModel = {
  isa: 'power',
  encode(f) {
    f.teidBits = 0;
    const exec = f.access === Access.Exec;
    if (f.kind === FaultKind.NonCanonical) {
      // Power ISA v3.0B Book III 6.7.10: an EA outside the radix tree's range (or a quadrant with no tree modelled) -> segment interrupt.
      f.vector = exec ? PPC_VECTOR.ISEG : PPC_VECTOR.DSEG;
      f.code = 0;
      return;
    }
    if (exec) {
      f.vector = PPC_VECTOR.ISI;
      switch (f.kind) {
        case FaultKind.NotPresent:
          f.code = SRR1.SRR1_ISI_NOPT;
          break;
        case FaultKind.Reserved:
          f.code = SRR1.SRR1_UNSUPP_MMU;
          break;
        case FaultKind.Pkey:
          f.code = SRR1.SRR1_KEYFAULT;
          break;
        default:
          // reg.h: SRR1 bit 35 "an attempt at executing from a no-execute PTE"; other denials are bit 36.
          // SMEP's Power counterpart (KUEP) is an IAMR key fault.
          f.code =
            (f.cause & Cause.Smep) !== 0
              ? SRR1.SRR1_KEYFAULT
              : (f.cause & Cause.Exec) !== 0
                ? SRR1.SRR1_ISI_N_G_OR_CIP
                : SRR1.SRR1_ISI_PROT;
      }
      return;
    }
    f.vector = PPC_VECTOR.DSI;
    let c = f.access === Access.Write ? DSISR.DSISR_ISSTORE : 0;
    switch (f.kind) {
      case FaultKind.NotPresent:
        c |= DSISR.DSISR_NOHPTE;
        break;
      case FaultKind.Reserved:
        c |= DSISR.DSISR_UNSUPP_MMU;
        break;
      case FaultKind.Pkey:
        c |= DSISR.DSISR_KEYFAULT;
        break;
      default:
        // SMAP's Power counterpart (KUAP) blocks with the AMR: a key fault.
        c |= (f.cause & Cause.Smap) !== 0 ? DSISR.DSISR_KEYFAULT : DSISR.DSISR_PROTFAULT;
    }
    f.code = c;
  },
  codeNames: (f) => (f.vector === PPC_VECTOR.ISI ? bitNames(f.code, SRR1) : bitNames(f.code, DSISR)),
  vectorName: (f) =>
    f.vector === PPC_VECTOR.DSI ? 'DSI' : f.vector === PPC_VECTOR.ISI ? 'ISI' : f.vector === PPC_VECTOR.DSEG ? 'DSegI' : 'ISegI',
};

/** The translation exception an invalid entry raises, counted from the page table up (PoO ch. 3, "Translation Exceptions"). */
const S390_INVALID_FROM_BOTTOM = [
  PGM.PGM_PAGE_TRANSLATION,
  PGM.PGM_SEGMENT_TRANSLATION,
  PGM.PGM_REGION_THIRD_TRANS,
  PGM.PGM_REGION_SECOND_TRANS,
  PGM.PGM_REGION_FIRST_TRANS,
];

export const s390FaultModel: FaultModel = {
  isa: 's390',
  encode(f) {
    // With facility 75 the TEID tells a store from a fetch (fault.c: store_indication 0xc00).
    let teid = f.access === Access.Write ? TEID.STORE : TEID.FETCH;
    switch (f.kind) {
      case FaultKind.NotPresent:
        f.code = S390_INVALID_FROM_BOTTOM[f.levels.length - 1 - f.level] ?? PGM.PGM_ASCE_TYPE;
        break;
      case FaultKind.Reserved:
        f.code = PGM.PGM_TRANSLATION_SPEC;
        break;
      case FaultKind.NonCanonical:
        // PoO: address bits above the range of the ASCE's designation type are not zero.
        f.code = PGM.PGM_ASCE_TYPE;
        break;
      default:
        // DAT protection (store to a page whose P bit is set on some level), or instruction-execution protection.
        f.code = PGM.PGM_PROTECTION;
        teid |= TEID.PROT_VALID;
        if (f.access === Access.Exec) teid |= TEID.IEP;
    }
    f.vector = f.code;
    f.teidBits = teid;
  },
  codeNames(f) {
    for (const [name, v] of Object.entries(PGM)) if (v === f.code) return [name];
    return [];
  },
  vectorName: () => 'program-check',
};

/** For a layout of an ISA not modelled above: the code is the FaultKind. */
export const genericFaultModel: FaultModel = {
  isa: 'generic',
  encode(f) {
    f.code = f.kind;
    f.vector = 0;
    f.teidBits = 0;
  },
  codeNames: (f) => [FAULT_KIND_NAMES[f.code] ?? String(f.code)],
  vectorName: () => 'fault',
};

/** The fault model of a layout, chosen once from its name (x86_64*, ppc64*, s390*). */
export function faultModelFor(layoutName: string): FaultModel {
  if (layoutName.startsWith('x86')) return x86FaultModel;
  if (layoutName.startsWith('ppc') || layoutName.startsWith('power')) return powerFaultModel;
  if (layoutName.startsWith('s390')) return s390FaultModel;
  return genericFaultModel;
}

/** A plain copy of a FaultInfo, for logs and traces. */
export interface FaultSnapshot {
  kind: string;
  code: number;
  vector: number;
  names: string[];
  level: number;
  levelName: string | null;
  va: number;
  access: string;
  user: boolean;
  cpu: number;
  text: string;
}

const TWO32 = 4294967296;

/** The reused record of the last fault of one MMU. */
export class FaultInfo {
  /** FaultKind of the last fault (FaultKind.None before any). */
  kind: number = FaultKind.None;
  /** The architecture's code: x86 error code, DSISR / SRR1 bits, s390 program-interruption code. */
  code = 0;
  /** x86 IDT vector (14 #PF, 13 #GP); Power interrupt offset (0x300 ...); s390 the program-interruption code. */
  vector = 0;
  /** s390: the TEID bits below the failing address (TEID = (va & -4096) | teidBits); 0 elsewhere. */
  teidBits = 0;
  /** The level (index into layout.levels, 0 = root) where the walk stopped; -1 for an address never walked. */
  level = -1;
  /** The faulting virtual address (exact below 2^53; see vaHi/vaLo above). */
  va = 0;
  /** The 64-bit faulting address as uint32 halves. */
  vaHi = 0;
  vaLo = 0;
  access: number = Access.Read;
  user = false;
  cpu = 0;
  /** Protection faults: the Cause bits that failed. */
  cause = 0;
  /** The effective Perm bits of the walk (valid when the walk reached a leaf). */
  perms = 0;
  /** The entry where the walk stopped, its physical address (-1 if none was read). */
  entryLo = 0;
  entryHi = 0;
  entryPa = -1;

  constructor(
    readonly model: FaultModel,
    readonly levels: readonly Level[],
  ) {}

  /** Called by the MMU: record a fault and encode it. */
  set(kind: number, cpu: number, vaHi: number, vaLo: number, access: number, user: boolean, level: number): void {
    this.kind = kind;
    this.cpu = cpu;
    this.vaHi = vaHi >>> 0;
    this.vaLo = vaLo >>> 0;
    this.va = this.vaHi * TWO32 + this.vaLo;
    this.access = access;
    this.user = user;
    this.level = level;
    this.model.encode(this);
  }

  /** The names of the bits set in `code` (X86_PF_WRITE, DSISR_NOHPTE, PGM_PROTECTION, ...). */
  codeNames(): string[] {
    return this.model.codeNames(this);
  }

  get kindName(): string {
    return FAULT_KIND_NAMES[this.kind] ?? String(this.kind);
  }

  get levelName(): string | null {
    return this.level >= 0 ? (this.levels[this.level]?.name ?? null) : null;
  }

  /** One line for humans: `#PF 0x7 [X86_PF_PROT|X86_PF_WRITE|X86_PF_USER] protection write user va=0x7f0000001000 at pte`. */
  describe(): string {
    const va = '0x' + (BigInt(this.vaHi) * 4294967296n + BigInt(this.vaLo)).toString(16);
    const where = this.levelName !== null ? ` at ${this.levelName}` : '';
    const teid = this.model.isa === 's390' ? ` teid-bits=0x${this.teidBits.toString(16)}` : '';
    return (
      `${this.model.vectorName(this)} 0x${this.code.toString(16)} [${this.codeNames().join('|')}] ${this.kindName} ` +
      `${ACCESS_NAMES[this.access] ?? this.access} ${this.user ? 'user' : 'kernel'} va=${va}${where}${teid}`
    );
  }

  snapshot(): FaultSnapshot {
    return {
      kind: this.kindName,
      code: this.code,
      vector: this.vector,
      names: this.codeNames(),
      level: this.level,
      levelName: this.levelName,
      va: this.va,
      access: ACCESS_NAMES[this.access] ?? String(this.access),
      user: this.user,
      cpu: this.cpu,
      text: this.describe(),
    };
  }
}

/** Perm bit names, for dumps. */
export function permNames(p: number): string {
  let s = '';
  s += (p & Perm.R) !== 0 ? 'r' : '-';
  s += (p & Perm.W) !== 0 ? 'w' : '-';
  s += (p & Perm.X) !== 0 ? 'x' : '-';
  s += (p & Perm.U) !== 0 ? 'u' : '-';
  s += (p & Perm.D) !== 0 ? 'd' : '-';
  return s;
}
