// Numeric constants of the MMU model. Plain numbers (not strings, not a TS `enum`) so the
// translate path compares small integers only.

// The access and fault vocabulary is the architecture layer's (every layout's fault hook reads it).
export { Access, ACCESS_NAMES, Cause, FaultKind, FAULT_KIND_NAMES } from '../../arch/fault.ts';

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
