// Small helpers for 64-bit page-table entries held as two uint32 halves (arch/types.ts).
// Flag tables are written as bigint (the kernel's 64-bit values, easy to read and to print);
// everything the hot paths touch is a precomputed Mask of two uint32 halves.

import type { ArchHooks, Entry, Layout, Mask, RootInfo } from './types.ts';

const TWO32 = 4294967296;

export const ZERO_MASK: Mask = Object.freeze({ lo: 0, hi: 0 });

/** 1 << n as a 64-bit value (the kernel's `_AT(pteval_t, 1) << _PAGE_BIT_x`). */
export function bit(n: number): bigint {
  if (!Number.isInteger(n) || n < 0 || n > 63) throw new RangeError(`bit ${n} out of range`);
  return 1n << BigInt(n);
}

/** Bits lo..hi inclusive, as a 64-bit value (the kernel's GENMASK_ULL(hi, lo)). */
export function bitRange(lo: number, hi: number): bigint {
  if (hi < lo) return 0n;
  return ((1n << BigInt(hi - lo + 1)) - 1n) << BigInt(lo);
}

/** A bigint mask as uint32 halves. */
export function toMask(v: bigint): Mask {
  const u = BigInt.asUintN(64, v);
  return Object.freeze({ lo: Number(u & 0xffffffffn), hi: Number(u >> 32n) });
}

export function maskToBigInt(m: Mask): bigint {
  return (BigInt(m.hi >>> 0) << 32n) | BigInt(m.lo >>> 0);
}

/** OR of several bigint masks, as a Mask. */
export function orMask(...vs: bigint[]): Mask {
  let v = 0n;
  for (const x of vs) v |= x;
  return toMask(v);
}

export function isZeroMask(m: Mask): boolean {
  return m.lo === 0 && m.hi === 0;
}

/** Some bit of `m` is set in `e`. */
export function testAny(e: Entry, m: Mask): boolean {
  return ((e.lo & m.lo) | (e.hi & m.hi)) !== 0;
}

/** Every bit of `m` is set in `e`. */
export function testAll(e: Entry, m: Mask): boolean {
  return (e.lo & m.lo) >>> 0 === m.lo && (e.hi & m.hi) >>> 0 === m.hi;
}

/** (e & m) === v, all as halves. */
export function testEq(e: Entry, m: Mask, v: Mask): boolean {
  return (e.lo & m.lo) >>> 0 === v.lo && (e.hi & m.hi) >>> 0 === v.hi;
}

/** No bit outside `ignore` is set: the kernel's `!(val & ~ignore)`. */
export function zeroExcept(e: Entry, ignore: Mask): boolean {
  return ((e.lo & ~ignore.lo) | (e.hi & ~ignore.hi)) === 0;
}

export function setBits(e: Entry, m: Mask): void {
  e.lo = (e.lo | m.lo) >>> 0;
  e.hi = (e.hi | m.hi) >>> 0;
}

export function clearBits(e: Entry, m: Mask): void {
  e.lo = (e.lo & ~m.lo) >>> 0;
  e.hi = (e.hi & ~m.hi) >>> 0;
}

export function clearEntry(e: Entry): void {
  e.lo = 0;
  e.hi = 0;
}

/** (e & m) as a JS number; exact while the result is below 2^53 (every physical address modelled). */
export function fieldValue(e: Entry, m: Mask): number {
  return ((e.hi & m.hi) >>> 0) * TWO32 + ((e.lo & m.lo) >>> 0);
}

/** ((e & m) >> shift) as a JS number, for 0 <= shift <= 32, without BigInt. */
export function fieldShifted(e: Entry, m: Mask, shift: number): number {
  const hi = (e.hi & m.hi) >>> 0;
  const lo = (e.lo & m.lo) >>> 0;
  if (shift === 32) return hi;
  return hi * 2 ** (32 - shift) + (lo >>> shift);
}

