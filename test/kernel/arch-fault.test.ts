// The arch's page-fault entry reads the hardware's report, not a flag handed alongside it:
// do_user_addr_fault's X86_PF_* bits, powerpc's DSISR, s390's program-interruption code and TEID
// (arch/x86/mm/fault.c, arch/powerpc/mm/fault.c, arch/s390/mm/fault.c).
import { describe, expect, it } from 'vitest';
import { DSISR } from '../../arch/ppc64-radix.ts';
import { PGM, TEID } from '../../arch/s390x.ts';
import { X86_PF } from '../../arch/x86_64.ts';
import { decodeFault } from '../../src/kernel/arch-fault.ts';
import { UserFault } from '../../src/kernel/errors.ts';
import type { HwFault } from '../../src/kernel/ports.ts';
import { Simulation } from '../../src/sim/simulation.ts';

const ARCHES = ['x86_64', 'x86_64-la57', 'ppc64-radix', 's390x'] as const;

/** What the kernel received for each fault of `run`, with the text a listener builds from it. */
function faultsOf(arch: string, run: (sim: Simulation) => void): Array<{ kind: string; hw: HwFault; text: string }> {
  const sim = new Simulation({ arch });
  const seen: Array<{ kind: string; hw: HwFault; text: string }> = [];
  sim.listen({ fault: (_mm, _va, kind, _how, hw) => hw !== null && seen.push({ kind, hw, text: sim.machine.mmu.describeFault(hw) }) });
  run(sim);
  return seen;
}

/** The seed's first steps: A writes a fresh page, fsync write-protects it, A writes again. */
function writeFsyncWrite(sim: Simulation): void {
  const f = sim.file('F', 2 << 20);
  const a = sim.process('A');
  const m = a.mmap('m', f, { offset: 0, length: 1 << 20 });
  a.write(m, 0, 8);
  a.fsync(f);
  a.write(m, 0, 8);
}

