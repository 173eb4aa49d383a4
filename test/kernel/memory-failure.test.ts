// Memory failure on a DAX page (src/kernel/memory-failure.ts): `P poison F O` records the bad
// block and runs 6.1's memory_failure_dev_pagemap -> mf_generic_kill_procs in P's context:
// dax_lock_page, unmap of the page when current's mm maps it, SIGBUS (BUS_MCEERR_AR) to it;
// a later fault on the bad block gets -EIO from the pmem driver: SIGBUS, or a PMD fallback.
import { describe, expect, it } from 'vitest';
import { formatStmt } from '../../src/scenario/format.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { badInput, runLines } from './scenario-rig.ts';

const HEAD = ['file F size 2M', 'proc A', 'proc M', 'A mmap m F offset 1M length 64K rw shared', 'A read m 0 1'];

describe('poison', () => {
  it('unmaps the largest leaf of the poisoner (a PMD: the whole 2 MiB, every mapping) and sends it SIGBUS', () => {
    const r = runLines('mf-pmd.dax', [
      'file F size 2M',
      'proc A',
      'proc M',
      'M mmap mm F offset 0 length 2M ro shared',
      'M read mm 0 1',
      'expect pte M mm 0 present ro pmd',
      'A mmap m F offset 1M length 64K rw shared',
      'A read m 0 1', // a PTE into the PMD entry's pages
      'expect pte A m 0 present ro pte',
      'M poison F 8K',
      'expect last SIGBUS',
      'expect pte M mm 0 absent',
      'expect pte A m 0 absent', // 1 MiB into the same PMD: unmap_mapping_range covered it
      'expect dmesg Sending SIGBUS to M',
      'expect dmesg recovery action for dax page: Recovered',
      // a good block faults in again; the PMD fault over the bad block falls back to PTEs
      'A read m 0 1',
      'expect last ok',
      'M read mm 0 1',
      'expect pte M mm 0 present ro pte',
      'M read mm 8K 1',
      'expect last SIGBUS',
      'expect pte M mm 8K absent',
    ]);
    expect(r.dmesg.filter((l) => l.includes('Sending SIGBUS'))).toHaveLength(1);
  });

  it('leaves the mappings of other processes alone when the poisoner maps nothing (no early kill)', () => {
    runLines('mf-other.dax', [...HEAD, 'M poison F 1M', 'expect last ok', 'expect pte A m 0 present ro pte', 'expect dmesg recovery action for dax page: Recovered']);
  });

  it('fails (dax_lock_page: no page->mapping) for a block no fault has mapped, and later faults on it SIGBUS', () => {
    runLines('mf-unmapped.dax', [...HEAD, 'M poison F 4K', 'expect last ok', 'expect dmesg recovery action for dax page: Failed', 'A write m 4K 1', 'expect last ok', 'M mmap mm F offset 0 length 8K rw shared', 'M write mm 4K 1', 'expect last SIGBUS']);
  });

  it('waits for a locked entry, then goes on once its holder unlocks it', () => {
    runLines('mf-wait.dax', [...HEAD, 'thread H of A', 'H start write m 0 1 until before insert_pfn', 'A poison F 1M', 'expect last blocked', 'H resume', 'expect done H', 'expect done A', 'expect pte A m 0 absent', 'expect dmesg Sending SIGBUS to A']);
  });

  it('bug dax-lock-entry-deadlock: woken, it spins on its own xa_lock for ever, and an fsync of F spins behind it', () => {
    const r = runLines('mf-deadlock.dax', ['bug dax-lock-entry-deadlock', ...HEAD, 'thread H of A', 'H start write m 0 1 until before insert_pfn', 'M poison F 1M', 'expect last blocked', 'H resume', 'expect done H', 'expect hang M', 'expect pte A m 0 present rw dirty pte', 'proc B', 'B fsync F', 'expect last blocked', 'expect hang B']);
    expect(r.tasks.M!.waiting_for).toBe("xa_lock of F's i_pages, which it holds itself (spinning, interrupts off)");
    expect(r.dmesg.filter((l) => l.startsWith('NMI watchdog: Watchdog detected hard LOCKUP on cpu '))).toHaveLength(1);
  });

  it('stops at the unmap_mapping_range point of unmap_and_kill', () => {
    runLines('mf-point.dax', [...HEAD, 'A start poison F 1M until before unmap_mapping_range', 'expect pte A m 0 present ro pte', 'A resume', 'expect last SIGBUS', 'expect pte A m 0 absent', 'expect done A']);
  });

  it('finds no struct page where pmem has none (no devmap bit): memory outside kernel control', () => {
    runLines('mf-limited.dax', ['arch s390x', ...HEAD, 'M poison F 1M', 'expect last ok', 'expect pte A m 0 present ro pte', 'expect dmesg memory outside kernel control']);
  });

  it('reads back as it is written', () => {
    const s = parseScenario('file F size 2M\nproc A\nA poison F 0x1000\n', 'p.dax').stmts[2]!;
    expect(formatStmt(s)).toBe('A poison F 4096');
  });

  it('refuses a hole, an unknown file, an offset past the end and a missing offset, in one line', () => {
    expect(badInput(['file F size 2M sparse', 'proc A', 'A poison F 0'])).toBe('daxsim: bad.dax:3: offset 0 of file F is a hole: no pmem block behind it to poison');
    expect(badInput(['file F size 2M', 'proc A', 'A poison G 0'])).toBe("daxsim: bad.dax:3: unknown file 'G'");
    expect(badInput(['file F size 2M', 'proc A', 'A poison F 2M'])).toBe("daxsim: bad.dax:3: offset 2097152 is past the end of file 'F' (2097152 bytes)");
    expect(badInput(['file F size 2M', 'proc A', 'A poison F'])).toBe("daxsim: bad.dax:3: expected 'P poison F O'");
  });
});
