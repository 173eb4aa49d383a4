// The bug library: historical filesystem-DAX bugs, each named after what goes wrong and
// identified by the commit that fixed it. A `bug NAME` switch (scenario line or `--bug`)
// reverts exactly that one fix and leaves everything else as the chosen kernel. Each switch
// daxsim models is a small named variant next to the fixed code it replaces (the `variant`
// field says where); the rest of the library is listed so that `daxsim bugs` shows the whole
// history, and refused as a switch until its variant exists.

import type { Layout } from '../../arch/types.ts';
import type { Strategy } from './strategies.ts';
import type { KernelVersion } from './versions.ts';

export interface BugInfo {
  readonly name: string;
  /** The fixing commit, 12 hex digits (the library's identifier, accepted as a switch). */
  readonly fix: string;
  /** Kernels that have the bug, as far as daxsim's sources say (Fixes: tags, README). */
  readonly buggy: string;
  /** What goes wrong, in one line. */
  readonly what: string;
  /**
   * How the switch is modelled, or null while it is not: the kernel its replay
   * (test/bugs/NAME.dax) runs on, and the function whose variant it selects.
   */
  readonly model: BugModel | null;
}

export interface BugModel {
  /** The kernel version the replay runs on with and without the switch. */
  readonly kernel: KernelVersion;
  /** The fixed function and its reverted variant (file and function names). */
  readonly variant: string;
  /** The mkclean strategy the switch selects, for the fixes that changed dax_writeback_one's mkclean. */
  readonly strategy?: Strategy;
  /** The bug needs a PMD DAX entry (CONFIG_FS_DAX_PMD): not reproducible on a layout without a devmap bit. */
  readonly needsPmd?: boolean;
  /** The arch its replay runs on when `bugs run` is given none (default x86_64). */
  readonly arch?: string;
  /** Whether a layout's arch code shows the bug (default: every one), read from its hooks, and why the others cannot. */
  readonly appliesTo?: (layout: Layout) => boolean;
  readonly appliesWhy?: string;
  /**
   * A negative control: reverting the fix must change nothing observable, so its replay has
   * no `if bug` / `if fixed` lines and both runs must give the same report.
   */
  readonly negativeControl?: boolean;
}

/** The bugs replayed with a pin: get_user_pages of a DAX page needs pte_devmap. */
const PINS_NEED_DEVMAP = {
  appliesTo: (l: Layout): boolean => l.devmap !== null,
  appliesWhy: 'get_user_pages of a DAX page needs pte_devmap (follow_page_pte, get_dev_pagemap): without a devmap bit (FS_DAX_LIMITED, or no ZONE_DEVICE) nothing can be pinned',
} as const;

/** The bugs whose replay judges what fsync wrote back: nothing is, where arch_wb_cache_pmem is the empty inline. */
const NEEDS_PMEM_WB = {
  appliesTo: (l: Layout): boolean => l.hooks.wbCachePmem !== null,
  appliesWhy: 'its replay checks what fsync made durable, and fsync writes no cache line back where arch_wb_cache_pmem is the empty inline (no pmem support in 6.1)',
} as const;

