// Vitest settings (kept under test/: the repository's top level is fixed).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Tests run the TypeScript sources, never the build in dist/: `daxsim` (the README example's
  // self-import) resolves to src/index.ts; the build is tested by test/cli/package.test.ts.
  resolve: { alias: { daxsim: fileURLToPath(new URL('../src/index.ts', import.meta.url)) } },
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
