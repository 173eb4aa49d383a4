import { findLayout } from './arch/index.ts';
import { PhysMem } from './src/mem/phys.ts';
import { Mmu } from './src/mmu/index.ts';
import * as cg from './src/mmu/codegen.ts';
const L = findLayout('x86_64')!;
const orig = cg.generateSource;
const mem = new PhysMem({ kind: 'dram', base: 0, size: 2 ** 32 }, { kind: 'pmem', base: 2 ** 42, size: 2 ** 40 });
const m = new Mmu(L, mem, {});
console.log(m.translate.toString()); console.log(m.walkTo.toString().slice(0, 2500));
