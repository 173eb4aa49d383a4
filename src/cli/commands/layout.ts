// `daxsim layout <arch> [--json]`: one architecture's page-table layout, as arch/ models it
// from the kernel headers (README, "Command line": `layout --json`).

import { parseArgs } from 'node:util';
import { findLayout, layouts } from '../../../arch/index.ts';
import { hex, hex64 } from '../../../arch/bits.ts';
import type { Layout } from '../../../arch/types.ts';
import { daxKconfig } from '../../kernel/kconfig.ts';
import type { Command } from '../command.ts';
import { InputError } from '../errors.ts';
import { jsonText } from '../json.ts';

/** Every field of `layout --json` except `flags`: what `arches --json` lists per arch. */
export interface LayoutSummaryJson {
  arch: string;
  description: string;
  endian: string;
  levels: { name: string; shift: number; bits: number; leaf: boolean; table_bytes: number }[];
  page_shift: number;
  page_size: number;
  huge_sizes: number[];
  pfn: { shift: number; mask: string };
  devmap: string | null;
  fs_dax_limited: boolean;
  /** CONFIG_FS_DAX can be enabled (false on riscv64 and loongarch64 in 6.1: running DAX there is a what-if). */
  fs_dax: boolean;
  /** CONFIG_FS_DAX_PMD as Kconfig derives it. */
  fs_dax_pmd: boolean;
  sources: string[];
}

export interface LayoutJson extends LayoutSummaryJson {
  flags: Record<string, string>;
}

/** Sizes of the huge leaves, smallest first (PMD_SIZE, PUD_SIZE ...). */
export function hugeSizes(l: Layout): number[] {
  return l.levels
    .slice(0, -1)
    .filter((lv) => lv.leaf)
    .map((lv) => 2 ** lv.shift)
    .sort((a, b) => a - b);
}

export function layoutSummaryJson(l: Layout): LayoutSummaryJson {
  return {
    arch: l.name,
    description: l.description,
    endian: l.endian,
    levels: l.levels.map((lv, i) => ({ name: lv.name, shift: lv.shift, bits: lv.bits, leaf: lv.leaf, table_bytes: l.tableBytes[i]! })),
    page_shift: l.pageShift,
    page_size: 2 ** l.pageShift,
    huge_sizes: hugeSizes(l),
    pfn: { shift: l.pfn.shift, mask: hex64(l.pfn.mask) },
    devmap: l.devmap,
    fs_dax_limited: l.fsDaxLimited,
    fs_dax: daxKconfig(l).fsDax,
    fs_dax_pmd: daxKconfig(l).fsDaxPmd,
    sources: [...l.sources],
  };
}

export function layoutJson(l: Layout): LayoutJson {
  const s = layoutSummaryJson(l);
  const flags: Record<string, string> = {};
  for (const [name, v] of Object.entries(l.flags)) flags[name] = hex(v);
  // Key order as the README documents `layout --json`: flags after pfn, before devmap.
  return {
    arch: s.arch,
    description: s.description,
    endian: s.endian,
    levels: s.levels,
    page_shift: s.page_shift,
    page_size: s.page_size,
    huge_sizes: s.huge_sizes,
    pfn: s.pfn,
    flags,
    devmap: s.devmap,
    fs_dax_limited: s.fs_dax_limited,
    fs_dax: s.fs_dax,
    fs_dax_pmd: s.fs_dax_pmd,
    sources: s.sources,
  };
}

/** 4096 -> "4K", 2097152 -> "2M", 1073741824 -> "1G". */
export function sizeText(n: number): string {
  const units: [number, string][] = [
    [2 ** 40, 'T'],
    [2 ** 30, 'G'],
    [2 ** 20, 'M'],
    [2 ** 10, 'K'],
  ];
  for (const [u, s] of units) if (n >= u && n % u === 0) return `${n / u}${s}`;
  return String(n);
}

/** A plain-text table: columns padded to their widest cell. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

function layoutText(l: Layout): string {
  const out: string[] = [];
  out.push(`${l.name}: ${l.description}`);
  out.push(`endian ${l.endian}, page size ${sizeText(2 ** l.pageShift)}, huge ${hugeSizes(l).map(sizeText).join(', ') || 'none'}`);
  out.push(`pfn = (entry & ${hex64(l.pfn.mask)}) >> ${l.pfn.shift}`);
  const kc = daxKconfig(l);
  out.push(`devmap ${l.devmap ?? 'none'}; FS_DAX_LIMITED ${l.fsDaxLimited ? 'yes' : 'no'}; FS_DAX ${kc.fsDax ? 'yes' : 'no (DAX runs are a what-if)'}; FS_DAX_PMD ${kc.fsDaxPmd ? 'yes' : 'no'}`);
  out.push('');
  out.push(
    textTable(
      ['level', 'shift', 'bits', 'leaf', 'table'],
      l.levels.map((lv, i) => [lv.name, String(lv.shift), String(lv.bits), lv.leaf ? (i === l.levels.length - 1 ? 'page' : sizeText(2 ** lv.shift)) : '-', `${l.tableBytes[i]!} B`]),
    ).trimEnd(),
  );
  out.push('');
  out.push(textTable(['flag', 'mask'], Object.entries(l.flags).map(([n, v]) => [n, hex64(v)])).trimEnd());
  out.push('');
  out.push(`sources (Linux 6.1): ${l.sources.join(', ')}`);
  return out.join('\n') + '\n';
}

/** parseArgs in strict mode, its errors turned into InputError for `where`. */
export function parseCommandArgs(where: string, args: string[]): { json: boolean; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true, strict: true });
    return { json: values.json === true, positionals };
  } catch (e) {
    throw new InputError(where, e instanceof Error ? (e.message.split('\n')[0]!.split('. To specify')[0] ?? e.message) : String(e));
  }
}

export const command: Command = {
  summary: 'the PTE layout of one architecture: levels, pfn field, flags (--json)',
  async run(args: string[]): Promise<number> {
    const { json, positionals } = parseCommandArgs('layout', args);
    const names = layouts.map((l) => l.name).join(', ');
    if (positionals.length === 0) throw new InputError('layout', `missing architecture (one of: ${names})`);
    if (positionals.length > 1) throw new InputError('layout', `unexpected argument '${positionals[1]}'`);
    const name = positionals[0]!;
    const l = findLayout(name);
    if (l === undefined) throw new InputError('layout', `unknown architecture '${name}' (one of: ${names})`);
    process.stdout.write(json ? jsonText(layoutJson(l), 2) : layoutText(l));
    return 0;
  },
};
