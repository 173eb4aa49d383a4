// The seed scenario (../shared/docs/seed-scenario.md) written in the scenario language, for a
// given base page size: A maps the file's first 2 MiB and writes (a PMD fault); B maps one
// page at offset one page and writes (a PTE under the same 2 MiB DAX entry); fsync; B
// writes again; fsync; power fails. On ppc64-radix (64 KiB pages) B's page is 64 KiB.

import type { Layout } from '../../arch/types.ts';
import type { Strategy } from '../kernel/kernel.ts';
import type { Persistence } from '../machine/machine.ts';
import { resolvePmd } from '../sim/simulation.ts';

export function seedScenario(layout: Layout, expectOutcome: 'durable' | 'lost' | null): string {
  const page = 2 ** layout.pageShift;
  const lines = [
    '# The seed scenario: a PTE missed by DAX mkclean (seed-scenario.md)',
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
 * The outcome seed-scenario.md gives for this arch, strategy and persistence domain: B's
 * second write is lost only where PMD entries exist (FS_DAX_PMD), the strategy misses B's
 * PTE (buggy, or the pre-2016 variant), and the cache is outside the persistence domain.
 */
export function expectedSeedOutcome(layout: Layout, strategy: Strategy, persistence: Persistence): 'durable' | 'lost' {
  const { fsDaxPmd } = resolvePmd(layout, 'auto');
  const misses = strategy === 'buggy' || strategy === 'pre-f729c8c9b24f';
  return fsDaxPmd && misses && persistence === 'adr' ? 'lost' : 'durable';
}
