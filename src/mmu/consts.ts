// Numeric constants of the MMU model. Plain numbers (not strings, not a TS `enum`) so the
// translate path compares small integers only.

/** The kind of memory access a CPU makes. */
export const Access = {
  /** A data load. */
  Read: 0,
  /** A data store. */
  Write: 1,
  /** An instruction fetch. */
  Exec: 2,
} as const;
export type Access = (typeof Access)[keyof typeof Access];

export const ACCESS_NAMES: readonly string[] = ['read', 'write', 'exec'];

/**
 * Why a translation failed, across architectures. The architecture's own encoding (x86 error
 * code, DSISR/SRR1, s390 program-interruption code) is in FaultInfo.code.
 */
export const FaultKind = {
  None: 0,
  /** An entry on the walk was not valid (x86 P=0; radix V=0; s390 invalid bit set). */
  NotPresent: 1,
  /** The leaf was reached but the access is not allowed (write, user, exec, SMEP/SMAP). */
  Protection: 2,
  /** A valid entry had a bit set that must be zero (x86 RSVD; radix bad config; s390 translation-specification). */
  Reserved: 3,
  /**
   * The address is outside what the translation can cover: x86 non-canonical (#GP, not #PF),
   * radix outside quadrant 0 / beyond the tree (segment interrupt), s390 beyond the ASCE's
   * designation type (ASCE-type exception).
   */
  NonCanonical: 4,
  /** x86 protection keys (PKRU) deny the data access. */
  Pkey: 5,
} as const;
export type FaultKind = (typeof FaultKind)[keyof typeof FaultKind];

export const FAULT_KIND_NAMES: readonly string[] = ['none', 'not-present', 'protection', 'reserved', 'non-canonical', 'pkey'];

/**
 * Permission bits of a translation as the MMU computes and the TLB caches them
 * (the effective rights of the whole walk: x86 ANDs R/W and U/S and ORs XD over all levels).
 */
export const Perm = {
  /** Loads allowed. */
  R: 1,
  /** Stores allowed. */
  W: 2,
  /** Instruction fetch allowed. */
  X: 4,
  /** User-mode accessible (x86 U/S=1 on every level; radix not privileged). */
  U: 8,
  /** Stores allowed and the leaf's dirty/change bit already set (or the hardware has none): a store needs no walk. */
  D: 16,
  /** x86: a user-mode page, so PKRU applies to data accesses (the key is in the leaf). */
  K: 32,
} as const;

/** How many bits of a TLB permission word the permissions use; the address-space id sits above. */
export const PERM_BITS = 12;
