// What the kernel model reports as it runs. The durability checker (src/check) and the trace
// writer listen; neither changes what the kernel does. Every callback is optional so an
// unobserved kernel (benchmarks) pays one property check per event.

import type { DaxEntry } from './dax-entries.ts';
import type { DaxFile } from './file.ts';
import type { Mm, Vma } from './mm.ts';
import type { HwFault } from './ports.ts';

export type FaultKind = 'read' | 'write' | 'wp';

/** What one mkclean strategy did at one place it looked. */
export type MkcleanAction = 'cleaned' | 'already-clean' | 'pfn-mismatch' | 'not-mapped' | 'skipped-private';

export interface KernelEvents {
  /** A page fault enters handle_mm_fault (before any of its work; `fault` follows when it is handled). */
  faultStart?(mm: Mm, va: number, write: boolean): void;
  /** A page fault the kernel handled: kind, how (pte, pmd, fallback, cow, sync, spurious), and the hardware's report. */
  /** `hw`: the hardware's record, null for a fault get_user_pages took (faultin_page: no trap). */
  fault?(mm: Mm, va: number, kind: FaultKind, how: string, hw: HwFault | null): void;
  /** A user store reached the file's blocks (through the CPU cache): the bytes are data[dataOffset .. dataOffset + len). */
  fileStore?(file: DaxFile, offset: number, len: number, cpu: number, data: Uint8Array, dataOffset: number): void;
  /**
   * The user's fsync/msync of [start, end) on `cpu` begins: what it will promise is what the file
   * held now (a store another task makes while this one is paused or asleep inside it is not).
   */
  fileSyncStart?(file: DaxFile, start: number, end: number, cpu: number): void;
  /** fsync/msync of [start, end) bytes of the file, begun on `cpu` (fileSyncStart), returned successfully. */
  fileSynced?(file: DaxFile, start: number, end: number, cpu?: number): void;
  /** A user clwb of the line at this file offset (CLWB from user space, MAP_SYNC style). */
  userFlush?(cpu: number, file: DaxFile, lineOffset: number): void;
  /** A user store fence. */
  userFence?(cpu: number): void;
  /** A TLB flush the kernel performed, and why (the kernel function). */
  tlbFlush?(mm: Mm, start: number, end: number, why: string): void;
  /** dax_writeback_one starts on an entry (before its mkclean; `writeback` follows). */
  writebackStart?(file: DaxFile, entry: DaxEntry): void;
  /** dax_writeback_one on an entry: lines written back by the pmem flush. */
  writeback?(file: DaxFile, entry: DaxEntry, lines: number): void;
  /** Each place a mkclean strategy looked at, and what it did there. */
  mkcleanVisit?(file: DaxFile, entry: DaxEntry, vma: Vma, va: number, level: string, action: MkcleanAction): void;
  /** A VMA the i_mmap query did not return although it maps part of the entry (what `buggy` misses). */
  mkcleanMissed?(file: DaxFile, entry: DaxEntry, vma: Vma): void;
}
