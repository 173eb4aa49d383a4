// The seed scenario (README "The seed scenario", src/scenario/seed.ts) on every arch x
// strategy, with its expected outcome table and the state of B's entry after each step.
import { describe, expect, it } from 'vitest';
import { layouts } from '../../arch/index.ts';
import { SEED_STRATEGIES, type Strategy } from '../../src/kernel/kernel.ts';
import { Simulation } from '../../src/sim/simulation.ts';

const MiB = 2 ** 20;

function seed(arch: string, mkclean: Strategy, persistence: 'adr' | 'eadr' = 'adr') {
  const sim = new Simulation({ arch, mkclean, persistence });
  const page = sim.pageSize;
  const F = sim.file('F', 2 * MiB);
  const A = sim.process('A');
  const B = sim.process('B');
  const a = A.mmap('a', F, { offset: 0, length: 2 * MiB });
  const b = B.mmap('b', F, { offset: page, length: page });
  const steps: Record<string, ReturnType<Simulation['entry']>> = {};
  A.write(a, 0, 64); // 1
  steps.aAfter1 = sim.entry(A, a, 0);
  B.write(b, 0, 64); // 2
  steps.bAfter2 = sim.entry(B, b, 0);
  A.fsync(F); // 3
  steps.aAfter3 = sim.entry(A, a, 0);
  steps.bAfter3 = sim.entry(B, b, 0);
  B.write(b, 0, 64); // 4
  steps.bAfter4 = sim.entry(B, b, 0);
  const entriesAfter4 = sim.daxEntries(F);
  A.fsync(F); // 5
  const result = sim.crash(); // 6
  return { sim, steps, result, faultsB: sim.faults(B), entriesAfter4, page };
}

/** The PMD size of a layout: a 2 MiB file holds a PMD entry only where it is at most 2 MiB. */
const pmdBytes = (l: (typeof layouts)[number]): number => 2 ** l.levels[l.pmdLevel]!.shift;
const devmapArches = layouts.filter((l) => l.devmap !== null && pmdBytes(l) <= 2 * MiB).map((l) => l.name);
const bigPmdArches = layouts.filter((l) => l.devmap !== null && pmdBytes(l) > 2 * MiB).map((l) => l.name);
const limitedArches = layouts.filter((l) => l.fsDaxLimited).map((l) => l.name);
/** No ZONE_DEVICE and no FS_DAX_LIMITED: Kconfig cannot enable fsdax (riscv64, loongarch64); the run is a what-if. */
const noFsDaxArches = layouts.filter((l) => l.devmap === null && !l.fsDaxLimited).map((l) => l.name);

describe('seed scenario, arches with a devmap bit and a 2 MiB PMD (FS_DAX_PMD on)', () => {
  it.each(devmapArches.flatMap((a) => (['buggy', 'page-head'] as const).map((s) => [a, s] as const)))('%s/%s loses B\'s second write; B\'s PTE stays writable and dirty after fsync', (arch, strategy) => {
    const { steps, result, faultsB, entriesAfter4, page } = seed(arch, strategy);
    expect(steps.aAfter1).toMatchObject({ present: true, write: true, dirty: true, level: 'pmd', devmap: true });
    expect(steps.bAfter2).toMatchObject({ present: true, write: true, dirty: true, level: 'pte' });
    expect(steps.bAfter2!.pfn).toBe(steps.aAfter1!.pfn + 1); // head pfn + 1
    expect(steps.aAfter3).toMatchObject({ write: false, dirty: false, level: 'pmd' });
    expect(steps.bAfter3).toMatchObject({ present: true, write: true, dirty: true }); // missed
    expect(faultsB.wp).toBe(0); // step 4 took no fault
    expect(entriesAfter4).toEqual([expect.objectContaining({ index: 0, dirty: false })]); // nothing re-dirtied the entry
    expect(result.durable).toBe(false);
    expect(result.lost).toEqual([{ file: 'F', offset: page, length: 64 }]);
  });

  it.each(devmapArches.flatMap((a) => (['range', 'page'] as const).map((s) => [a, s] as const)))('%s/%s: durable; B\'s PTE clean and read-only after fsync, then a wp fault re-dirties the entry', (arch, strategy) => {
    const { steps, result, faultsB, entriesAfter4 } = seed(arch, strategy);
    expect(steps.aAfter3).toMatchObject({ present: true, write: false, dirty: false, level: 'pmd' });
    expect(steps.bAfter3).toMatchObject({ present: true, write: false, dirty: false, level: 'pte' });
    expect(faultsB.wp).toBe(1);
    expect(steps.bAfter4).toMatchObject({ present: true, write: true, dirty: true, level: 'pte' });
    expect(entriesAfter4).toEqual([expect.objectContaining({ index: 0, order: expect.any(Number), dirty: true })]);
    expect(result.durable).toBe(true);
  });
});

