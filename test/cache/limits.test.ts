// The cache model at the scenario language's limits (16 MiB per access, src/scenario/parse.ts
// LIMITS): a store over a range whose write-backs are still pending, and the crash states of a
// range flushed without a fence, used to be quadratic in the dirty lines (each store scanned
// the CPU's whole flush queue; each uncertain line scanned every CPU's queue). These tests hung
// for minutes before; they finish in seconds now. No timing is asserted: vitest's timeout is
// the guard.
import { describe, expect, it } from 'vitest';
import { PhysMem } from '../../src/mem/phys.ts';
import { crashStates, LINE_SIZE, PmemCache } from '../../src/cache/index.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { runScenario } from '../../src/scenario/run.ts';

const MiB = 2 ** 20;
const PM = 4 * 2 ** 40;
const ACCESS = 16 * MiB; // LIMITS.accessBytes
const LINES = ACCESS / LINE_SIZE;

function cache(): { mem: PhysMem; cache: PmemCache } {
  const mem = new PhysMem({ kind: 'dram', base: 0, size: 2 ** 30 }, { kind: 'pmem', base: PM, size: 2 ** 40 });
  return { mem, cache: new PmemCache(mem, { cpus: 2, persistence: 'adr' }) };
}

describe('the cache at the documented limits', () => {
  it('write 16 MiB, clwb it all without a fence, write it again: each store completes its own line\'s write-back', () => {
    const { mem, cache: c } = cache();
    c.store(0, PM, new Uint8Array(ACCESS).fill(1));
    c.wbRange(0, PM, ACCESS, 'clwb');
    expect(c.pendingFlushes(0)).toBe(LINES);
    c.store(0, PM, new Uint8Array(ACCESS).fill(2));
    // CLWB is ordered with later stores to its own line (SDM Vol. 2 CLWB): the first content
    // reached the media before the second store became visible, and nothing waits any more.
    expect(c.pendingFlushes(0)).toBe(0);
    expect(mem.readByte(PM)).toBe(1);
    expect(mem.readByte(PM + ACCESS - 1)).toBe(1);
    expect(c.counters.linesWrittenBack).toBe(LINES);
    const img = c.crashImage();
    expect(img.readByte(PM + ACCESS / 2)).toBe(1); // ADR worst case: the media
  });

  it('16 MiB flushed without a fence: every line is uncertain between media and the flushed snapshot', () => {
    const { cache: c } = cache();
    c.store(1, PM, new Uint8Array(ACCESS).fill(3));
    c.wbRange(1, PM, ACCESS, 'clflushopt');
    const u = c.uncertainLines();
    expect(u.length).toBe(LINES);
    expect(u[0]!.candidates.map((x) => x[0])).toEqual([0, 3]);
    expect(u[LINES - 1]!.pa).toBe(PM + ACCESS - LINE_SIZE);
    // Sampled crash states (4096 of 2^262144): each a single-line deviation from the worst case.
    const cs = crashStates(c);
    expect(cs.exhaustive).toBe(false);
    expect(cs.images.length).toBe(4096);
    expect(cs.images[0]!.readByte(PM)).toBe(0);
    expect(cs.images[1]!.readByte(PM + ACCESS - 1)).toBe(3); // every line at its newest
    expect(cs.images[2]!.readByte(PM)).toBe(3);
    expect(cs.images[2]!.readByte(PM + LINE_SIZE)).toBe(0);
    c.sfence(1);
    expect(c.uncertainLines()).toEqual([]);
  });

  it('a clflush on another line is completed by the next store, the store\'s own line too, and nothing else', () => {
    const { mem, cache: c } = cache();
    c.store(0, PM, new Uint8Array(3 * LINE_SIZE).fill(5));
    c.clwb(0, PM);
    c.clflush(0, PM + LINE_SIZE);
    c.clwb(0, PM + 2 * LINE_SIZE);
    c.store(0, PM + 2 * LINE_SIZE, new Uint8Array(8).fill(6));
    expect(mem.readByte(PM)).toBe(0); // clwb of another line: still pending
    expect(mem.readByte(PM + LINE_SIZE)).toBe(5); // clflush: ordered with later stores
    expect(mem.readByte(PM + 2 * LINE_SIZE)).toBe(5); // own line: ordered with the store
    expect(c.pendingFlushes(0)).toBe(1);
  });

  it('run --all-states over a range written, fsynced, rewritten and flushed without a fence', () => {
    const text = [
      'file F size 4M',
      'proc A',
      'A mmap a F offset 0 length 4M rw shared',
      'A write a 0 4M',
      'A fsync F',
      'A write a 0 4M',
      'A flush a 0 4M',
      'crash',
      'expect durable',
    ].join('\n');
    const r = runScenario(parseScenario(text, 'limits.dax'), { allStates: true });
    expect(r.durable).toBe(true);
    expect(r.expects.every((e) => e.ok)).toBe(true);
  });
});
