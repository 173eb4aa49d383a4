// Benchmarks of the pmem cache model (src/cache/) and the litmus explorer (src/litmus/).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCase } from './case.ts';
import { x86_64 } from '../arch/x86_64.ts';
import { archWbCachePmem, crashStates, PmemCache } from '../src/cache/index.ts';
import { explore, parseLitmus } from '../src/litmus/index.ts';
import { PhysMem } from '../src/mem/phys.ts';

const PM = 2 ** 40;
const MiB = 2 ** 20;

function machine(history = false): PmemCache {
  const mem = new PhysMem({ kind: 'dram', base: 0, size: MiB }, { kind: 'pmem', base: PM, size: 1024 * MiB });
  return new PmemCache(mem, { cpus: 4, persistence: 'adr', history });
}

let cache = machine();
const word = new Uint8Array(8);
let addr = 0;
const STORES = 1024;

let crashCache = machine(true);
const CRASH_LINES = 10; // 2 candidates each: 1024 states per call
let statesPerCall = 0;
const probe = new Uint8Array(8);

let wbCache = machine();

const here = dirname(fileURLToPath(import.meta.url));
const sb = parseLitmus(readFileSync(join(here, '..', 'test', 'litmus', 'adr-flush-by-other-thread.litmus'), 'utf8'), 'adr-flush-by-other-thread.litmus');
let visited = 0;
// a 5-thread eADR test with racing loads and stores (~880 k machine states after reduction)
const race5 = parseLitmus(
  [
    'persistence eadr',
    'T0: store X 1; store Y 1; load Y a; load Z b',
    'T1: store Y 2; store Z 2; load Z c; load X d',
    'T2: store Z 3; store X 3; load X e; load Y f',
    'T3: load X g; load Y h; load Z i',
    'T4: load Z j; load Y k; load X l',
  ].join('\n'),
  'race5.litmus',
);
let raceVisited = 0;
let raceMs = 1;
let litmusHz = 0;

export const cases: BenchCase[] = [
  {
    // 8-byte stores through the model into a 1 MiB working set of dirty lines (one op = 1024 stores)
    name: 'cache-store',
    setup() {
      cache = machine();
      addr = 0;
    },
    fn() {
      for (let i = 0; i < STORES; i++) {
        word[0] = i;
        cache.store(0, PM + addr, word);
        addr = (addr + 8) & (MiB - 1);
      }
    },
    extra: () => ({ stores_per_op: STORES, dirty_lines: cache.dirtyLines().length }),
  },
  {
    // every crash state of 10 uncertain lines (1024 images), each read back (one op = 1024 states)
    name: 'crash-enumerate',
    setup() {
      crashCache = machine(true);
      for (let i = 0; i < CRASH_LINES; i++) crashCache.store(0, PM + i * 4096, new Uint8Array([i + 1]));
    },
    fn() {
      const cs = crashStates(crashCache, { limit: 4096 });
      for (const im of cs.images) for (let i = 0; i < CRASH_LINES; i++) im.readBytes(PM + i * 4096, 8, probe);
      statesPerCall = cs.images.length;
    },
    extra: () => ({ states_per_op: statesPerCall }),
  },
  {
    // arch_wb_cache_pmem (x86: clwb loop + sfence) over a 2 MiB extent with 16 dirty lines
    name: 'archwb-2MiB-16dirty',
    setup() {
      wbCache = machine();
    },
    fn() {
      for (let i = 0; i < 16; i++) wbCache.store(0, PM + i * 131072, word);
      archWbCachePmem(wbCache, 0, x86_64.hooks.wbCachePmem, PM, 2 * MiB);
    },
  },
  {
    // the litmus explorer on a two-thread test (adr-flush-by-other-thread.litmus)
    name: 'litmus-explore-2thread',
    fn() {
      const t0 = performance.now();
      visited = explore(sb).visited;
      litmusHz = 1000 / Math.max(1e-6, performance.now() - t0);
    },
    extra: () => ({ machine_states: visited, machine_states_per_s: Math.round(visited * litmusHz) }),
  },
  {
    // the explorer on a 5-thread test (one op = one whole exploration; states/s in the extras)
    name: 'litmus-explore-5thread-race',
    minSamples: 2,
    fn() {
      const t0 = performance.now();
      raceVisited = explore(race5).visited;
      raceMs = performance.now() - t0;
    },
    extra: () => ({ machine_states: raceVisited, machine_states_per_s: Math.round((raceVisited / raceMs) * 1000) }),
  },
];
