// `daxsim arches [--json]`: the architectures daxsim models, with what decides the DAX
// behaviour: levels, page and huge sizes, byte order, devmap bit, and so FS_DAX_LIMITED.

import { layouts } from '../../../arch/index.ts';
import { daxKconfig } from '../../kernel/kconfig.ts';
import type { Command } from '../command.ts';
import { InputError } from '../errors.ts';
import { SCHEMA } from '../json.ts';
import { hugeSizes, layoutSummaryJson, parseCommandArgs, sizeText, textTable } from './layout.ts';

export const command: Command = {
  summary: 'lists the architectures: levels, page sizes, endianness, devmap, FS_DAX_LIMITED (--json)',
  async run(args: string[]): Promise<number> {
    const { json, positionals } = parseCommandArgs('arches', args);
    if (positionals.length > 0) throw new InputError('arches', `unexpected argument '${positionals[0]}'`);
    if (json) {
      // The document is an array (one object per arch) as it always was; being no object, it
      // carries "schema": 2 in each element.
      const list = layouts.map((l) => ({ schema: SCHEMA, name: l.name, ...layoutSummaryJson(l) }));
      process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      return 0;
    }
    const rows = layouts.map((l) => [
      l.name,
      String(l.levels.length),
      l.levels.map((lv) => lv.name).join('/'),
      sizeText(2 ** l.pageShift),
      hugeSizes(l).map(sizeText).join(',') || '-',
      l.endian,
      l.devmap ?? '-',
      l.fsDaxLimited ? 'yes' : 'no',
      daxKconfig(l).fsDax ? 'yes' : 'no (what-if)',
      daxKconfig(l).fsDaxPmd ? 'yes' : 'no',
    ]);
    process.stdout.write(textTable(['arch', 'levels', 'tables', 'page', 'huge', 'endian', 'devmap', 'fs_dax_limited', 'fs_dax', 'fs_dax_pmd'], rows));
    return 0;
  },
};
