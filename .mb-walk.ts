import { Simulation } from './src/sim/simulation.ts';
import { newSlot } from './src/kernel/pgtable.ts';
const sim = new Simulation({ arch: 'x86_64', mkclean: 'range', check: false, cpus: 514 });
const F = sim.file('F', 2 * 2 ** 20);
const pgds: number[] = [], vas: number[] = [];
for (let i = 0; i < 513; i++) { const P = sim.process(`P${i}`); const v = P.mmap(`p${i}`, F, { offset: (i % 512) * 4096, length: 4096 }); P.write(v, 64, 8, 0x11); pgds.push(P.mm.pgd); vas.push(v.start); }
const pt = sim.kernel.pt; const slot = newSlot();
const L = sim.kernel.layout; const e = { lo: 0, hi: 0 };
for (let r = 0; r < 3; r++) {
  let t0 = performance.now();
  for (let k = 0; k < 2000; k++) for (let i = 0; i < 513; i++) pt.walk(pgds[i]!, vas[i]!, 3, false, slot);
  let tq = performance.now(); for (let k = 0; k < 2000; k++) for (let i = 0; i < 513; i++) pt.walk(pgds[7]!, vas[7]!, 3, false, slot); console.log("hot walk ns", ((performance.now() - tq) * 1e6 / (2000 * 513)).toFixed(1));
  let t1 = performance.now();
  console.log('walk ns', ((t1 - t0) * 1e6 / (2000 * 513)).toFixed(1));
  t0 = performance.now();
  for (let k = 0; k < 2000; k++) for (let i = 0; i < 513; i++) { sim.machine.mem.read64(pgds[i]! + 8, 'little', e); }
  t1 = performance.now();
  console.log('read64 ns', ((t1 - t0) * 1e6 / (2000 * 513)).toFixed(1));
  t0 = performance.now();
  for (let k = 0; k < 2000; k++) for (let i = 0; i < 513; i++) sim.machine.mmu.flushPage(i, vas[i]!);
  t1 = performance.now();
  console.log('flushPage ns', ((t1 - t0) * 1e6 / (2000 * 513)).toFixed(1));
}
