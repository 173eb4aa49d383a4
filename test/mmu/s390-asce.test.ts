// s390 processes walk 3 levels, as a real 6.1 task does: init_new_context
// (arch/s390/include/asm/mmu_context.h) gives a new mm asce_limit _REGION2_SIZE and a
// region-third ASCE, mmap_base lies below 4 TiB (arch/s390/mm/mmap.c, STACK_TOP of
// asm/processor.h), and crst_table_upgrade (arch/s390/mm/pgalloc.c) adds levels only for a
// mapping above that. The ASCE's designation type tells the hardware where the walk starts.
import { describe, expect, it } from 'vitest';
import { s390x, S390_MMAP_BASE, S390_REGION2_SIZE } from '../../arch/s390x.ts';
import { x86_64 } from '../../arch/x86_64.ts';
import { FrameAllocator } from '../../src/mem/frames.ts';
import { PhysMem } from '../../src/mem/phys.ts';
import { TableBuilder } from '../../src/mmu/builder.ts';
import { Access, Mmu, PGM } from '../../src/mmu/index.ts';
import { Simulation } from '../../src/sim/simulation.ts';

const MiB = 2 ** 20;
const TiB = 2 ** 40;

describe('s390x: a 3-level (region-third) address space', () => {
  it('a process maps below mmap_base, its CPU holds a region-third ASCE, and each PTE walk reads 3 entries', () => {
    const sim = new Simulation({ arch: 's390x', mkclean: 'range' });
    const F = sim.file('F', 2 * MiB);
    const A = sim.process('A');
    const a = A.mmap('a', F, { offset: 0, length: 2 * MiB });
    expect(a.start + 2 * MiB).toBeLessThanOrEqual(S390_MMAP_BASE);
    const hw = sim.machine.hwMmu;
    expect(hw.rootLevelOf(A.mm.cpu)).toBe(2);
    // _ASCE_TYPE_REGION3 | _ASCE_USER_BITS | _ASCE_TABLE_LENGTH in the low bits.
    expect(hw.rootOf(A.mm.cpu) % 4096).toBe(0x4 | 0x1c0 | 0x3);
    A.write(a, 0, 64);
    hw.counters.reset();
    hw.flushAll(A.mm.cpu);
    expect(hw.translate(A.mm.cpu, a.start + 4096 * 3, Access.Read, true)).toBe(-1); // not yet faulted in: a page-translation exception
    expect(hw.fault.code).toBe(PGM.PGM_PAGE_TRANSLATION);
    expect(hw.translate(A.mm.cpu, a.start + 8, Access.Read, true)).toBeGreaterThan(0);
    // Region-third, segment and page table: 3 references (5 with the region-first ASCE of before).
    expect(hw.counters.snapshot()).toMatchObject({ walks: 2, walkRefs: 6 });
  });

  it('an address at or above 4 TiB is beyond the region-third designation: ASCE-type exception', () => {
    const sim = new Simulation({ arch: 's390x', mkclean: 'range' });
    const A = sim.process('A');
    const hw = sim.machine.hwMmu;
    expect(hw.translate(A.mm.cpu, S390_REGION2_SIZE, Access.Read, true)).toBe(-1);
    expect(hw.fault.code).toBe(PGM.PGM_ASCE_TYPE);
    expect(hw.fault.level).toBe(-1);
    expect(hw.translate(A.mm.cpu, S390_REGION2_SIZE - 4096, Access.Read, true)).toBe(-1);
    expect(hw.fault.code).toBe(PGM.PGM_REGION_THIRD_TRANS);
  });

  it('upgrading the ASCE (crst_table_upgrade) keeps every translation and widens the range', () => {
    const mem = new PhysMem({ kind: 'dram', base: 0, size: 2 ** 30 }, { kind: 'pmem', base: 4 * TiB, size: TiB });
    const frames = new FrameAllocator(mem, mem.dram);
    // The full 5-level tree; the 3-level ASCE designates its region-third table under pgd[0] / p4d[0].
    const b = new TableBuilder(s390x, mem, frames);
    b.map(0x10000000, 4 * TiB, 4, { write: true, young: true, dirty: true });
    b.map(5 * TiB, 4 * TiB + MiB, 4, { write: true, young: true, dirty: true });
    const r3 = b.entryPa(0, 2);
    const mmu = new Mmu(s390x, mem);
    mmu.setRoot(0, s390x.hooks.root.encode(r3, 2));
    expect(mmu.translate(0, 0x10000010, Access.Read, true)).toBe(4 * TiB + 0x10);
    expect(mmu.translate(0, 5 * TiB, Access.Read, true)).toBe(-1);
    expect(mmu.fault.code).toBe(PGM.PGM_ASCE_TYPE);
    mmu.setRoot(0, s390x.hooks.root.encode(b.entryPa(0, 1), 1));
    expect(mmu.translate(0, 0x10000010, Access.Read, true)).toBe(4 * TiB + 0x10);
    expect(mmu.translate(0, 5 * TiB + 8, Access.Read, true)).toBe(4 * TiB + MiB + 8);
    expect(mmu.counters.snapshot().walkRefs).toBe(3 + 4 + 4);
  });

  it('other layouts keep their one root level: x86 processes still walk 4', () => {
    const sim = new Simulation({ arch: 'x86_64', mkclean: 'range' });
    const A = sim.process('A');
    expect(sim.machine.hwMmu.rootLevelOf(A.mm.cpu)).toBe(0);
    expect(x86_64.hooks.root.levels).toEqual([0]);
  });
});
