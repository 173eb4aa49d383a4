import { layouts } from './arch/index.ts';
import { FrameAllocator } from './src/mem/frames.ts';
import { PhysMem } from './src/mem/phys.ts';
import { TableBuilder } from './src/mmu/builder.ts';
import { Mmu } from './src/mmu/index.ts';
import { Mmu as OldMmu } from '/tmp/oldtree/src/mmu/index.ts';
const TiB = 2 ** 40, GiB = 2 ** 30;
let seed = 12345;
const rnd = (n: number) => { seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0; return seed % n; };
for (const L of layouts) {
  for (const entries of [16, 4096]) {
    const mk = () => { const mem = new PhysMem({ kind: 'dram', base: 0, size: GiB }, { kind: 'pmem', base: 4 * TiB, size: TiB }); const frames = new FrameAllocator(mem, mem.dram); return { mem, bs: [new TableBuilder(L, mem, frames), new TableBuilder(L, mem, frames)] }; };
    const RA = mk(), RB = mk();
    const bs = RA.bs;
    const both = (f: (b: TableBuilder[]) => void) => { f(RA.bs); f(RB.bs); };
    const pte = L.levels.length - 1;
    const page = 2 ** L.levels[pte]!.shift;
    const huge = 2 ** L.levels[pte - 1]!.shift;
    const A = new Mmu(L, RA.mem, { cpus: 3, tlbEntries: entries });
    const B = new OldMmu(L, RB.mem, { cpus: 3, tlbEntries: entries });
    const vaOf = () => (rnd(4) === 0 ? 0x40000000 + rnd(8) * huge + rnd(huge / 8) * 8 : 0x10000000 + rnd(64) * page + rnd(page / 8) * 8);
    let ops = 0;
    for (let i = 0; i < 60000; i++) {
      const op = rnd(100);
      const cpu = rnd(3);
      if (op < 3) { const r = rnd(2), asid = rnd(4); A.setRoot(cpu, bs[r]!.root, asid); B.setRoot(cpu, bs[r]!.root, asid); }
      else if (op < 8) { const r = rnd(2); const va = 0x10000000 + rnd(64) * page; const pa = 4 * TiB + rnd(1000) * page; const o = { write: rnd(2) === 0, young: rnd(2) === 0, dirty: rnd(2) === 0 }; both((b) => b[r]!.map(va, pa, pte, o)); }
      else if (op < 9) { const r = rnd(2); const va = 0x40000000 + rnd(8) * huge; const pa = 4 * TiB + rnd(100) * huge; const o = { write: true, young: true, dirty: rnd(2) === 0 }; both((b) => b[r]!.map(va, pa, pte - 1, o)); }
      else if (op < 12) { const va = vaOf(); A.flushPage(cpu, va); B.flushPage(cpu, va); }
      else if (op < 14) { const va = vaOf(); const end = va + rnd(40) * page; A.flushRange(cpu, va, end); B.flushRange(cpu, va, end); }
      else if (op < 24) { const a = rnd(5); if (a === 4) { A.flushAsid(cpu); B.flushAsid(cpu); } else { A.flushAsid(cpu, a); B.flushAsid(cpu, a); } }
      else if (op < 25) { A.flushAll(cpu); B.flushAll(cpu); }
      else { const va = vaOf(); const acc = rnd(2); const x = A.translate(cpu, va, acc, true); const y = B.translate(cpu, va, acc, true); if (x !== y) throw new Error(`${L.name} op ${i}: translate ${x} vs ${y}`); ops++; }
      if (i % 97 === 0) {
        for (let c = 0; c < 3; c++) if (A.tlbCount(c) !== B.tlbCount(c)) throw new Error(`${L.name} op ${i}: tlbCount ${A.tlbCount(c)} vs ${B.tlbCount(c)}`);
        const va = vaOf();
        const pa = JSON.stringify(A.tlbProbe(cpu, va)), pb = JSON.stringify(B.tlbProbe(cpu, va));
        if (pa !== pb) throw new Error(`${L.name} op ${i}: probe ${pa} vs ${pb}`);
      }
      const sa = JSON.stringify(A.counters.snapshot()), sb = JSON.stringify(B.counters.snapshot());
      if (sa !== sb) throw new Error(`${L.name} op ${i} (${op}): counters\n${sa}\n${sb}`);
    }
    console.log(L.name, entries, 'ok', ops, JSON.stringify(A.counters.snapshot()));
  }
}