/** e |= (addr & m), addr a non-negative integer below 2^53 (a physical address). */
export function orAddress(e: Entry, addr: number, m: Mask): void {
  const lo = addr >>> 0; // ToUint32 is addr mod 2^32 for an exact integer
  const hi = Math.floor(addr / TWO32) >>> 0;
  e.lo = (e.lo | (lo & m.lo)) >>> 0;
  e.hi = (e.hi | (hi & m.hi)) >>> 0;
}

export function entryToBigInt(e: Entry): bigint {
  return (BigInt(e.hi >>> 0) << 32n) | BigInt(e.lo >>> 0);
}

export function entryFromBigInt(v: bigint, out: Entry): Entry {
  const u = BigInt.asUintN(64, v);
  out.lo = Number(u & 0xffffffffn);
  out.hi = Number(u >> 32n);
  return out;
}

export function newEntry(): Entry {
  return { lo: 0, hi: 0 };
}

/** The kernel's way of writing a mask: `0x1`, `0x8000000000000000`. */
export function hex(v: bigint): string {
  return '0x' + BigInt.asUintN(64, v).toString(16);
}

/** A full-width 64-bit value: `0x000ffffffffff000`. */
export function hex64(v: bigint): string {
  return '0x' + BigInt.asUintN(64, v).toString(16).padStart(16, '0');
}

export function entryHex(e: Entry): string {
  return hex64(entryToBigInt(e));
}

/** Build a Mask per level from a function of the level index. */
export function perLevel<T>(n: number, f: (level: number) => T): readonly T[] {
  const out: T[] = [];
  for (let l = 0; l < n; l++) out.push(f(l));
  return Object.freeze(out);
}

/**
 * CONFIG_FS_DAX_LIMITED: fs/Kconfig selects it (via DCSSBLK on s390) exactly where the arch
 * has no ARCH_HAS_PTE_DEVMAP, i.e. no devmap bit in its entries. Derived, never written by hand.
 */
export function fsDaxLimitedFor(devmap: string | null): boolean {
  return devmap === null;
}

/**
 * The root register of an arch whose register holds the root table's address and nothing the
 * model reads (x86 CR3, arm64 TTBR0_EL1, riscv satp, LoongArch PGDL, the radix PID entry: their
 * ASID / PCID / mode fields are not modelled, TLBs are per CPU here); the root is always level 0.
 */
export const PLAIN_ROOT: ArchHooks['root'] = Object.freeze({
  levels: Object.freeze([0]),
  encode: (tablePa: number): number => tablePa,
  decode(root: number, out: RootInfo): void {
    out.table = root;
    out.level = 0;
  },
  levelFor: (): number => 0,
});

/** The in-place modifiers (pte_mkclean ... pte_mkyoung and their pmd forms). */
export type Modifiers = Pick<Layout, 'mkclean' | 'mkdirty' | 'wrprotect' | 'mkwrite' | 'mkold' | 'mkyoung'>;

/**
 * The modifiers of a layout where each one clears or sets one mask at every level: x86's
 * pte_mkclean ... pte_mkyoung are pte_clear_flags / pte_set_flags of one value, riscv's
 * `pte_val(pte) & ~X` / `| X` (arch/x86/include/asm/pgtable.h, arch/riscv/include/asm/pgtable.h).
 * mkclean, wrprotect and mkold clear theirs; mkdirty, mkwrite and mkyoung set theirs.
 */
export function bitModifiers(m: { readonly [K in keyof Modifiers]: Mask }): Modifiers {
  const clear = (mask: Mask) => (_level: number, e: Entry): void => clearBits(e, mask);
  const set = (mask: Mask) => (_level: number, e: Entry): void => setBits(e, mask);
  return {
    mkclean: clear(m.mkclean),
    mkdirty: set(m.mkdirty),
    wrprotect: clear(m.wrprotect),
    mkwrite: set(m.mkwrite),
    mkold: clear(m.mkold),
    mkyoung: set(m.mkyoung),
  };
}
