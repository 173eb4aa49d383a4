// The mkclean strategies as data: their names, which kernel each models, and the properties
// the seed table, the HTML report and explore read instead of testing names. The functions
// that run them are the table in mkclean.ts.

import type { MkcleanAction } from './events.ts';

/**
 * The mkclean step of dax_writeback_one (fs/dax.c): `buggy` is v5.17's dax_entry_mkclean,
 * `range` the merged fix (06083a0921fd, v5.19), `page` and `page-head` two readings of Dan
 * Williams' unmerged page_mkclean_one proposal, `pre-f729c8c9b24f` dax_mapping_entry_mkclean
 * before December 2016.
 */
export type Strategy = 'buggy' | 'range' | 'page' | 'page-head' | 'pre-f729c8c9b24f';

export interface StrategyInfo {
  /** The kernel code it models. */
  readonly kernel: string;
  /**
   * Cleans every mapping of every pfn of a multi-page DAX entry, in every VMA overlapping it
   * (a PTE mapping head pfn + 1 in a VMA starting at the entry's second index included).
   */
  readonly cleansWholeEntry: boolean;
  /** Why (or why not), in one line. */
  readonly why: string;
}

export const STRATEGY_INFO: Readonly<Record<Strategy, StrategyInfo>> = {
  buggy: {
    kernel: 'dax_entry_mkclean, f729c8c9b24f .. v5.18',
    cleansWholeEntry: false,
    why: 'dax_entry_mkclean (v5.17): i_mmap queried at the first index only, head pfn only',
  },
  range: {
    kernel: 'pfn_mkclean_range / page_vma_mkclean_one, v5.19+ (06083a0921fd)',
    cleansWholeEntry: true,
    why: 'pfn_mkclean_range (06083a0921fd, v5.19): every VMA overlapping the entry, every pfn of it',
  },
  page: {
    kernel: "Dan Williams' proposal: page_mkclean_one for every page of the entry (unmerged)",
    cleansWholeEntry: true,
    why: "page_mkclean_one for every page of the entry: page 1's rmap walk reaches B's VMA and pfn",
  },
  'page-head': {
    kernel: "Dan Williams' proposal read literally: page_mkclean_one on the head page in v4's VMA loop (unmerged)",
    cleansWholeEntry: false,
    why: "page_mkclean_one on the head page only (the literal drop-in; fsdax pages were not compound): B's VMA has no head address, its PTE maps head pfn + 1",
  },
  'pre-f729c8c9b24f': {
    kernel: 'dax_mapping_entry_mkclean before f729c8c9b24f (December 2016)',
    cleansWholeEntry: false,
    why: "as buggy, and without the PMD branch (A's PMD is missed too)",
  },
};

/** What `explore --mkclean all` runs: the buggy kernel, the fix, and the proposal read as fixing it. */
export const STRATEGIES: readonly Strategy[] = ['buggy', 'range', 'page'];
/** What `seed` and `compare` run with `--mkclean all`: also the literal reading of the proposal. */
export const SEED_STRATEGIES: readonly Strategy[] = ['buggy', 'range', 'page', 'page-head'];
export const ALL_STRATEGIES: readonly Strategy[] = ['buggy', 'range', 'page', 'page-head', 'pre-f729c8c9b24f'];

/**
 * The mkclean visits that leave a mapping of the entry writable or dirty although it maps the
 * entry: a leaf whose pfn the strategy did not match, a MAP_PRIVATE VMA skipped
 * (invalid_mkclean_vma). The HTML report shows them red; explore names findings after them.
 */
export const MISS_ACTIONS: ReadonlySet<MkcleanAction> = new Set<MkcleanAction>(['pfn-mismatch', 'skipped-private']);