export const BUG_LIBRARY: readonly BugInfo[] = [
  {
    name: 'seed-pte-in-pmd',
    fix: '06083a0921fd',
    buggy: '4b4bb46d00b3 .. v5.18 (Fixes: 4b4bb46d00b3; fixed in v5.19)',
    what: "fsync's mkclean misses a 4 KiB PTE mapping inside a 2 MiB PMD DAX entry: the PTE stays writable, later stores are never written back",
    model: { kernel: '6.1', variant: 'src/kernel/mkclean.ts daxEntryMkclean (mkclean buggy) in place of rangeMkclean (pfn_mkclean_range)', strategy: 'buggy', needsPmd: true },
  },
  {
    name: 'pmd-wrprotect',
    fix: 'f729c8c9b24f',
    buggy: '4b4bb46d00b3 .. f729c8c9b24f^ (v4.10 development; Fixes: 4b4bb46d00b3)',
    what: 'dax_mapping_entry_mkclean cleans the DAX entry but leaves its PMD mapping dirty and writable: later stores take no fault and the next fsync skips them',
    model: { kernel: '5.17', variant: 'src/kernel/mkclean.ts daxEntryMkclean without its PMD branch (mkclean pre-f729c8c9b24f)', strategy: 'pre-f729c8c9b24f', needsPmd: true },
  },
  {
    name: 'pmd-livelock',
    fix: '01871e59af5c',
    buggy: 'before 01871e59af5c "mm, dax: fix livelock, allow dax pmd mappings to become writeable"',
    what: 'insert_pfn_pmd leaves a present read-only PMD read-only: the write fault returns without progress and is retried forever',
    model: { kernel: '6.1', variant: 'src/kernel/insert-pfn.ts insertPfnPmd without its upgrade of a present PMD', needsPmd: true },
  },
  {
    name: 'dirty-tags-never-cleared',
    fix: '4b4bb46d00b3',
    buggy: '9973c98ecfda .. 4b4bb46d00b3^ ("dax: clear dirty entry tags on cache flush")',
    what: 'dax_writeback_one flushes an entry but neither write-protects its mappings nor clears its DIRTY tag: every fsync writes back everything ever written again (cost, not loss)',
    model: { kernel: '6.1', variant: 'src/kernel/writeback.ts daxWritebackOne without mkclean and without clearing DIRTY', ...NEEDS_PMEM_WB },
  },
  {
    name: 'dax-fsync-missing',
    fix: '9973c98ecfda',
    buggy: 'before 9973c98ecfda "dax: add support for fsync/sync"',
    what: 'DAX tracks no dirty entries and fsync writes no CPU cache line back: stores through mmap that fsync promised are lost',
    model: { kernel: '6.1', variant: 'src/kernel/writeback.ts daxWritebackMappingRange returning at once', ...NEEDS_PMEM_WB },
  },
  {
    name: 'layout-busy-cows',
    fix: 'd75996dd022b',
    buggy: 'before d75996dd022b "dax: dax_layout_busy_page() should not unmap cow pages" (Vivek Goyal)',
    what: "breaking layouts (fallocate, truncate) unmaps private mappings' copy-on-write pages too: the next load reads the file's data, the process's own private stores are gone",
    model: { kernel: '6.1', variant: 'src/kernel/truncate.ts daxLayoutBusyPageRange with even_cows', appliesTo: (l) => !l.fsDaxLimited, appliesWhy: 'dax_layout_busy_page_range returns at once under CONFIG_FS_DAX_LIMITED (fs/dax.c: GUP of DAX pages is disabled), so breaking layouts unmaps nothing, cow pages or not' },
  },
  {
    name: 'stale-huge-zero-pmd',
    fix: 'cd656375f946',
    buggy: 'c6dcf52c23d2 .. cd656375f946^ (Fixes: c6dcf52c23d2; Cc: stable)',
    what: 'write(2) into a hole read through the 2 MiB zero page leaves that zero PMD mapped: loads through the mmap keep returning zeros where read(2) returns the data',
    model: { kernel: '6.1', variant: 'src/kernel/rw.ts invalidateInodePages2Range without its unmap_mapping_pages', needsPmd: true },
  },
  {
    name: 'map-sync-metadata',
    fix: 'v4.15 MAP_SYNC',
    buggy: 'before v4.15 (the MAP_SYNC series; for ext4 b8a6176c214c "ext4: Support for synchronous DAX faults")',
    what: 'a write fault into a hole maps the new block writable before its allocation is committed: data the user flushed with clwb + sfence reads back as a hole after a crash',
    model: { kernel: '6.1', variant: 'src/kernel/iomap.ts isSynchronous: no fault is synchronous (no IOMAP_F_DIRTY, no dax_finish_sync_fault)' },
  },
  {
    name: 'pmd-flush-cache-range',
    fix: 'e583b5c472bd',
    buggy: 'before e583b5c472bd "dax: fix cache flush on PMD-mapped pages" (v5.19 series)',
    what: 'mkclean flushes the virtually indexed cache of one page of a PMD mapping, not all of it: no difference on any configuration that builds, since DAX needs non-aliasing caches (a negative control)',
    model: { kernel: '5.17', variant: 'src/kernel/mkclean.ts cleanLeaf: flush_cache_page in place of flush_cache_range', needsPmd: true, negativeControl: true },
  },
  {
    name: 'insert-pfn-set-pte-at',
    fix: 'cae85cb8add3',
    buggy: 'before cae85cb8add3 "mm/memory.c: fix modifying of page protection by insert_pfn()" (Jan Kara, 2019)',
    what: "insert_pfn makes a present PTE writable with set_pte_at: powerpc's set_pte_at warns (VM_WARN_ON, CONFIG_DEBUG_VM) on a write fault to a read-faulted DAX page",
    model: { kernel: '6.1', variant: 'src/kernel/insert-pfn.ts insertPfn: set_pte_at over the present entry', arch: 'ppc64-radix', appliesTo: (l) => l.hooks.setPteAtChecksValid, appliesWhy: "only powerpc's set_pte_at checks the entry it overwrites" },
  },
  {
    name: 'pmd-unaligned-access-flags',
    fix: 'fce86ff5802b',
    buggy: 'from the use of pmdp_set_access_flags in insert_pfn_pmd (2019) until fce86ff5802b (v5.2)',
    what: "the DAX PMD fault hands insert_pfn_pmd the unaligned fault address: x86's pmdp_set_access_flags hits VM_BUG_ON(address & ~HPAGE_PMD_MASK) on a write to a read-only PMD",
    model: { kernel: '6.1', variant: 'src/kernel/insert-pfn.ts insertPfnPmd given the fault address, not the PMD-aligned one', needsPmd: true, appliesTo: (l) => l.hooks.pmdpSetAccessFlagsAligned, appliesWhy: "only some arches' pmdp_set_access_flags assert the alignment (x86's VM_BUG_ON, the generic one loongarch uses)" },
  },
  {
    name: 'fault-races-write',
    fix: 'Jan Kara 2017',
    buggy: '9f141d6ef625 "dax: Call ->iomap_begin without entry lock during dax fault" (v4.10) until "dax: fix data corruption when fault races with write" (Jan Kara, 2017)',
    what: 'a read fault asks ->iomap_begin before locking its DAX entry: it sees a hole, write(2) allocates and invalidates (nothing yet) and writes, then the fault maps the zero page over the written data',
    model: { kernel: '6.1', variant: 'src/kernel/fault.ts daxIomapPteFault: iomapBegin before grabMappingEntry' },
  },
  {
    name: 'simultaneous-write-faults',
    fix: '843172978bb9',
    buggy: 'from the first DAX fault handler (fs/dax.c, 2015) until 843172978bb9 "dax: fix race between simultaneous faults" (2015)',
    what: 'two write faults on one hole: both see the hole, the loser gets the block the winner allocated back as new and zeroes it, over the store the winner already made',
    model: { kernel: '6.1', variant: 'src/kernel/iomap.ts iomapBegin: lookup at the point, then create and zero (dax_clear_blocks) after it, with src/kernel/fault.ts asking before grabMappingEntry' },
  },
  {
    name: 'missed-wakeup-pmd',
    fix: '23c84eb78375',
    buggy: 'b15cd800682f "dax: Convert page fault handlers to XArray" (v4.20) .. 23c84eb78375^ (fixed for v5.3; Fixes: b15cd800682f)',
    what: 'a PMD fault finding a locked page entry in its range waits under its own PMD-aligned index, which the page entry\'s unlock never wakes: the task sleeps forever (the RocksDB hang)',
    model: { kernel: '6.1', variant: 'src/kernel/entry-lock.ts getUnlockedEntry waiting on a smaller-order entry, src/kernel/fault.ts grabEntry falling back after it', needsPmd: true },
  },
  { name: 'mkclean-vs-dontneed', fix: '024eee0e83f0', buggy: 'f729c8c9b24f (v4.10, the DAX PMD mkclean) .. v5.0 (fixed in v5.1; 4.19.y and 5.0.y backports)', what: '"mm: page_mkclean vs MADV_DONTNEED race": mkclean\'s pmdp_huge_clear_flush leaves the PMD none while MADV_DONTNEED tests it without the PMD lock: madvise returns with the range still mapped', model: { kernel: '6.1', variant: "src/kernel/mkclean.ts transientLeaf: pmdp_huge_clear_flush's none PMD in place of pmdp_invalidate's", needsPmd: true } },
  { name: 'punch-vs-fault', fix: 'ea3d7209ca01', buggy: 'every ext4 before v4.5 (CVE-2015-8839; DAX on ext4 since v4.0)', what: '"ext4: fix races between page faults and hole punching": no lock orders faults after a punch, so a fault maps a block the punch is freeing; its stores then land in whatever file reuses the block', model: { kernel: '6.1', variant: 'src/kernel/truncate.ts underInvalidateLock taking no invalidate_lock (punch, zero range, truncate)', ...NEEDS_PMEM_WB } },
  { name: 'pinned-truncate', fix: '5fac7408d828', buggy: 'v4.5 (GUP of DAX pages) .. v4.17 (fixed in v4.18 with ext4 430657b6be89, xfs d6dc57e251a4)', what: '"mm, fs, dax: handle layout changes to pinned dax mappings": truncate and punch free blocks a device still DMAs into through pinned pages; the DMA then writes into the file that reuses the block', model: { kernel: '6.1', variant: 'src/kernel/truncate.ts ext4BreakLayouts returning at once (no dax_layout_busy_page, no wait for pinned pages)', ...PINS_NEED_DEVMAP } },
  { name: 'fuse-break-layouts-end0', fix: '7851bf649d42', buggy: '6ae330cad6ef (v5.10) .. v6.14 (fixed in v6.15; 5.15.y, 6.1.y, 6.13.y backports)', what: '"fuse: fix dax truncate/punch_hole fault path": virtiofs breaks layouts with dmap_end 0, so dax_layout_busy_page_range scans page 0 only and truncate does not wait for a page pinned past it', model: { kernel: '6.1', variant: 'src/kernel/truncate.ts fuseDaxBreakLayouts with dmap_end 0 in place of -1 (dax_layout_busy_page_range over page 0 only)', ...PINS_NEED_DEVMAP } },
  { name: 'invalidate-wake-all', fix: '237388320deb', buggy: 'ac401cc78242 "dax: New fault locking" (v4.7) .. v5.12 (Fixes: ac401cc78242; fixed in v5.13, in 5.10.y)', what: '"dax: Wake up all waiters after invalidating dax entry": __dax_invalidate_entry deletes the entry and wakes one waiter, which finds nothing and wakes nobody: the other invalidators of that index sleep for ever (virtiofs, parallel opens)', model: { kernel: '6.1', variant: "src/kernel/rw.ts daxInvalidateEntry: put_unlocked_entry with WAKE_NEXT in place of WAKE_ALL" } },
  {
    name: 'dax-lock-entry-deadlock',
    fix: 'f52afc93cd01',
    buggy: 'c2a7d2a11552 "filesystem-dax: Introduce dax_lock_mapping_entry()" (v4.19) .. f52afc93cd01^ (fixed in v4.20-rc)',
    what: '"dax: Fix deadlock in dax_lock_mapping_entry()": memory_failure waiting for a locked DAX entry woke up holding xa_lock and looped without dropping it, then spun on it with interrupts off (hard lockup)',
    model: { kernel: '6.1', variant: "src/kernel/memory-failure.ts daxLockPage: after the wait, v4.19's -EAGAIN with xa_lock held and the loop's xa_lock_irq on it (selfDeadlock)", appliesTo: (l) => l.devmap !== null, appliesWhy: 'memory_failure reaches dax_lock_page only for a pmem pfn with a struct page (ZONE_DEVICE, a devmap bit); elsewhere it is memory outside kernel control' },
  },
  { name: 'pmd-pte-collision', fix: 'Ross Zwisler 2017', buggy: 'the iomap DAX PMD fault (642261ac995e "dax: add struct iomap based DAX PMD support") until "dax: Fix race between colliding PMD & PTE entries" (Ross Zwisler, 2017, Cc: stable)', what: 'a private read\'s PMD fault passed pmd_none before a private write\'s PTE fault installed a PTE table and a COW page, then set its PMD over that table: the COW page is leaked, the range maps the file again', model: { kernel: '6.1', variant: "src/kernel/fault.ts pmdRacedIn and daxIomapPmdFault's page-table test skipped, src/kernel/insert-pfn.ts insertPfnPmd's 2017 set_pmd_at over a table", needsPmd: true } },
  {
    name: 'arm64-pmd-leaf',
    fix: '23bc8f69f0ec',
    buggy: '8aa82df3c123 ("arm64: mm: add p?d_leaf() definitions") .. 23bc8f69f0ec^ (v5.18-rc4); hit in linux-next with the v5 "mm: pvmw: add support for walking devmap pages" (next-20220331)',
    what: "arm64's pmd_leaf was pmd_sect, false for a PROT_NONE huge PMD (PTE_VALID clear): page_vma_mapped_walk, testing pmd_leaf in the v5 seed series, walked the 2 MiB block the PMD maps as a page table and left the PMD dirty (arm64 only: not applicable elsewhere)",
    model: { kernel: '6.1', variant: "arch/arm64.ts pmdLeafPreFix (pmd_sect) as src/kernel/mkclean.ts pvmwNext's PMD test (pmdWalkedAsTable: the v5 pvmw's pmd_leaf)", needsPmd: true, arch: 'arm64-4k', appliesTo: (l) => l.hooks.pmdLeafPreFix !== null, appliesWhy: "only arm64's pmd_leaf ever missed a PROT_NONE huge PMD" },
  },
  { name: 'btt-nocache-4byte', fix: 'a82eee7424', buggy: 'before a82eee7424', what: 'a litmus case', model: null },
];

