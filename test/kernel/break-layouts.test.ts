// Breaking layouts against pins (src/kernel/truncate.ts, gup.ts) and mkclean's transient state
// (mkclean.ts): what a task sees while another is stopped inside the kernel path.
import { describe, expect, it } from 'vitest';
import { runSteps } from '../../src/kernel/task.ts';
import { daxLayoutBusyPageRange } from '../../src/kernel/truncate.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import { badInput, runLines } from './scenario-rig.ts';

const PIN_HEAD = ['file F size 2M sparse', 'proc A', 'proc B', 'A mmap m F offset 0 length 2M rw shared', 'A pwrite F 0 16K byte 1'];

describe('break layouts and pins', () => {
  for (const op of ['truncate F 0', 'fallocate F punch 0 4K', 'fallocate F zero 8K 4K']) {
    it(`${op.split(' ')[0]} waits while a page of the file is pinned, and finishes at the unpin`, () => {
      // the DMA while B waits still lands in F's block (after a truncate the parser knows F as empty)
      const stillF = op.startsWith('truncate') ? [] : ['expect data F 4K 8 byte 7'];
      runLines('wait.dax', [...PIN_HEAD, 'A pin m 4K 4K as G', `B ${op}`, 'expect last blocked', 'dma G 0 8 byte 7', ...stillF, 'unpin G', 'expect done B', 'expect pte A m 4K absent']);
    });
  }

  it('waits again for the next pinned page, one wake per page going idle', () => {
    runLines('two.dax', [...PIN_HEAD, 'A pin m 0 4K as G', 'A pin m 8K 4K as H', 'B truncate F 0', 'expect last blocked', 'unpin H', 'expect hang B', 'unpin G', 'expect done B']);
  });

  it('a page pinned twice is idle only after both unpins', () => {
    runLines('twice.dax', [...PIN_HEAD, 'A pin m 0 4K as G', 'A pin m 0 4K as H', 'B truncate F 0', 'unpin G', 'expect hang B', 'unpin H', 'expect done B']);
  });

  it('does not wait where no VMA maps the file any more (dax_layout_busy_page_range: !mapping_mapped)', () => {
    runLines('unmapped.dax', [...PIN_HEAD, 'A pin m 0 4K as G', 'A munmap m', 'B truncate F 0', 'expect last ok', 'dma G 0 8 byte 7']);
  });

  it('lets faults in while it sleeps (ext4_wait_dax_page drops the invalidate_lock), and sees their pages', () => {
    runLines('fault-while-waiting.dax', [...PIN_HEAD, 'A pin m 0 4K as G', 'B fallocate F punch 8K 4K', 'expect last blocked', 'A read m 8K 8', 'expect last ok', 'unpin G', 'expect done B', 'expect pte A m 8K absent']);
  });

  it('an interleaving that never unpins is a hang, not an error', () => {
    const r = runLines('hang.dax', [...PIN_HEAD, 'A pin m 0 4K as G', 'B truncate F 0', 'expect hang B']);
    expect(r.tasks.B).toMatchObject({ state: 'blocked', hang: true, waiting_for: expect.stringMatching(/^the refcount of pinned page pfn 0x/) });
  });

  it('a statement of the sleeping task is refused as bad input naming the line', () => {
    expect(badInput([...PIN_HEAD, 'A pin m 0 4K as G', 'B truncate F 0', 'B fsync F'])).toMatch(/bad\.dax:8: B is blocked on the refcount of pinned page pfn 0x[0-9a-f]+ \(line 7\)/);
  });

  it("dax_layout_busy_page_range's range: fuse's end 0 (bug fuse-break-layouts-end0) scans page 0 only, end -1 the whole file", () => {
    const sim = new Simulation({ arch: 'x86_64' });
    const f = sim.file('F', 2 ** 21, { sparse: true });
    const a = sim.process('A');
    const m = a.mmap('m', f, { offset: 0, length: 2 ** 21 });
    a.pwrite(f, 0, 16384, 1);
    const pin = a.pin(m, 4096, 4096, 'G');
    const k = sim.kernel;
    expect(runSteps(daxLayoutBusyPageRange(k, f, 0, 0))).toBe(-1);
    expect(runSteps(daxLayoutBusyPageRange(k, f, 0, Number.MAX_SAFE_INTEGER))).toBe(pin.pfns[0]);
    sim.unpin(pin);
    expect(runSteps(daxLayoutBusyPageRange(k, f, 0, Number.MAX_SAFE_INTEGER))).toBe(-1);
  });
});

describe("mkclean's transient state", () => {
  const HEAD = ['file F size 2M', 'proc A', 'proc W'];
  for (const arch of ['x86_64', 'ppc64-radix', 'arm64-4k']) {
    it(`${arch}: between pmdp_invalidate and set_pmd_at the PMD is present to the kernel, gone from the TLB, and clean after`, () => {
      runLines('pmd.dax', [`arch ${arch}`, ...HEAD, 'A mmap m F offset 0 length 2M rw shared', 'A write m 0 8 byte 1', 'W start fsync F until after mkclean_clear', 'expect pte A m 0 present rw dirty pmd', 'expect tlb A m 0 empty', 'W resume', 'expect pte A m 0 present ro clean pmd']);
    });
  }

  it('bug mkclean-vs-dontneed: pmdp_huge_clear_flush leaves the PMD none in between', () => {
    runLines('none.dax', ['bug mkclean-vs-dontneed', ...HEAD, 'A mmap m F offset 0 length 2M rw shared', 'A write m 0 8 byte 1', 'W start fsync F until after mkclean_clear', 'expect pte A m 0 absent', 'W resume', 'expect pte A m 0 present ro clean pmd']);
  });

  it('a PTE is none in between (ptep_clear_flush) on either kernel', () => {
    for (const bug of [[], ['bug mkclean-vs-dontneed']]) {
      runLines('pte.dax', [...bug, ...HEAD, 'A mmap m F offset 4K length 4K rw shared', 'A write m 0 8 byte 1', 'W start fsync F until before mkclean_clear', 'expect pte A m 0 present rw dirty pte', 'W resume until after mkclean_clear', 'expect pte A m 0 absent', 'W resume', 'expect pte A m 0 present ro clean pte']);
    }
  });
});
