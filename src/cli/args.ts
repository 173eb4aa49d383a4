// node:util parseArgs in strict mode, with its errors turned into one-line usage errors.
import { parseArgs, type ParseArgsConfig } from 'node:util';
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
/** The options that choose the machine and kernel a scenario runs on (`--arch` ... `--persistence`), shared by the commands that run one. */
export const MACHINE_OPTIONS = { arch: text, kernel: text, mkclean: text, persistence: text } as const;