/** The library entry named `nameOrFix`: its name, or its fix commit (12 hex digits, any case). */
export function findBug(nameOrFix: string): BugInfo | undefined {
  const lower = nameOrFix.toLowerCase();
  return BUG_LIBRARY.find((b) => b.name === nameOrFix || (/^[0-9a-f]{12}$/.test(lower) && b.fix === lower));
}

/** The bugs whose switch daxsim models. */
export const MODELLED_BUGS: readonly BugInfo[] = BUG_LIBRARY.filter((b) => b.model !== null);

/**
 * The library entry a `bug` switch names, or the one-line reason it cannot be used:
 * not in the library (listing the valid names), or in it but not modelled yet.
 */
export function resolveBug(nameOrFix: string): BugInfo | string {
  const b = findBug(nameOrFix);
  if (b === undefined) return `unknown bug '${nameOrFix}' (known: ${BUG_LIBRARY.map((x) => x.name).join(', ')}; or a fix's 12-digit commit id)`;
  if (b.model === null) return `bug '${b.name}' (${b.fix}) is in the library but daxsim does not model its fix yet (modelled: ${MODELLED_BUGS.map((x) => x.name).join(', ')})`;
  return b;
}

/**
 * The mkclean strategy a set of switches selects, or undefined to keep the kernel's own.
 * pmd-wrprotect's variant (no PMD branch) is older than seed-pte-in-pmd's and has its bug too
 * (dax_mapping_entry_mkclean also queries i_mmap at one index), so it wins when both are on.
 * On 5.19 and later, where pfn_mkclean_range replaced that function, `bug pmd-wrprotect`
 * therefore brings the 2016 function back whole: its replay runs on 5.17, where it is exact.
 */
export function bugStrategy(bugs: readonly BugInfo[]): Strategy | undefined {
  const names = new Set(bugs.map((b) => b.name));
  if (names.has('pmd-wrprotect')) return 'pre-f729c8c9b24f';
  if (names.has('seed-pte-in-pmd')) return 'buggy';
  return undefined;
}

/** The switches a `mkclean` strategy is the same as (`mkclean buggy` == `bug seed-pte-in-pmd`). */
export function bugsOfStrategy(s: Strategy): readonly string[] {
  return MODELLED_BUGS.filter((b) => b.model!.strategy === s).map((b) => b.name);
}
