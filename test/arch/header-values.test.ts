// Every layout's flag table is the kernel's: header-values/header-values.json holds the value
// of every flag macro of the Linux 6.1 headers, computed by header-values/header-values.sh
// (the headers preprocessed with the configuration of header-values/cfg/<layout>.h and each
// macro compiled as a constant), and `layout --json` prints Layout.flags as arch/bits.ts hex().
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { layouts } from '../../arch/index.ts';
import { hex } from '../../arch/bits.ts';

const HEADERS = JSON.parse(readFileSync(new URL('./header-values/header-values.json', import.meta.url), 'utf8')) as Record<string, Record<string, string>>;

describe('flag tables = the 6.1 headers (header-values.sh)', () => {
  for (const l of layouts) {
    it(`${l.name}: every flag, key for key and value for value`, () => {
      const want = HEADERS[l.name];
      expect(want, `${l.name} has no computed header values`).toBeDefined();
      const got = Object.fromEntries(Object.entries(l.flags).map(([k, v]) => [k, hex(v)]));
      expect(got).toEqual(want);
    });
  }
});
