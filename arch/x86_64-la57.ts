// x86-64 page tables, 5-level paging (CONFIG_X86_5LEVEL with LA57 enabled at boot).
//
// Same entry format as 4-level paging (arch/x86/include/asm/pgtable_types.h, see x86_64.ts);
// the extra level: PGDIR_SHIFT 48 and P4D_SHIFT 39 with PTRS_PER_P4D 512
// (arch/x86/include/asm/pgtable_64_types.h, the pgtable_l5_enabled() values).
// Hardware rules: Intel SDM Vol. 3A, section 4.5 (5-level paging: the PML5E, like the PML4E,
// has PS reserved and maps no leaf).

import type { Layout, Level } from './types.ts';
import { buildX86Layout } from './x86_64.ts';

/** Levels of 5-level paging (arch/x86/include/asm/pgtable_64_types.h with LA57). */
export const X86_64_LA57_LEVELS: readonly Level[] = [
  { name: 'pgd', shift: 48, bits: 9, leaf: false },
  { name: 'p4d', shift: 39, bits: 9, leaf: false },
  { name: 'pud', shift: 30, bits: 9, leaf: true },
  { name: 'pmd', shift: 21, bits: 9, leaf: true },
  { name: 'pte', shift: 12, bits: 9, leaf: true },
];

export const x86_64_la57: Layout = buildX86Layout(
  'x86_64-la57',
  'x86-64, 5-level paging (LA57, 57-bit VA), 4 KiB pages, 2 MiB and 1 GiB leaves',
  X86_64_LA57_LEVELS,
);
