// Event counters of one MMU, in a Float64Array (exact to 2^53, no boxing on increment).

/** Indexes into Counters.v. */
export const C = {
  /** translate() calls that did not hit the TLB (misses, re-walks, TLB off, bad addresses); translations = this + TLB_HITS. */
  SLOW_TRANSLATIONS: 0,
  TLB_HITS: 1,
  /** No TLB entry for the address (a walk followed). */
  TLB_MISSES: 2,
  /** A TLB entry matched but lacked the rights (e.g. a store to a writable, clean entry): walked again, as x86 does to set D. */
  TLB_REWALKS: 3,
  /** Page-table walks started. */
  WALKS: 4,
  /** Page-table entries read by walks (memory references). */
  WALK_REFS: 5,
  /** Entries whose accessed (x86 A, radix R) bit the walker set and wrote back. */
  A_WRITES: 6,
  /** Leaves whose dirty (x86 D, radix C) bit the walker set and wrote back. */
  D_WRITES: 7,
  /** Faults by FaultKind: FAULTS + kind. */
  FAULTS: 8,
  FAULT_NOT_PRESENT: 9,
  FAULT_PROTECTION: 10,
  FAULT_RESERVED: 11,
  FAULT_NON_CANONICAL: 12,
  FAULT_PKEY: 13,
  /** TLB flush operations (page, range, asid, all). */
  TLB_FLUSHES: 14,
  /** TLB entries those flushes dropped. */
  TLB_FLUSHED_ENTRIES: 15,
  /** TLB fills after successful walks. */
  TLB_FILLS: 16,
} as const;

const COUNT = 17;

// A type alias (not an interface) so a snapshot is assignable to Record<string, number>.
export type CounterSnapshot = {
  translations: number;
  tlbHits: number;
  tlbMisses: number;
  tlbRewalks: number;
  walks: number;
  walkRefs: number;
  aWrites: number;
  dWrites: number;
  faults: number;
  faultsNotPresent: number;
  faultsProtection: number;
  faultsReserved: number;
  faultsNonCanonical: number;
  faultsPkey: number;
  tlbFlushes: number;
  tlbFlushedEntries: number;
  tlbFills: number;
};

export class Counters {
  /** The raw counters, indexed by C.*. The MMU increments them in place. */
  readonly v = new Float64Array(new ArrayBuffer(COUNT * 8));

  snapshot(): CounterSnapshot {
    const v = this.v;
    let faults = 0;
    for (let k = 1; k <= 5; k++) faults += v[C.FAULTS + k]!;
    return {
      translations: v[C.SLOW_TRANSLATIONS]! + v[C.TLB_HITS]!,
      tlbHits: v[C.TLB_HITS]!,
      tlbMisses: v[C.TLB_MISSES]!,
      tlbRewalks: v[C.TLB_REWALKS]!,
      walks: v[C.WALKS]!,
      walkRefs: v[C.WALK_REFS]!,
      aWrites: v[C.A_WRITES]!,
      dWrites: v[C.D_WRITES]!,
      faults,
      faultsNotPresent: v[C.FAULT_NOT_PRESENT]!,
      faultsProtection: v[C.FAULT_PROTECTION]!,
      faultsReserved: v[C.FAULT_RESERVED]!,
      faultsNonCanonical: v[C.FAULT_NON_CANONICAL]!,
      faultsPkey: v[C.FAULT_PKEY]!,
      tlbFlushes: v[C.TLB_FLUSHES]!,
      tlbFlushedEntries: v[C.TLB_FLUSHED_ENTRIES]!,
      tlbFills: v[C.TLB_FILLS]!,
    };
  }

  reset(): void {
    this.v.fill(0);
  }
}
