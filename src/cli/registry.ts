// The commands daxsim knows, in the order `daxsim --help` lists them.
import type { Command } from './command.ts';
import { command as arches } from './commands/arches.ts';
import { command as bugs } from './commands/bugs.ts';
import { command as compare } from './commands/compare.ts';
import { command as explore } from './commands/explore.ts';
import { command as exploreMerge } from './commands/explore-merge.ts';
import { command as layout } from './commands/layout.ts';
import { command as litmus } from './commands/litmus.ts';
import { command as run } from './commands/run.ts';
import { command as seed } from './commands/seed.ts';
import { command as vtop } from './commands/vtop.ts';
import { command as verify } from './commands/verify.ts';

export const commands = new Map<string, Command>([
  ['arches', arches],
  ['layout', layout],
  ['seed', seed],
  ['run', run],
  ['litmus', litmus],
  ['compare', compare],
  ['explore', explore],
  ['vtop', vtop],
  ['verify', verify],
  ['explore-merge', exploreMerge],
  ['bugs', bugs],
]);
