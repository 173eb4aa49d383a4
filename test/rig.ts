// What the arch and MMU tests set up the same way: a leaf pgprot, and memory with one page-table
// tree (src/mmu/builder.ts) under an Mmu whose CPUs all run it.
import { entryToBigInt, newEntry } from '../arch/bits.ts';
import type { Layout, LeafProt } from '../arch/types.ts';
import { FrameAllocator } from '../src/mem/frames.ts';
import { PhysMem } from '../src/mem/phys.ts';
import { DEFAULT_PROT, TableBuilder } from '../src/mmu/builder.ts';
import { Mmu, type MmuOptions } from '../src/mmu/index.ts';
import { Simulation, type MapOptions, type SimulationOptions } from '../src/sim/simulation.ts';

export const GiB = 2 ** 30;
export const TiB = 2 ** 40;
/** Where the rig's pmem range starts (above its 1 GiB of DRAM). */
export const PMEM = 4 * TiB;

/** A user leaf's pgprot: read-only, clean, old unless `p` says otherwise. */
export function prot(p: Partial<LeafProt> = {}): LeafProt {
  return { ...DEFAULT_PROT, write: false, ...p };
}

/** 1 GiB of DRAM and 1 TiB of pmem at PMEM, a TableBuilder, and an Mmu of `cpus` CPUs on its root. */
export function mmuRig(L: Layout, opts: MmuOptions = {}, cpus = 2): { mem: PhysMem; frames: FrameAllocator; b: TableBuilder; mmu: Mmu } {
  const mem = new PhysMem({ kind: 'dram', base: 0, size: GiB }, { kind: 'pmem', base: PMEM, size: TiB });
  const frames = new FrameAllocator(mem, mem.dram);
  const b = new TableBuilder(L, mem, frames);
  const mmu = new Mmu(L, mem, { cpus, ...opts });
  for (let c = 0; c < cpus; c++) mmu.setRoot(c, b.root);
  return { mem, frames, b, mmu };
}

/** The kernel tests' usual start: a simulation, file F of `size` bytes, process P with mapping m of it. */
export function oneMapping(opts: SimulationOptions, size: number, map: MapOptions) {
  const sim = new Simulation(opts);
  const F = sim.file('F', size);
  const P = sim.process('P');
  const m = P.mmap('m', F, map);
  return { sim, F, P, m };
}

/** The seed's mappings (README "The seed scenario"): A maps F's first `aLength` bytes, B one page at offset 4 KiB. */
export function seedMappings(opts: SimulationOptions, aLength = 2 * 2 ** 20) {
  const sim = new Simulation(opts);
  const F = sim.file('F', 2 * 2 ** 20);
  const A = sim.process('A');
  const B = sim.process('B');
  const a = A.mmap('a', F, { offset: 0, length: aLength });
  const b = B.mmap('b', F, { offset: 4096, length: 4096 });
  return { sim, F, A, B, a, b };
}

/** What src/kernel/fault.ts leafProt asks for a DAX pfn: a read fault's pgprot (user, young;
 * devmap where the layout has the bit, else insert_pfn's pte_mkspecial) and a write fault's. */
export function daxProts(devmap: boolean): { read: LeafProt; write: LeafProt } {
  const read: LeafProt = { write: false, user: true, exec: false, dirty: false, young: true, devmap, special: !devmap };
  return { read, write: { ...read, write: true, dirty: true } };
}

/** One DAX leaf's life as raw values: the read fault's entry, the write fault's, and what
 * page_vma_mkclean_one leaves of the write fault's (pte_wrprotect, then pte_mkclean). */
export function daxLeafValues(L: Layout, level: number, pfn: number, p = daxProts(L.devmap !== null)): [read: bigint, write: bigint, cleaned: bigint] {
  const e = newEntry();
  L.mkLeaf(level, pfn, p.read, e);
  const read = entryToBigInt(e);
  L.mkLeaf(level, pfn, p.write, e);
  const write = entryToBigInt(e);
  L.wrprotect(level, e);
  L.mkclean(level, e);
  return [read, write, entryToBigInt(e)];
}
