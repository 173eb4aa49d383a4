// The seed scenario (README "The seed scenario") written in the scenario language, for a
// given base page size, and the outcome each mkclean strategy must show on it.
//
// Source: the 2022 review thread of Muchun Song's "[PATCH v4 5/6] dax: fix missing
// writeprotect the pte entry" (merged as 06083a0921fd, v5.19), with Dan Williams' reply.
//   1. A maps the file's first 2 MiB shared and writes: a PMD fault (where FS_DAX_PMD is on),
//      A's PMD dirty and writable, the 2 MiB DAX entry DIRTY.
//   2. B maps one page at offset one page and writes: its VMA cannot hold a PMD, so a PTE
//      maps head pfn + 1, under the same 2 MiB entry (already DIRTY).
//   3. fsync: dax_writeback_one flushes the whole entry and must write-protect and clean
//      every mapping of it. v5.17's dax_entry_mkclean looks for VMAs only at the entry's
//      first index (B's VMA starts at index 1) and compares each mapping's pfn with the head
//      pfn: B's PTE stays dirty and writable.
//   4. B writes again: no fault if step 3 missed its PTE, so nothing re-dirties the entry.
//   5. fsync: a clean entry is skipped; nothing is flushed, yet fsync succeeds.
//   6. Power fails: B's second write, promised by step 5, is lost where the cache is outside
//      the persistence domain (ADR).
// On ppc64-radix (64 KiB pages) B's mapping is 64 KiB at offset 64 KiB; the entry is still
// one 2 MiB PMD.

import type { Layout } from '../../arch/types.ts';
import { STRATEGY_INFO, type Strategy } from '../kernel/strategies.ts';
import type { Persistence } from '../machine/machine.ts';
import { resolvePmd } from '../kernel/kconfig.ts';

export function seedScenario(layout: Layout, expectOutcome: 'durable' | 'lost' | null): string {
  const page = 2 ** layout.pageShift;
  const lines = [
    '# The seed scenario: a PTE missed by DAX mkclean (README "The seed scenario")',
    'file F size 2M',
    'proc A',
    'proc B',
    'A mmap a F offset 0 length 2M rw shared',
    `B mmap b F offset ${page} length ${page} rw shared`,
    '# 1. A writes: PMD fault where FS_DAX_PMD is on, the 2 MiB DAX entry becomes dirty',
    'A write a 0 64',
    '# 2. B writes: its VMA cannot hold a PMD, so a PTE maps head pfn + 1',
    'B write b 0 64',
    'expect pte B b 0 present rw dirty pte',
    '# 3. fsync: writeback flushes the entry and must write-protect every mapping of it',
    'A fsync F',
    '# 4. B writes again: a fault only if step 3 write-protected its PTE',
    'B write b 0 64',
    '# 5. fsync: flushes only if the entry was re-dirtied',
    'A fsync F',
    '# 6. power fails',
    'crash',
  ];
  if (expectOutcome !== null) lines.push(`expect ${expectOutcome}`);
  return lines.join('\n') + '\n';
}

/** The seed's file and A's mapping: one 2 MiB entry where the PMD size allows it. */
const SEED_FILE_BYTES = 2 * 2 ** 20;

/**
 * The outcome the seed must show for this arch, strategy and persistence domain, derived from
 * the layout's rules. B's second write is lost exactly when
 *   - the crash loses the CPU cache (ADR; under eADR the cache survives, nothing is lost under
 *     any strategy: the bug is invisible there), and either
 *   - the arch has no arch_wb_cache_pmem (no ARCH_HAS_PMEM_API: the hook is null), so fsync
 *     never writes a line back and every store still in the cache is lost under any strategy; or
 *   - the entry is one PMD entry covering B's page: FS_DAX_PMD is on (it depends on ZONE_DEVICE,
 *     which depends on ARCH_HAS_PTE_DEVMAP, fs/Kconfig and mm/Kconfig) and the PMD size is at
 *     most the seed's 2 MiB file (fs/dax.c dax_iomap_pmd_fault falls back when the PMD-aligned
 *     range passes the end of the file or the VMA), and the strategy's mkclean does not clean
 *     every pfn of it in every VMA overlapping it (STRATEGY_INFO cleansWholeEntry false: it
 *     misses B's PTE, head pfn + 1 in a VMA starting at the entry's second index).
 * Otherwise every entry is one page, B's page is its own entry with its own index and pfn,
 * and every strategy cleans it.
 *
 * Per layout, under ADR:
 *   x86_64, x86_64-la57, arm64-4k,     2 MiB PMD, devmap: lost under buggy and page-head, the
 *   ppc64-radix, ppc64-radix-4k        fix (range) and page durable. ppc64-radix's B maps one
 *                                      64 KiB page at 64 KiB, inside the same 2 MiB entry;
 *                                      ppc64-radix-4k's 4 KiB at 4 KiB, 512 PTEs per entry.
 *                                      arm64-4k's pte_dirty also counts the DBM state, but no
 *                                      DAX leaf is writable-clean, so it behaves as x86 does.
 *   s390x                              no devmap bit, FS_DAX_LIMITED, no FS_DAX_PMD: durable.
 *                                      (Its pmem write-back is a stand-in, arch/s390x.ts.)
 *   arm64-64k (512 MiB PMD),           FS_DAX_PMD on, but the PMD is larger than the 2 MiB
 *   ppc64-hash (16 MiB PMD)            file: A's mapping is PTEs only, B's page is its own
 *                                      entry: durable under every strategy.
 *   riscv64-sv39, riscv64-sv48,        fsdax cannot be enabled (no devmap bit, no
 *   loongarch64                        FS_DAX_LIMITED): a what-if, and with no
 *                                      ARCH_HAS_PMEM_API fsync writes nothing back, so A's and
 *                                      B's writes are both lost under every strategy (mkclean
 *                                      itself still write-protects B's PTE).
 */
export function expectedSeedOutcome(layout: Layout, strategy: Strategy, persistence: Persistence): 'durable' | 'lost' {
  if (persistence === 'eadr') return 'durable';
  if (layout.hooks.wbCachePmem === null) return 'lost';
  const { fsDaxPmd } = resolvePmd(layout, 'auto');
  const pmdBytes = 2 ** layout.levels[layout.pmdLevel]!.shift;
  const pmdEntry = fsDaxPmd && pmdBytes <= SEED_FILE_BYTES;
  return pmdEntry && !STRATEGY_INFO[strategy].cleansWholeEntry ? 'lost' : 'durable';
}
