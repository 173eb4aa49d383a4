// Every page-table layout daxsim models, in the order `daxsim arches` lists them.
// fsDaxLimited: derived from `devmap === null` where a driver provides page-less DAX (s390's
// DCSSBLK, bits.ts fsDaxLimitedFor); false on riscv64 and loongarch64, where nothing selects it.

import { genericFaultHook, type ArchFault, type FaultHook } from './fault.ts';
import type { Layout } from './types.ts';
import { x86_64 } from './x86_64.ts';
import { x86_64_la57 } from './x86_64-la57.ts';
import { ppc64Radix, ppc64Radix4k } from './ppc64-radix.ts';
import { ppc64Hash } from './ppc64-hash.ts';
import { s390x } from './s390x.ts';
import { arm64_4k, arm64_64k } from './arm64.ts';
import { riscv64Sv39, riscv64Sv48 } from './riscv64.ts';
import { loongarch64 } from './loongarch64.ts';

export const layouts: readonly Layout[] = Object.freeze([x86_64, x86_64_la57, ppc64Radix, s390x, arm64_4k, ppc64Radix4k, arm64_64k, riscv64Sv39, riscv64Sv48, loongarch64, ppc64Hash]);

const byName = new Map<string, Layout>(layouts.map((l) => [l.name, l]));

export function findLayout(name: string): Layout | undefined {
  return byName.get(name);
}

/** The fault hook that reads records of `isa` (every layout of an ISA shares its fault entry). */
export function faultHookOf(isa: ArchFault['isa']): FaultHook {
  return layouts.find((l) => l.hooks.fault.isa === isa)?.hooks.fault ?? genericFaultHook;
}
