// The kernel versions daxsim models and the DAX rules that changed between them. Every rule
// here names the commit that changed it. Everything else the model's fault and writeback
// paths do is the same in the three, as read in Linux 6.1's source and in the patches named
// here (e.g. dax_insert_pfn_mkwrite's `order == 0 && !dax_is_pte_entry(entry)` test dates
// from the 2019 XArray conversion of fs/dax.c, so 5.17 has it too).
//
//   5.17  the buggy kernel: dax_writeback_one -> dax_entry_mkclean (one index, head pfn).
//   5.19  the first fixed kernel: 06083a0921fd "dax: fix missing writeprotect the pte entry"
//         (with its series: pfn_mkclean_range, page_vma_mapped_walk on devmap PMDs).
//   6.1   Linux 6.1 LTS, as Debian 12 ships it (the default): as 5.19, plus the fault rule of
//         "fsdax: Replace mmap entry in case of CoW" (Shiyang Ruan, first released in v6.0):
//         dax_insert_entry computes `dirty = !dax_fault_is_synchronous(iter, vma)`, so a read
//         fault marks the DAX entry PAGECACHE_TAG_DIRTY too (5.17 and 5.19 pass
//         `write && !sync` from dax_fault_iter). Mainline went back to dirtying on write
//         faults only with "fsdax,xfs: fix warning messages at dax_[dis]associate_entry()"
//         (v6.2: `dirty = write && !dax_fault_is_synchronous(...)`).

/** A kernel version daxsim can run as. */
export type KernelVersion = '6.1' | '5.19' | '5.17';

export const KERNEL_VERSIONS: readonly KernelVersion[] = ['6.1', '5.19', '5.17'];

export const DEFAULT_KERNEL: KernelVersion = '6.1';

export interface KernelRules {
  /** The mkclean step dax_writeback_one runs when no `mkclean` setting chooses another. */
  readonly mkclean: 'buggy' | 'range';
  /** dax_insert_entry marks the entry DIRTY on read faults as well as write faults (see above). */
  readonly dirtyOnReadFault: boolean;
}

export const KERNEL_RULES: Readonly<Record<KernelVersion, KernelRules>> = {
  '5.17': { mkclean: 'buggy', dirtyOnReadFault: false },
  '5.19': { mkclean: 'range', dirtyOnReadFault: false },
  '6.1': { mkclean: 'range', dirtyOnReadFault: true },
};

export function isKernelVersion(v: string): v is KernelVersion {
  return (KERNEL_VERSIONS as readonly string[]).includes(v);
}
