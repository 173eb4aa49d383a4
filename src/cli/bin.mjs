#!/usr/bin/env node
// The `daxsim` bin and `npm run daxsim`: runs the compiled CLI (dist/, built by `npm ci` through
// the `prepare` script, or `npm run build`). In a checkout whose TypeScript sources are newer
// than that build (or with no build), it runs the sources through tsx instead, so an edit is
// never answered by a stale build. An installed package ships no sources: always dist/.
import { existsSync, readdirSync, statSync } from 'node:fs';

const root = new URL('../../', import.meta.url);
const built = new URL('dist/src/cli/main.js', root);

/** Newest modification time (ms) of the .ts files under `dir`, 0 if there are none. */
function newestSource(dir) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    if (!e.isFile() || !e.name.endsWith('.ts')) continue;
    const t = statSync(`${e.parentPath ?? e.path}/${e.name}`).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

function buildIsCurrent() {
  if (!existsSync(built)) return false;
  const sources = Math.max(newestSource(new URL('src', root)), newestSource(new URL('arch', root)));
  return sources === 0 || sources <= statSync(built).mtimeMs;
}

if (buildIsCurrent()) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./main.ts');
}
