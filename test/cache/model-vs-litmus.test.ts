// Cross-check: for single-thread programs the sequential cache model (PmemCache, history mode,
// every crash state) and the litmus explorer (store buffers + line snapshots) must agree on
// the set of persistent states once the program ends with an mfence (PmemCache has no store
// buffers: its stores are visible when they return, so its crash comes after the buffers
// drained). Crashing with entries still buffered, the explorer allows more: a clflush still
// buffered behind nothing, a store not yet visible; there PmemCache's states are a subset.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crashStates, PmemCache, type Persistence } from '../../src/cache/index.ts';
import { explore, formatState, parseLitmus } from '../../src/litmus/index.ts';
import { PhysMem } from '../../src/mem/phys.ts';

const PM = 2 ** 40;
const LOCS = ['A', 'A+8', 'B', 'B+8'];
const addr = (l: string): number => PM + (l.startsWith('A') ? 0 : 4096) + (l.endsWith('+8') ? 8 : 0);

type Op = [string, string, number];
const opArb: fc.Arbitrary<Op> = fc.tuple(
  fc.constantFrom('store', 'store', 'store', 'ntstore', 'clflush', 'clflushopt', 'clwb', 'sfence', 'mfence'),
  fc.constantFrom(...LOCS),
  fc.integer({ min: 1, max: 3 }),
);

function viaCache(ops: Op[], persistence: Persistence, named: string[]): Set<string> {
  const mem = new PhysMem({ kind: 'dram', base: 0, size: 2 ** 16 }, { kind: 'pmem', base: PM, size: 2 ** 20 });
  const c = new PmemCache(mem, { cpus: 1, persistence, history: true });
  const v = (n: number): Uint8Array => new Uint8Array([n, 0, 0, 0, 0, 0, 0, 0]);
  for (const [k, l, n] of ops) {
    const pa = addr(l);
    if (k === 'store') c.store(0, pa, v(n));
    else if (k === 'ntstore') c.ntstore(0, pa, v(n));
    else if (k === 'clflush') c.clflush(0, pa);
    else if (k === 'clflushopt') c.clflushopt(0, pa);
    else if (k === 'clwb') c.clwb(0, pa);
    else if (k === 'sfence') c.sfence(0);
    else c.mfence(0);
  }
  const out = new Set<string>();
  const b = new Uint8Array(8);
  for (const im of crashStates(c, { limit: 1 << 16 }).images) {
    out.add(named.map((l) => (im.readBytes(addr(l), 8, b), `${l}=${b[0]}`)).join(' '));
  }
  return out;
}

function viaLitmus(ops: Op[], persistence: Persistence): { set: Set<string>; named: string[] } {
  const text = `persistence ${persistence}\nT0: ${ops.map(([k, l, n]) => (k.endsWith('fence') ? k : k.includes('store') ? `${k} ${l} ${n}` : `${k} ${l}`)).join('; ')}\n`;
  const o = explore(parseLitmus(text, 'gen.litmus'));
  return { set: new Set(o.states.map((r) => formatState(o.keys, r))), named: o.keys };
}

describe('PmemCache agrees with the litmus explorer on single-thread programs', () => {
  const check = (persistence: Persistence, trailingFence: boolean): void => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 7 }), (body) => {
        const ops: Op[] = trailingFence ? [...body, ['mfence', 'A', 0]] : body;
        if (!ops.some(([k]) => k.includes('store') || k.startsWith('cl'))) return;
        const { set, named } = viaLitmus(ops, persistence);
        const cache = viaCache(ops, persistence, named);
        if (trailingFence) expect(cache).toEqual(set);
        else for (const st of cache) expect(set).toContain(st);
      }),
      { numRuns: 300, seed: 42 },
    );
  };
  it('ADR, crash anywhere', () => check('adr', false));
  it('ADR, after an mfence', () => check('adr', true));
  it('eADR, after an mfence', () => check('eadr', true));
});
