import { findLayout } from './arch/index.ts';
const L = findLayout('x86_64')!;
const es = [{ lo: 0x12345067, hi: 0 }, { lo: 0x80000e7, hi: 0x80000000 }, { lo: 0x1234067, hi: 0 }];
for (let r = 0; r < 3; r++) {
  let s = 0; let t0 = performance.now();
  for (let i = 0; i < 5e6; i++) { const e = es[i % 3]!; if (L.isNone(i & 3, e)) s++; if (L.isLeaf(i & 3, e)) s++; s += L.tableAddress(i & 3, e); }
  console.log('layout 3 calls ns', ((performance.now() - t0) * 1e6 / 5e6).toFixed(1), s > 0);
}
