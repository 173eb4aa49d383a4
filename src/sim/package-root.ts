// Where daxsim's own files are, whether it runs from its TypeScript sources (src/...), from the
// build `npm ci` makes (dist/src/...) or from an installed package: the folder of the
// package.json named daxsim above this module. Files the tool reads at run time (the bug
// library's replays, the guest sources of `verify`) are found from there, never from a path
// relative to the module, which differs between the sources and the build.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface PackageJson {
  name?: string;
  version?: string;
}

let found: { root: string; version: string } | null = null;

function locate(): { root: string; version: string } {
  if (found !== null) return found;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
      if (pkg.name === 'daxsim') return (found = { root: dir, version: typeof pkg.version === 'string' ? pkg.version : 'unknown' });
    } catch {
      // no package.json here, or not ours: one level up
    }
    if (dirname(dir) === dir) throw new Error(`daxsim's package.json not found above ${fileURLToPath(import.meta.url)}`);
  }
}

/** A path under the package's root, e.g. `packagePath('test', 'bugs')`. */
export function packagePath(...parts: string[]): string {
  return join(locate().root, ...parts);
}

/** The package's version from its package.json. */
export function packageVersion(): string {
  return locate().version;
}
