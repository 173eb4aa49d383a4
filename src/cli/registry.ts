// The commands daxsim knows, in the order `daxsim --help` lists them.
import type { Command } from './command.ts';

export const commands = new Map<string, Command>([]);
