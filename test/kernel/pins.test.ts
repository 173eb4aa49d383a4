// GUP pins and DMA (src/kernel/gup.ts): `P pin M O L as G` faults the pages in as write faults
// and takes GUP_PIN_COUNTING_BIAS references on them, `dma G O L` is a device store through
// the pinned pfns straight to pmem, `unpin G` drops the references.
import { describe, expect, it } from 'vitest';
import { formatStmt } from '../../src/scenario/format.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { runScenario } from '../../src/scenario/run.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import { GUP_PIN_COUNTING_BIAS, pageRefCount } from '../../src/kernel/gup.ts';
import { badInput, runLines } from './scenario-rig.ts';

const HEAD = ['file F size 2M', 'proc A'];

describe('pin', () => {
  it('faults an unmapped range in as a write fault would (one PMD fault), mapping it writable and dirty', () => {
    runLines('pin-pmd.dax', [...HEAD, 'A mmap m F offset 0 length 2M rw shared', 'A pin m 4K 8K as G', 'expect faults A read 0 write 1 wp 0', 'expect pte A m 4K present rw dirty pmd', 'expect entry F 0 real pmd dirty']);
  });

  it('upgrades a read-faulted PTE with a write-protect fault, page by page', () => {
    runLines('pin-wp.dax', [...HEAD, 'A mmap m F offset 0 length 16K rw shared', 'A read m 0 16K', 'expect faults A read 4 write 0 wp 0', 'A pin m 0 8K as G', 'expect faults A read 4 write 0 wp 2', 'expect pte A m 0 present rw dirty pte', 'expect pte A m 8K present ro pte']);
  });

  it('takes no fault where the mapping is writable already, and holds GUP_PIN_COUNTING_BIAS per page', () => {
    const sim = new Simulation({ arch: 'x86_64' });
    const f = sim.file('F', 2 ** 21);
    const a = sim.process('A');
    const m = a.mmap('m', f, { offset: 0, length: 16384 });
    a.write(m, 0, 16384, 1);
    const before = sim.faults(a);
    const pin = a.pin(m, 100, 5000, 'G'); // bytes 100 .. 5099: pages 0 and 1
    expect(sim.faults(a)).toEqual(before);
    expect(pin.pfns).toHaveLength(2);
    expect(pin.pfns[1]).toBe(pin.pfns[0]! + 1);
    for (const pfn of pin.pfns) expect(pageRefCount(sim.kernel, pfn)).toBe(1 + GUP_PIN_COUNTING_BIAS);
    const again = a.pin(m, 4096, 1, 'H');
    expect(pageRefCount(sim.kernel, again.pfns[0]!)).toBe(1 + 2 * GUP_PIN_COUNTING_BIAS);
    sim.unpin(pin);
    expect(pageRefCount(sim.kernel, pin.pfns[0]!)).toBe(1);
    expect(pageRefCount(sim.kernel, pin.pfns[1]!)).toBe(1 + GUP_PIN_COUNTING_BIAS);
    sim.unpin(again);
    expect(pageRefCount(sim.kernel, again.pfns[0]!)).toBe(1);
  });

  it('on a private mapping pins the copy-on-write page, not the file block', () => {
    runLines('pin-cow.dax', [...HEAD, 'A pwrite F 0 4K byte 1', 'A mmap p F offset 0 length 4K rw private', 'A pin p 0 4K as G', 'dma G 0 8 byte 9', 'expect view A p 0 8 byte 9', 'expect data F 0 8 byte 1']);
  });
});

describe('dma', () => {
  it('stores straight to pmem: durable with no flush, coherent with the cached line it shares', () => {
    runLines('dma.dax', [...HEAD, 'A mmap m F offset 0 length 4K rw shared', 'A write m 0 64 byte 1', 'A pin m 0 4K as G', 'dma G 0 8 byte 7', 'expect view A m 0 8 byte 7', 'expect view A m 8 8 byte 1', 'crash', 'expect durable', 'expect data F 0 8 byte 7', 'expect data F 8 8 zero']);
  });

  it('reaches the bytes at its offset in the pinned range, across pages', () => {
    runLines('dma-offset.dax', [...HEAD, 'A mmap m F offset 0 length 16K rw shared', 'A pin m 4K 8K as G', 'dma G 4090 12 byte 5', 'expect data F 8186 12 byte 5', 'expect data F 8180 6 zero', 'expect data F 8198 6 zero']);
  });

  it('goes on through the pinned pfns after the process unmapped them', () => {
    runLines('dma-unmapped.dax', [...HEAD, 'A mmap m F offset 0 length 4K rw shared', 'A pin m 0 4K as G', 'A munmap m', 'dma G 0 8 byte 3', 'expect data F 0 8 byte 3']);
  });
});

describe('bad input', () => {
  const M = [...HEAD, 'A mmap m F offset 0 length 8K rw shared'];
  const cases: Array<[string, string[], RegExp]> = [
    ['pin of an unmapped mapping', [...M, 'A munmap m', 'A pin m 0 4K as G'], /bad\.dax:5: mapping 'm' was unmapped/],
    ['pin past the mapping', [...M, 'A pin m 4K 8K as G'], /bad\.dax:4: offset 4096 \+ length 8192 is past the end of mapping 'm'/],
    ['pin of a read-only mapping', [...HEAD, 'A mmap r F offset 0 length 4K ro shared', 'A pin r 0 4K as G'], /bad\.dax:4: mapping 'r' is read-only: a pin is get_user_pages\(FOLL_WRITE\)/],
    ['pin name reused', [...M, 'A pin m 0 4K as m'], /bad\.dax:4: name 'm' is already used/],
    ['pin without as', [...M, 'A pin m 0 4K G'], /bad\.dax:4: expected 'P pin M O L as G'/],
    ['dma of an unknown pin', [...M, 'dma G 0 8'], /bad\.dax:4: unknown pin 'G'/],
    ['dma past the pin', [...M, 'A pin m 0 4K as G', 'dma G 4090 8'], /bad\.dax:5: offset 4090 \+ length 8 is past the end of pin 'G' \(4096 bytes\)/],
    ['dma after unpin', [...M, 'A pin m 0 4K as G', 'unpin G', 'dma G 0 8'], /bad\.dax:6: pin 'G' was unpinned/],
    ['unpin twice', [...M, 'A pin m 0 4K as G', 'unpin G', 'unpin G'], /bad\.dax:6: pin 'G' was unpinned/],
    ['dma byte', [...M, 'A pin m 0 4K as G', 'dma G 0 8 byte 256'], /bad\.dax:5: byte 256 does not fit in a byte/],
  ];
  for (const [name, lines, want] of cases) {
    it(name, () => {
      const msg = badInput(lines);
      expect(msg.split('\n')).toHaveLength(1);
      expect(msg).toMatch(want);
    });
  }

  it('a pin where DAX pages have no struct page (FS_DAX_LIMITED, s390x) is refused as the kernel does', () => {
    expect(badInput(['arch s390x', ...M, 'A pin m 0 4K as G'])).toMatch(/bad\.dax:5: get_user_pages at 0x[0-9a-f]+: the DAX page has no struct page to pin \(FS_DAX_LIMITED; follow_pfn_pte, EEXIST\)/);
  });

  it('round-trips through the formatter', () => {
    const lines = ['A pin m 4096 100 as G', 'dma G 0 8 byte 3', 'dma G 8 8', 'unpin G'];
    const scn = parseScenario([...M, ...lines].join('\n'), 't.dax');
    expect(scn.stmts.slice(-4).map(formatStmt)).toEqual(lines);
    expect(runScenario(scn).expects).toEqual([]);
  });
});
