// Output paths are refused before any work starts (README, "Command line"): a run that would
// end by failing to write its trace or report loses the work. Checked by trying, not by
// permission bits (root passes every access() check): a file is opened for appending (and
// removed again if that created it); a directory's nearest existing ancestor must be a
// directory that takes a new file. /proc and /sys take writes that are not files.
import { closeSync, existsSync, mkdtempSync, openSync, realpathSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { InputError } from './errors.ts';

/** Options naming a file a command writes, and the one naming a directory. */
export const FILE_OUTPUTS = ['trace', 'html', 'json-out', 'svg'] as const;
export const DIR_OUTPUTS = ['out'] as const;

const PSEUDO = ['/proc', '/sys', '/dev'];

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? 'error';
}

/** The path's nearest existing ancestor, resolved (symbolic links followed). */
function existingAncestor(p: string): string {
  let cur = path.resolve(p);
  while (!existsSync(cur)) {
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  return realpathSync(cur);
}

/** Where `p` really points: its existing ancestor resolved, plus the rest. */
function resolvedTarget(p: string): string {
  const abs = path.resolve(p);
  let cur = abs;
  while (!existsSync(cur) && path.dirname(cur) !== cur) cur = path.dirname(cur);
  return path.join(realpathSync(cur), path.relative(cur, abs));
}

/** Streams a user may name on purpose. */
const STREAMS = ['/dev/null', '/dev/stdout', '/dev/stderr'];

function refusePseudo(command: string, option: string, p: string): void {
  if (STREAMS.includes(p)) return;
  const full = resolvedTarget(p);
  for (const top of PSEUDO) {
    if (full === top || full.startsWith(top + '/')) throw new InputError(command, `cannot write ${p} (${top} is not a place for output)`);
  }
}

export function checkOutputFile(command: string, option: string, p: string): void {
  if (p === '') throw new InputError(command, `--${option} needs a file name`);
  refusePseudo(command, option, p);
  if (STREAMS.includes(p)) return;
  const existed = existsSync(p);
  if (existed && statSync(p).isDirectory()) throw new InputError(command, `cannot write ${p} (EISDIR)`);
  try {
    closeSync(openSync(p, 'a'));
  } catch (e) {
    throw new InputError(command, `cannot write ${p} (${code(e)})`);
  }
  if (!existed) unlinkSync(p);
}

export function checkOutputDir(command: string, option: string, p: string): void {
  if (p === '') throw new InputError(command, `--${option} needs a directory name`);
  refusePseudo(command, option, p);
  if (existsSync(p) && !statSync(p).isDirectory()) throw new InputError(command, `--${option}: ${p} exists and is not a directory (ENOTDIR)`);
  const anc = existingAncestor(p);
  if (!statSync(anc).isDirectory()) throw new InputError(command, `--${option}: cannot create ${p} (ENOTDIR)`);
  try {
    rmdirSync(mkdtempSync(path.join(anc, '.daxsim-probe-')));
  } catch (e) {
    throw new InputError(command, `--${option}: cannot write into ${p} (${code(e)})`);
  }
}

/** Checks every output option in a command's arguments (`--opt value` and `--opt=value`). */
export function checkOutputs(command: string, args: readonly string[]): void {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const isFile = (FILE_OUTPUTS as readonly string[]).includes(name);
    const isDir = (DIR_OUTPUTS as readonly string[]).includes(name);
    if (!isFile && !isDir) continue;
    const value = eq >= 0 ? a.slice(eq + 1) : args[i + 1];
    if (value === undefined) continue; // parseArgs reports the missing value
    if (eq < 0) i++;
    if (isFile) checkOutputFile(command, name, value);
    else checkOutputDir(command, name, value);
  }
}
