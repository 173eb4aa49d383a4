// The fault an MMU raises, as data. The MMU fills one FaultInfo per MMU, reused across faults
// (no allocation on the translate path); the layout's fault hook (arch/types.ts ArchHooks.fault)
// turns the architecture-neutral facts into the architecture's own code:
//  - x86-64: #PF with the X86_PF_* error code, #GP(0) for a non-canonical address (arch/x86_64.ts);
//  - Power (book3s64 radix): DSI/ISI with DSISR/SRR1 bits, segment interrupts (arch/ppc64-radix.ts);
//  - s390x: program-interruption codes with TEID bits (arch/s390x.ts).
// record() copies it into a typed HwFault, what a kernel's fault entry reads (as QEMU's
// TranslateFault or v86's PageFault); describe() is the text, built only where something prints.

import { ACCESS_NAMES, Access, FAULT_KIND_NAMES, FaultKind, type AccessName, type ArchFault, type FaultCode, type FaultFacts, type FaultHook, type FaultKindName } from '../../arch/fault.ts';
import type { Level, LevelName } from '../../arch/types.ts';
import { Perm } from './consts.ts';

/** One fault as a typed record, allocated only when asked for (never on the translate path). */
export interface HwFault {
  readonly kind: FaultKindName;
  /** The faulting address (exact below 2^53; vaHi/vaLo always). */
  readonly va: number;
  readonly vaHi: number;
  readonly vaLo: number;
  readonly access: AccessName;
  readonly user: boolean;
  readonly cpu: number;
  /** Level index where the walk stopped (-1: never walked), and its kernel name. */
  readonly level: number;
  readonly levelName: LevelName | null;
  /** The architecture's own report: x86 vector and error code, Power DSISR/SRR1, s390 PGM code and TEID. */
  readonly arch: ArchFault;
  /** The same code as the layout's fault hook encoded it (what faultText() names). */
  readonly code: Readonly<FaultCode>;
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
export class FaultInfo implements FaultFacts, FaultCode {
  /** FaultKind of the last fault (FaultKind.None before any). */
  kind: number = FaultKind.None;
  code = 0;
  vector = 0;
  teidBits = 0;
  /** The level (index into layout.levels, 0 = root) where the walk stopped; -1 for an address never walked. */
  level = -1;
  /** The faulting virtual address (exact below 2^53; see vaHi/vaLo). */
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
  readonly levelCount: number;

  constructor(
    readonly hook: FaultHook,
    readonly levels: readonly Level[],
  ) {
    this.levelCount = levels.length;
  }

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
    this.hook.encode(this, this);
  }

  /** The names of the bits set in `code` (X86_PF_WRITE, DSISR_NOHPTE, PGM_PROTECTION, ...). */
  codeNames(): string[] {
    return this.hook.codeNames(this);
  }

  get kindName(): FaultKindName {
    return FAULT_KIND_NAMES[this.kind] ?? 'none';
  }

  get levelName(): LevelName | null {
    return this.level >= 0 ? (this.levels[this.level]?.name ?? null) : null;
  }

  get accessName(): AccessName {
    return ACCESS_NAMES[this.access] ?? 'read';
  }

  /** The fault as a typed record (allocates; read it right after translate() returned -1). */
  record(): HwFault {
    return {
      kind: this.kindName,
      va: this.va,
      vaHi: this.vaHi,
      vaLo: this.vaLo,
      access: this.accessName,
      user: this.user,
      cpu: this.cpu,
      level: this.level,
      levelName: this.levelName,
      arch: this.hook.record(this, this.vaHi, this.vaLo),
      code: { code: this.code, vector: this.vector, teidBits: this.teidBits },
    };
  }

  /** One line for humans: `#PF 0x7 [X86_PF_PROT|X86_PF_WRITE|X86_PF_USER] protection write user va=0x7f0000001000 at pte`. */
  describe(): string {
    return faultText(this.hook, this.record());
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
      access: this.accessName,
      user: this.user,
      cpu: this.cpu,
      text: this.describe(),
    };
  }
}

/** A recorded fault's one-line text, named by the layout's fault hook that encoded it. */
export function faultText(hook: FaultHook, f: HwFault): string {
  return describeFault(f, hook.vectorName(f.code), f.code.code, hook.codeNames(f.code), hook.detail(f.code));
}

/** The one-line text of a fault: vector, code and its names, kind, access, mode, address, level. */
export function describeFault(f: HwFault, vectorName: string, code: number, names: readonly string[], detail: string): string {
  const va = '0x' + (BigInt(f.vaHi) * 4294967296n + BigInt(f.vaLo)).toString(16);
  const where = f.levelName !== null ? ` at ${f.levelName}` : '';
  return `${vectorName} 0x${code.toString(16)} [${names.join('|')}] ${f.kind} ${f.access} ${f.user ? 'user' : 'kernel'} va=${va}${where}${detail}`;
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
