// The kernel-statement tests' rig: a scenario from lines, every expect of it required to hold,
// or the one-line error bad input gives.
import { expect, it } from 'vitest';
import { formatError } from '../../src/cli/errors.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { runScenario } from '../../src/scenario/run.ts';

/** Runs `lines` as file `name`; fails on the first expect that does not hold. The lines are an
 * array, one statement each, or the scenario's text as a .dax file holds it (a template literal
 * whose first line break is dropped, so its first statement is line 1). */
export function runLines(name: string, lines: string[] | string, opts: Parameters<typeof runScenario>[1] = {}) {
  const text = typeof lines === 'string' ? lines.replace(/^\n/, '') : lines.join('\n') + '\n';
  const r = runScenario(parseScenario(text, name), opts);
  for (const e of r.expects) expect(e.ok, `line ${e.line} ${e.text}: found ${e.actual}`).toBe(true);
  return r;
}

/** One test per scenario of `scenarios` (title -> lines), each run by runLines as file `name`. */
export function itRuns(name: string, scenarios: Record<string, string[] | string>, opts: Parameters<typeof runScenario>[1] = {}): void {
  for (const [title, lines] of Object.entries(scenarios)) it(title, () => void runLines(name, lines, opts));
}

/** The error line `lines` give as bad.dax (a test failure if they run). */
export function badInput(lines: string[]): string {
  try {
    runScenario(parseScenario(lines.join('\n') + '\n', 'bad.dax'));
  } catch (e) {
    return formatError(e);
  }
  throw new Error('no error');
}
