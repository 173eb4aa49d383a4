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

/**
 * The outcome the seed must show for this arch, strategy and persistence domain. B's second
 * write is lost exactly where the entry is a 2 MiB PMD entry (FS_DAX_PMD), the strategy's
 * mkclean does not clean every pfn of it in every VMA overlapping it (STRATEGY_INFO
 * cleansWholeEntry false: it misses B's PTE, head pfn + 1 in a VMA starting at the entry's
 * second index), and the crash loses the CPU cache (ADR). Where FS_DAX_PMD is off (a layout
 * without a devmap bit: FS_DAX_PMD depends on ZONE_DEVICE, which depends on
 * ARCH_HAS_PTE_DEVMAP, fs/Kconfig and mm/Kconfig) every entry is one page, B's page is its
 * own entry with its own index and pfn, and every strategy cleans it. Under eADR the cache
 * survives the crash, so nothing is lost under any strategy: the bug is invisible there.
 */
export function expectedSeedOutcome(layout: Layout, strategy: Strategy, persistence: Persistence): 'durable' | 'lost' {
  const { fsDaxPmd } = resolvePmd(layout, 'auto');
  return fsDaxPmd && !STRATEGY_INFO[strategy].cleansWholeEntry && persistence === 'adr' ? 'lost' : 'durable';
}
