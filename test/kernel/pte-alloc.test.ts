// Where a DAX PTE fault's PTE table appears (Linux 6.1): not in handle_pte_fault, which leaves
// vmf->pte NULL over a none PMD, but where the entry is set: insert_pfn's get_locked_pte, and
// finish_fault's pmd_install for a COW page. Until then the PMD stays none, so a racing read
// can still choose the PMD path (__handle_mm_fault's pmd_none test).
import { describe, it } from 'vitest';
import { runLines } from './scenario-rig.ts';

// W's private write stops in its PTE fault before grab_mapping_entry: no PTE table yet. R's
// read finds the PMD none and maps a PMD (the first race of "dax: Fix race between colliding
// PMD & PTE entries"). W goes on under that PMD: dax_iomap_pte_fault's pmd_trans_huge test
// (or, without it, finish_fault's pmd_devmap_trans_unstable) returns VM_FAULT_NOPAGE, the
// store faults again on the read-only PMD, wp_huge_pmd falls back, zaps it and copies.
const raceUnderPmd = (bug: string) => `
  ${bug}
  file F size 2M
  proc P
  thread R of P
  thread W of P
  P mmap m F offset 0 length 2M rw private
  W start write m 64K 8 byte 3 until before grab_mapping_entry
  expect pte P m 64K absent
  R read m 0 8
  expect pte P m 0 present ro pmd
  expect entry F 0 real pmd
  W resume
  expect done W
  expect faults W read 1 write 1 wp 1
  expect pte P m 64K present rw pte
  expect pte P m 0 absent
  expect view P m 64K 8 byte 3
  expect view P m 0 8 file
`;

describe('the PTE table of a DAX PTE fault', () => {
  it('is not there while the fault waits before grab_mapping_entry: a racing read maps a PMD, the PTE fault backs off under it', () => {
    runLines('pte-alloc.dax', raceUnderPmd(''));
  });
  it('without the fix, finish_fault still refuses to map the COW page under the PMD (pmd_devmap_trans_unstable)', () => {
    runLines('pte-alloc.dax', raceUnderPmd('bug pmd-pte-collision'));
  });
});
