// The pin statements of the scenario language (README "Pins and DMA"): `P pin M O L as G`,
// `dma G O L [byte B]`, `unpin G`, parsed with the helpers parse.ts gives each line. What runs
// them is src/kernel/gup.ts.

import { LIMITS } from './limits.ts';

export type GupStmt =
  /** `P pin M O L as G`: pin_user_pages(FOLL_WRITE) of the pages behind [O, O + L) of M. */
  | { op: 'pin'; line: number; proc: string; map: string; offset: number; length: number; pin: string }
  /** `dma G O L [byte B]`: a device store into [O, O + L) of pin G's range, straight to pmem. */
  | { op: 'dma'; line: number; pin: string; offset: number; length: number; byte: number | null }
  /** `unpin G`: unpin_user_pages of pin G. */
  | { op: 'unpin'; line: number; pin: string };

/** A pin's bytes and whether `unpin` dropped it. */
export interface PinInfo {
  length: number;
  unpinned: boolean;
}

/** What the pin statements need of the line parse.ts is reading. */
export interface GupLine {
  readonly words: readonly string[];
  readonly line: number;
  readonly pins: Map<string, PinInfo>;
  fail(msg: string): never;
  num(w: string, what: string): number;
  /** A new name: well formed, not a keyword, not used by a file, process, mapping or pin. */
  fresh(w: string, what: string): string;
  /** The process's mapping named `m` (declared, its own, not unmapped). */
  mapping(proc: string, m: string): { readonly length: number; readonly write?: boolean };
  /** [offset, offset + length) inside that mapping and within the per-access limit. */
  range(info: { readonly length: number }, m: string, offset: number, length: number): void;
  /** Counts `n` bytes stored against the scenario's limits. */
  stored(n: number): void;
}

function pinNamed(c: GupLine, g: string): PinInfo {
  const info = c.pins.get(g);
  if (info === undefined) return c.fail(`unknown pin '${g}'`);
  if (info.unpinned) return c.fail(`pin '${g}' was unpinned`);
  return info;
}

export function parsePin(c: GupLine, proc: string): GupStmt {
  const w = c.words;
  if (w.length !== 7 || w[5] !== 'as') c.fail(`expected 'P pin M O L as G'`);
  const info = c.mapping(proc, w[2]!);
  const offset = c.num(w[3]!, 'offset');
  const length = c.num(w[4]!, 'length');
  c.range(info, w[2]!, offset, length);
  // check_vma_flags (mm/gup.c): FOLL_WRITE on a VMA without VM_WRITE is -EFAULT
  if (info.write === false) c.fail(`mapping '${w[2]}' is read-only: a pin is get_user_pages(FOLL_WRITE), which fails there (EFAULT)`);
  const g = c.fresh(w[6]!, 'pin');
  c.pins.set(g, { length, unpinned: false });
  return { op: 'pin', line: c.line, proc, map: w[2]!, offset, length, pin: g };
}

/** `dma G O L [byte B]`: the device writes through the pinned pfns, whoever owns them now. */
export function parseDma(c: GupLine): GupStmt {
  const w = c.words;
  if (w.length !== 4 && w.length !== 6) c.fail(`expected 'dma G O L [byte B]'`);
  const pin = pinNamed(c, w[1]!);
  const offset = c.num(w[2]!, 'offset');
  const length = c.num(w[3]!, 'length');
  if (length <= 0) c.fail('length must be positive');
  if (length > LIMITS.accessBytes) c.fail(`length ${length} exceeds the limit of ${LIMITS.accessBytes} bytes per access`);
  if (offset + length > pin.length) c.fail(`offset ${offset} + length ${length} is past the end of pin '${w[1]}' (${pin.length} bytes)`);
  let byte: number | null = null;
  if (w.length === 6) {
    if (w[4] !== 'byte') c.fail(`expected 'byte B', not '${w[4]}'`);
    byte = c.num(w[5]!, 'byte');
    if (byte > 255) c.fail(`byte ${byte} does not fit in a byte`);
  }
  c.stored(length);
  return { op: 'dma', line: c.line, pin: w[1]!, offset, length, byte };
}

export function parseUnpin(c: GupLine): GupStmt {
  if (c.words.length !== 2) c.fail(`expected 'unpin G'`);
  pinNamed(c, c.words[1]!).unpinned = true;
  return { op: 'unpin', line: c.line, pin: c.words[1]! };
}