describe('seed scenario, a PMD larger than the 2 MiB file (arm64-64k: 512 MiB)', () => {
  it.each(bigPmdArches.flatMap((a) => SEED_STRATEGIES.map((s) => [a, s] as const)))('%s/%s: FS_DAX_PMD on, yet every entry is one page: B\'s page is its own entry, cleaned, durable', (arch, strategy) => {
    const { sim, steps, result, faultsB, entriesAfter4, page } = seed(arch, strategy);
    expect(sim.fsDaxPmd).toBe(true);
    expect(steps.aAfter1).toMatchObject({ present: true, write: true, dirty: true, level: 'pte' });
    expect(steps.bAfter3).toMatchObject({ present: true, write: false, dirty: false, level: 'pte' });
    expect(faultsB.wp).toBe(1);
    expect(entriesAfter4).toContainEqual(expect.objectContaining({ index: 1, order: 0, dirty: true }));
    expect(result.durable).toBe(true);
    expect(page).toBe(2 ** sim.layout.pageShift);
  });
});

describe('seed scenario, layouts without a devmap bit (FS_DAX_LIMITED)', () => {
  it.each(limitedArches.flatMap((a) => SEED_STRATEGIES.map((s) => [a, s] as const)))('%s/%s: no PMD, every entry one page, durable', (arch, strategy) => {
    const { sim, steps, result } = seed(arch, strategy);
    expect(sim.fsDaxLimited).toBe(true);
    expect(sim.fsDaxPmd).toBe(false);
    expect(steps.aAfter1).toMatchObject({ present: true, level: 'pte' });
    expect(result.durable).toBe(true);
  });
});

describe('seed scenario where fsdax cannot be enabled (no devmap bit, no FS_DAX_LIMITED): a what-if', () => {
  it.each(noFsDaxArches.flatMap((a) => SEED_STRATEGIES.map((s) => [a, s] as const)))('%s/%s: no arch_wb_cache_pmem, so fsync writes nothing back and both writes are lost under ADR', (arch, strategy) => {
    const { sim, steps, result, page } = seed(arch, strategy);
    expect(sim.layout.hooks.wbCachePmem).toBeNull();
    expect(sim.fsDaxPmd).toBe(false);
    expect(steps.aAfter1).toMatchObject({ present: true, level: 'pte' });
    expect(steps.bAfter3).toMatchObject({ present: true, write: false, dirty: false }); // mkclean itself worked
    expect(result.durable).toBe(false);
    expect(result.lost).toEqual(expect.arrayContaining([{ file: 'F', offset: 0, length: 64 }, { file: 'F', offset: page, length: 64 }]));
  });
});

describe('seed scenario under eADR', () => {
  it.each(layouts.map((l) => l.name))('%s/buggy: the cache is persistent, so nothing is lost (the bug is invisible)', (arch) => {
    const { result, steps } = seed(arch, 'buggy', 'eadr');
    expect(result.durable).toBe(true);
    if (devmapArches.includes(arch)) expect(steps.bAfter3).toMatchObject({ write: true, dirty: true });
  });
});
