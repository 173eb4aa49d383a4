// The DAX entries of one file's address_space (mapping->i_pages), fs/dax.c.
//
// Each slot holds a value entry: a head pfn plus DAX_LOCKED / DAX_PMD / DAX_ZERO_PAGE /
// DAX_EMPTY flags. A PMD entry is one multi-index entry over the PG_PMD_NR indexes of its
// 2 MiB (XA_STATE_ORDER in dax_iomap_pmd_fault), so a lookup at any of those indexes finds
// it, and the XArray marks PAGECACHE_TAG_DIRTY (XA_MARK_0) and PAGECACHE_TAG_TOWRITE
// (XA_MARK_2, include/linux/fs.h) belong to the whole entry.

export type DaxKind = 'real' | 'zero' | 'empty';

export interface DaxEntry {
  /** First page index the entry covers (aligned down to its order). */
  readonly index: number;
  /** 0 for a page entry, PMD_ORDER for a DAX_PMD entry (dax_entry_order). */
  readonly order: number;
  /** Head pfn of the extent (dax_to_pfn); 0 for zero and empty entries. */
  pfn: number;
  kind: DaxKind;
  /** DAX_LOCKED. */
  locked: boolean;
  /** PAGECACHE_TAG_DIRTY. */
  dirty: boolean;
  /** PAGECACHE_TAG_TOWRITE. */
  towrite: boolean;
}

export class DaxEntries {
  private readonly byIndex = new Map<number, DaxEntry>();
  private sorted: DaxEntry[] | null = [];
  /** mapping->nrpages: pages covered by entries (dax_insert / grab_mapping_entry account 1 << order). */
  nrpages = 0;

  constructor(private readonly pmdOrder: number) {}

  /** The entry covering `index`, whether a page entry or the PMD entry around it. */
  find(index: number): DaxEntry | undefined {
    const pmdHead = index - (index % 2 ** this.pmdOrder);
    const pmd = this.byIndex.get(pmdHead);
    if (pmd !== undefined && pmd.order > 0) return pmd;
    return this.byIndex.get(index);
  }

  /** Any page entry inside the PMD range of `index` (what makes a PMD-order grab fail). */
  hasPageEntryInPmd(index: number): boolean {
    const n = 2 ** this.pmdOrder;
    const head = index - (index % n);
    return this.range(head, head + n - 1).some((e) => e.order === 0);
  }

  insert(e: DaxEntry): void {
    this.byIndex.set(e.index, e);
    this.nrpages += 2 ** e.order;
    this.sorted = null;
  }

  delete(e: DaxEntry): void {
    if (this.byIndex.get(e.index) === e) {
      this.byIndex.delete(e.index);
      this.nrpages -= 2 ** e.order;
      this.sorted = null;
    }
  }

  /** Entries in index order. */
  all(): readonly DaxEntry[] {
    if (this.sorted === null) this.sorted = [...this.byIndex.values()].sort((a, b) => a.index - b.index);
    return this.sorted;
  }

  /**
   * Entries overlapping page indexes [start, end], in index order: the same entries, in the
   * same order, as filtering all() would give, without visiting all of them. No entry spans
   * more than 2^pmdOrder indexes, so none starting before start - 2^pmdOrder + 1 can reach
   * `start`: a binary search finds the first that may, and the scan stops at the first entry
   * starting after `end`.
   */
  range(start: number, end: number): DaxEntry[] {
    const all = this.all();
    const from = start - 2 ** this.pmdOrder + 1;
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (all[mid]!.index < from) lo = mid + 1;
      else hi = mid;
    }
    const out: DaxEntry[] = [];
    for (let i = lo; i < all.length; i++) {
      const e = all[i]!;
      if (e.index > end) break;
      if (e.index + 2 ** e.order - 1 >= start) out.push(e);
    }
    return out;
  }
}
