// The fault as data (src/mmu/fault.ts HwFault): what a kernel's fault entry reads, in each
// architecture's own terms: x86 #PF and its X86_PF_* error code (SDM Vol. 3A 4.7), Power DSI
// with DSISR / ISI with SRR1 (arch/powerpc/include/asm/reg.h), s390 program-interruption code
// with the TEID (arch/s390/mm/fault.c), plus the address, access and level.
import { describe, expect, it } from 'vitest';
import { findLayout } from '../../arch/index.ts';
import type { Layout } from '../../arch/types.ts';
import { FrameAllocator } from '../../src/mem/frames.ts';
import { PhysMem } from '../../src/mem/phys.ts';
import { TableBuilder } from '../../src/mmu/builder.ts';
import { Access, DSISR, Mmu, PGM, SRR1, TEID, X86_PF } from '../../src/mmu/index.ts';

const TiB = 2 ** 40;
const PMEM = 4 * TiB;

function rig(name: string) {
  const L = findLayout(name) as Layout;
  const mem = new PhysMem({ kind: 'dram', base: 0, size: 2 ** 30 }, { kind: 'pmem', base: PMEM, size: TiB });
  const b = new TableBuilder(L, mem, new FrameAllocator(mem, mem.dram));
  const mmu = new Mmu(L, mem);
  mmu.setRoot(0, b.root);
  return { L, b, mmu };
}

describe('the fault record', () => {
  it('x86: a user store to a read-only PTE is #PF with PROT|WRITE|USER at the pte', () => {
    const { b, mmu, L } = rig('x86_64');
    b.map(0x7f0000001000, PMEM, L.levels.length - 1, { write: false, young: true });
    expect(mmu.translate(0, 0x7f0000001008, Access.Write, true)).toBe(-1);
    expect(mmu.fault.record()).toEqual({
      kind: 'protection',
      va: 0x7f0000001008,
      vaHi: 0x7f00,
      vaLo: 0x1008,
      access: 'write',
      user: true,
      cpu: 0,
      level: 3,
      levelName: 'pte',
      arch: { isa: 'x86', vector: 'PF', errorCode: X86_PF.X86_PF_PROT | X86_PF.X86_PF_WRITE | X86_PF.X86_PF_USER },
      code: { code: 7, vector: 14, teidBits: 0 },
    });
    expect(mmu.fault.describe()).toBe('#PF 0x7 [X86_PF_PROT|X86_PF_WRITE|X86_PF_USER] protection write user va=0x7f0000001008 at pte');
  });

  it('x86: a non-canonical address is #GP(0), never walked', () => {
    const { mmu } = rig('x86_64');
    expect(mmu.translateBig(0, 0x0000800000000000n, Access.Read, true)).toBe(-1);
    expect(mmu.fault.record()).toMatchObject({ kind: 'non-canonical', level: -1, levelName: null, arch: { isa: 'x86', vector: 'GP', errorCode: 0 } });
  });

  it('Power: a store with no translation is a DSI with DSISR_NOHPTE|DSISR_ISSTORE; a fetch an ISI with SRR1', () => {
    const { mmu } = rig('ppc64-radix');
    expect(mmu.translate(0, 0x10000000, Access.Write, true)).toBe(-1);
    expect(mmu.fault.record().arch).toEqual({ isa: 'power', vector: 'DSI', dsisr: DSISR.DSISR_NOHPTE | DSISR.DSISR_ISSTORE, srr1: 0 });
    expect(mmu.translate(0, 0x10000000, Access.Exec, true)).toBe(-1);
    expect(mmu.fault.record().arch).toEqual({ isa: 'power', vector: 'ISI', dsisr: 0, srr1: SRR1.SRR1_ISI_NOPT });
  });

  it('s390: a store to a protected page is PGM_PROTECTION with the TEID of its page', () => {
    const { b, mmu, L } = rig('s390x');
    b.map(0x10000000, PMEM, L.levels.length - 1, { write: false, young: true, dirty: true });
    expect(mmu.translate(0, 0x10000123, Access.Write, true)).toBe(-1);
    expect(mmu.fault.record()).toMatchObject({
      kind: 'protection',
      access: 'write',
      levelName: 'pte',
      arch: { isa: 's390', pgm: PGM.PGM_PROTECTION, teid: 0x10000000 | TEID.STORE | TEID.PROT_VALID },
    });
  });
});
