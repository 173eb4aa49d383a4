// The filesystem of a DAX file (`file F size N [sparse] [fs ext4|xfs|virtiofs]`,
// src/kernel/fs.ts): each one's break-layouts function before a punch, zero range or
// truncate, MAP_SYNC where its file_operations allow it, and the same DAX fault and
// writeback (fs/dax.c) under all three.
import { describe, expect, it } from 'vitest';
import { FS_NAMES, FS_RULES } from '../../src/kernel/fs.ts';
import { runSteps } from '../../src/kernel/task.ts';
import { fuseDaxBreakLayouts } from '../../src/kernel/truncate.ts';
import { Simulation } from '../../src/sim/simulation.ts';
import { badInput, runLines } from './scenario-rig.ts';

describe('per-filesystem DAX rules', () => {
  for (const fs of FS_NAMES) {
    it(`${fs}: a PMD fault, fsync and a punch that breaks layouts (${FS_RULES[fs].breakLayouts})`, () => {
      runLines('fs.dax', [
        `file F size 4M sparse fs ${fs}`,
        'proc A',
        'A mmap a F offset 0 length 4M rw shared',
        'A write a 0 8 byte 1',
        'expect pte A a 0 present rw dirty pmd',
        'A fsync F',
        'A write a 2M 8 byte 2',
        'A fallocate F punch 2M 2M',
        // the whole file's mappings go (every fs breaks the layouts of the whole file in 6.1)
        'expect pte A a 0 absent',
        'expect pte A a 2M absent',
        'expect view A a 0 8 byte 1',
        'expect view A a 2M 8 zero',
      ]);
    });
  }

  it('MAP_SYNC: ext4 and xfs have mmap_supported_flags = MAP_SYNC; virtiofs (fuse) does not: EOPNOTSUPP', () => {
    for (const fs of ['ext4', 'xfs']) runLines('fs.dax', [`file F size 2M fs ${fs}`, 'proc A', 'A mmap a F offset 0 length 2M rw shared sync', 'A write a 0 8']);
    expect(badInput(['file F size 2M fs virtiofs', 'proc A', 'A mmap a F offset 0 length 2M rw shared sync'])).toBe(
      'daxsim: bad.dax:3: MAP_SYNC on virtiofs file F: its file_operations support no MAP_SYNC (EOPNOTSUPP)',
    );
  });

  it('fuse_dax_break_layouts: end -1 reaches the whole file, end 0 only its first page (dax_layout_busy_page_range)', () => {
    for (const [end, gone] of [[-1, true], [0, false]] as const) {
      const sim = new Simulation({ arch: 'x86_64' });
      const F = sim.file('F', 2 ** 22, { fs: 'virtiofs' });
      const A = sim.process('A');
      const a = A.mmap('a', F, { offset: 0, length: 2 ** 22, write: true, shared: true });
      A.write(a, 0, 8, 1);
      A.write(a, 2 ** 21, 8, 2);
      runSteps(fuseDaxBreakLayouts(sim.kernel, F, 0, end));
      expect(sim.entry(A, a, 0).present).toBe(false);
      expect(sim.entry(A, a, 2 ** 21).present).toBe(!gone);
    }
  });

  it('bad input', () => {
    expect(badInput(['file F size 2M fs btrfs'])).toBe("daxsim: bad.dax:1: fs must be ext4, xfs or virtiofs, not 'btrfs'");
    expect(badInput(['file F size 2M fs xfs fs ext4'])).toBe("daxsim: bad.dax:1: expected 'file F size N [sparse] [fs ext4|xfs|virtiofs]'");
    expect(badInput(['file F size 2M sparse sparse'])).toBe("daxsim: bad.dax:1: unexpected 'sparse' (expected sparse, fs ext4|xfs|virtiofs, each at most once)");
  });
});
