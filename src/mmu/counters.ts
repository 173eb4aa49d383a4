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

/** The snapshot's name of each counter, at its index in Counters.v; two are summed, not read:
 * `translations` (SLOW_TRANSLATIONS + TLB_HITS) and `faults` (every FAULTS + kind). */
const SNAPSHOT_NAMES = [
  'translations',
  'tlbHits',
  'tlbMisses',
  'tlbRewalks',
  'walks',
  'walkRefs',
  'aWrites',
  'dWrites',
  'faults',
  'faultsNotPresent',
  'faultsProtection',
  'faultsReserved',
  'faultsNonCanonical',
  'faultsPkey',
  'tlbFlushes',
  'tlbFlushedEntries',
  'tlbFills',
] as const satisfies { length: typeof COUNT };

// A type alias (not an interface) so a snapshot is assignable to Record<string, number>.
export type CounterSnapshot = { [K in (typeof SNAPSHOT_NAMES)[number]]: number };

export class Counters {
  /** The raw counters, indexed by C.*. The MMU increments them in place. */
  readonly v = new Float64Array(new ArrayBuffer(COUNT * 8));

  snapshot(): CounterSnapshot {
    const v = this.v;
    const s = {} as CounterSnapshot;
    for (let i = 0; i < COUNT; i++) s[SNAPSHOT_NAMES[i]!] = v[i]!;
    s.translations += v[C.TLB_HITS]!;
    s.faults = 0;
    for (let k = 1; k <= 5; k++) s.faults += v[C.FAULTS + k]!;
    return s;
  }

  reset(): void {
    this.v.fill(0);
  }
}