describe('the fault reaches the kernel as the hardware reported it', () => {
  it.each(ARCHES)('%s: a first write and a write-protect fault decode as writes, from the arch code', (arch) => {
    const faults = faultsOf(arch, writeFsyncWrite);
    expect(faults.map((f) => f.kind)).toEqual(['write', 'wp']);
    for (const f of faults) {
      expect(f.hw.access).toBe('write');
      expect(decodeFault(f.hw)).toEqual({ write: true, exec: false, denied: false, bad: null });
    }
    const [first, wp] = faults.map((f) => f.hw.arch);
    if (first!.isa === 'x86' && wp!.isa === 'x86') {
      expect(first!.errorCode).toBe(X86_PF.X86_PF_WRITE | X86_PF.X86_PF_USER);
      expect(wp!.errorCode).toBe(X86_PF.X86_PF_PROT | X86_PF.X86_PF_WRITE | X86_PF.X86_PF_USER);
      expect(faults[1]!.text).toMatch(/^#PF 0x7 \[X86_PF_PROT\|X86_PF_WRITE\|X86_PF_USER\] protection write user va=0x[0-9a-f]+ at pte$/);
    } else if (first!.isa === 'power' && wp!.isa === 'power') {
      expect(first!.dsisr).toBe(DSISR.DSISR_ISSTORE | DSISR.DSISR_NOHPTE);
      expect(wp!.dsisr).toBe(DSISR.DSISR_ISSTORE | DSISR.DSISR_PROTFAULT);
    } else if (first!.isa === 's390' && wp!.isa === 's390') {
      // A new mm's region-third table is empty: the walk stops at its invalid entry.
      expect(first!.pgm).toBe(PGM.PGM_REGION_THIRD_TRANS);
      expect(first!.teid % 4096).toBe(TEID.STORE);
      expect(wp!.pgm).toBe(PGM.PGM_PROTECTION);
      expect(faults[1]!.text).toContain('PGM_PROTECTION');
    } else {
      throw new Error(`unexpected fault records ${JSON.stringify([first, wp])}`);
    }
  });

  it.each(ARCHES)('%s: a read fault decodes as a read', (arch) => {
    const faults = faultsOf(arch, (sim) => {
      const a = sim.process('A');
      const m = a.mmap('m', sim.file('F', 2 << 20), { offset: 0, length: 4096 });
      a.read(m, 0, 8);
    });
    expect(faults.map((f) => f.kind)).toEqual(['read']);
    expect(decodeFault(faults[0]!.hw)).toEqual({ write: false, exec: false, denied: false, bad: null });
  });

  it.each(ARCHES)('%s: a write to a read-only mapping is refused by access_error (SIGSEGV), after the MMU reported a write', (arch) => {
    const sim = new Simulation({ arch });
    const a = sim.process('A');
    const m = a.mmap('m', sim.file('F', 2 << 20), { offset: 0, length: 4096, write: false });
    expect(() => a.write(m, 0, 8)).toThrow(UserFault);
    expect(() => a.write(m, 0, 8)).toThrow(/^write to read-only mapping m at 0x[0-9a-f]+ \(.+\)$/);
    expect(decodeFault(sim.machine.mmu.lastFault()).write).toBe(true);
  });
});

describe('each arch entry reads its own bits', () => {
  const base = { kind: 'protection', va: 0x1000, vaHi: 0, vaLo: 0x1000, user: true, cpu: 0, level: 3, levelName: 'pte', code: { code: 0, vector: 0, teidBits: 0 } } as const;
  const hw = (arch: HwFault['arch'], access: HwFault['access'] = 'read'): HwFault => ({ ...base, access, arch });

  it('x86: a read of a present page (X86_PF_PROT alone) and a key fault are access errors; RSVD is pgtable_bad', () => {
    expect(decodeFault(hw({ isa: 'x86', vector: 'PF', errorCode: X86_PF.X86_PF_PROT | X86_PF.X86_PF_USER })).denied).toBe(true);
    expect(decodeFault(hw({ isa: 'x86', vector: 'PF', errorCode: X86_PF.X86_PF_PROT | X86_PF.X86_PF_WRITE | X86_PF.X86_PF_PK }, 'write'))).toMatchObject({ write: true, denied: true });
    expect(decodeFault(hw({ isa: 'x86', vector: 'PF', errorCode: X86_PF.X86_PF_PROT | X86_PF.X86_PF_RSVD })).bad).toBe('pgtable');
    expect(decodeFault(hw({ isa: 'x86', vector: 'PF', errorCode: X86_PF.X86_PF_USER | X86_PF.X86_PF_INSTR }, 'exec'))).toMatchObject({ write: false, exec: true });
    // The record's error code decides, not the access the MMU was asked for.
    expect(decodeFault(hw({ isa: 'x86', vector: 'PF', errorCode: X86_PF.X86_PF_USER }, 'write')).write).toBe(false);
  });

  it('powerpc: DSISR_ISSTORE is a write, an ISI an instruction fetch, DSISR_UNSUPP_MMU page_fault_is_bad (SIGBUS)', () => {
    expect(decodeFault(hw({ isa: 'power', vector: 'DSI', dsisr: DSISR.DSISR_ISSTORE | DSISR.DSISR_PROTFAULT, srr1: 0 })).write).toBe(true);
    expect(decodeFault(hw({ isa: 'power', vector: 'ISI', dsisr: 0, srr1: 0x40000000 }, 'exec'))).toMatchObject({ write: false, exec: true });
    expect(decodeFault(hw({ isa: 'power', vector: 'DSI', dsisr: DSISR.DSISR_UNSUPP_MMU, srr1: 0 })).bad).toBe('sigbus');
  });

  it('s390: a protection exception is VM_WRITE, a translation exception a write only when the TEID says store', () => {
    expect(decodeFault(hw({ isa: 's390', pgm: PGM.PGM_PROTECTION, teid: 0x1000 + TEID.PROT_VALID })).write).toBe(true);
    expect(decodeFault(hw({ isa: 's390', pgm: PGM.PGM_PAGE_TRANSLATION, teid: 0x1000 + TEID.FETCH })).write).toBe(false);
    expect(decodeFault(hw({ isa: 's390', pgm: PGM.PGM_SEGMENT_TRANSLATION, teid: 0x1000 + TEID.STORE })).write).toBe(true);
    expect(decodeFault(hw({ isa: 's390', pgm: PGM.PGM_PROTECTION, teid: 0x1000 + TEID.PROT_VALID + TEID.IEP }, 'exec'))).toMatchObject({ write: false, exec: true });
  });
});
