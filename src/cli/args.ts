// node:util parseArgs in strict mode, with its errors turned into one-line usage errors.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ALL_STRATEGIES, type Strategy } from '../kernel/strategies.ts';
import { KERNEL_VERSIONS } from '../kernel/versions.ts';
import { InputError } from './errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;
/** What parseArgs returns for these options in strict mode with positionals (named, so the
 * declaration emitted for this module can spell it). */
export type ParsedArgs<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;

export function parseCommandArgs<O extends Options>(command: string, args: string[], options: O, positionals: { min: number; max: number; usage: string }): ParsedArgs<O> {
  let parsed: ParsedArgs<O>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new InputError(command, `${e instanceof Error ? e.message.split('\n')[0] : String(e)} (usage: daxsim ${positionals.usage})`);
  }
  const n = parsed.positionals.length;
  if (n < positionals.min || n > positionals.max) throw new InputError(command, `usage: daxsim ${positionals.usage}`);
  return parsed;
}

/** Checks an option's value against a list; `undefined` passes. */
export function oneOf<T extends string>(command: string, option: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new InputError(command, `--${option} must be one of ${allowed.join(', ')}, not '${value}'`);
  return value as T;
}

const text = { type: 'string' } as const;
const flag = { type: 'boolean' } as const;

/** Options that take a value (`--name V`), declared by name. */
export function valueOptions<K extends string>(...names: K[]): { [N in K]: typeof text } {
  return Object.fromEntries(names.map((n) => [n, text])) as { [N in K]: typeof text };
}

/** Switches (`--name`), declared by name. */
export function flagOptions<K extends string>(...names: K[]): { [N in K]: typeof flag } {
  return Object.fromEntries(names.map((n) => [n, flag])) as { [N in K]: typeof flag };
}

/** The options that choose the machine and kernel a scenario runs on (`--arch` ... `--persistence`), shared by the commands that run one. */
export const MACHINE_OPTIONS = valueOptions('arch', 'kernel', 'mkclean', 'persistence');

export const PERSISTENCES = ['adr', 'eadr'] as const;
export const PMD_MODES = ['on', 'off', 'auto'] as const;

/** `--kernel`, `--persistence` and `--pmd` checked against what they may be (undefined where not
 * given or not taken); `--arch` and `--mkclean` are the command's, as some take `all`. */
export function machineChoices(command: string, values: { kernel?: string; persistence?: string; pmd?: string }) {
  return {
    kernel: oneOf(command, 'kernel', values.kernel, KERNEL_VERSIONS),
    persistence: oneOf(command, 'persistence', values.persistence, PERSISTENCES),
    pmd: oneOf(command, 'pmd', values.pmd, PMD_MODES),
  };
}

/** `--mkclean S|all`: the strategies to run, `all` (the default) meaning those of `all`. */
export function strategyList(command: string, value: string | undefined, all: readonly Strategy[]): Strategy[] {
  return value === undefined || value === 'all' ? [...all] : [oneOf(command, 'mkclean', value, ALL_STRATEGIES)!];
}
