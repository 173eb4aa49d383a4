// `daxsim <command> --help`: each command's usage and one line per option (README, "Command
// line"). Kept in one table so every command answers --help the same way. It lists the
// options of the commands as merged (--kernel, --dump-tlb, vtop come from other branches): a
// command added without an entry here gets a generic help and fails the conventions test.

export interface CommandHelp {
  readonly usage: string;
  /** [option as typed, what it means]. */
  readonly options: ReadonlyArray<readonly [string, string]>;
}

const JSON_OPT = ['--json', 'print one JSON document ("schema": 2) on stdout instead of text'] as const;
const HELP_OPT = ['-h, --help', 'print this help and exit 0'] as const;
const ARCH_ALL = ['--arch A|all', 'one architecture (daxsim arches lists them) or all (default)'] as const;
const MKCLEAN_ALL = ['--mkclean S|all', 'mkclean strategy: buggy, range, page, pre-f729c8c9b24f, or all (buggy, range, page; default)'] as const;
const PERSISTENCE = ['--persistence adr|eadr', 'persistence domain: adr (memory controller, default) or eadr (caches too)'] as const;
const KERNEL = ['--kernel V', 'whose fault and writeback rules apply: 6.1 (default), 5.19 or 5.17 (5.17 implies mkclean buggy)'] as const;

export const HELP: Readonly<Record<string, CommandHelp>> = {
  arches: { usage: 'daxsim arches [--json]', options: [JSON_OPT, HELP_OPT] },
  layout: { usage: 'daxsim layout <arch> [--json]', options: [JSON_OPT, HELP_OPT] },
  seed: {
    usage: 'daxsim seed [--arch A|all] [--kernel V] [--mkclean S|all] [--persistence adr|eadr] [--json] [--html report.html]',
    options: [ARCH_ALL, KERNEL, MKCLEAN_ALL, PERSISTENCE, JSON_OPT, ['--html FILE', 'write the self-contained HTML report of every cell to FILE'], HELP_OPT],
  },
  run: {
    usage: 'daxsim run <file.dax> [options]',
    options: [
      ['--arch A', "architecture, overriding the file's `arch` (default x86_64)"],
      ['--kernel V', "kernel version, overriding the file's `kernel`: 6.1 (default), 5.19, 5.17"],
      ['--mkclean S', "mkclean strategy, overriding the file's `mkclean` (default range)"],
      ['--bug NAME', 'revert one fix of the bug library (daxsim bugs lists them; repeatable)'],
      ['--persistence adr|eadr', "persistence domain, overriding the file's (default adr)"],
      ['--pmd on|off|auto', 'FS_DAX_PMD; auto (default) follows Kconfig for the arch, on elsewhere is a what-if'],
      ['--all-states', 'check every crash state the cache model allows, not only the worst case'],
      JSON_OPT,
      ['--trace FILE', 'write a Chrome trace-event file (Perfetto) of faults, walks, flushes, write-backs'],
      ['--dump P', "print process P's page tables in the kernel's ptdump format (repeatable)"],
      ['--dump-tlb P', "print what P's CPU's TLB holds, as QEMU's `info tlb` (repeatable)"],
      ['--dump-cache', 'print the dirty cache lines not yet persistent'],
      ['--at LINE', 'take the dumps right after that line instead of at the end'],
      ['--html FILE', 'write the self-contained HTML report to FILE'],
      HELP_OPT,
    ],
  },
  litmus: {
    usage: 'daxsim litmus <file.litmus> [--json] [--workers N]',
    options: [JSON_OPT, ['--workers N', 'explore over N worker threads (default 0: in this thread); at most the machine\'s cores'], HELP_OPT],
  },
  compare: {
    usage: 'daxsim compare [file.dax] [--kernel V] [--mkclean S|all] [--persistence adr|eadr] [--json] [--json-out FILE] [--svg FILE]',
    options: [KERNEL, MKCLEAN_ALL, PERSISTENCE, JSON_OPT, ['--json-out FILE', 'also write the JSON to FILE (and the chart next to it, .svg)'], ['--svg FILE', 'write the SVG chart of the mkclean costs to FILE'], HELP_OPT],
  },
  explore: {
    usage: 'daxsim explore [options]',
    options: [
      ARCH_ALL,
      KERNEL,
      MKCLEAN_ALL,
      PERSISTENCE,
      ['--workers N', 'worker threads (default: one per core; 0: in this thread); at most the cores and what memory allows'],
      ['--seed S', 'seed of the random scenarios (default: random, printed); with --count the result is repeatable'],
      ['--count N', 'stop after N scenarios (default 200 when --time is not given)'],
      ['--time SECONDS', 'stop after that long'],
      ['--shard I/N', 'run only scenarios I, I+N, I+2N, ... of the seed (0 <= I < N); merge shards with explore-merge'],
      ['--out DIR', 'where each finding is written as a .dax, as soon as it is shrunk (default ./explore-findings)'],
      ['--interleave', 'search interleavings of 2-3 tasks at the named kernel points (one --arch, in this thread): hangs, stale mappings, losses'],
      ['--bug NAME', 'with --interleave: run with that fix reverted (repeatable)'],
      JSON_OPT,
      HELP_OPT,
    ],
  },
  vtop: {
    usage: 'daxsim vtop <P> <ADDR|MAPPING+OFFSET> <file.dax> [options]',
    options: [
      ['--at LINE', 'translate right after that line instead of at the end'],
      ['--arch A', "architecture, overriding the file's"],
      ['--mkclean S', "mkclean strategy, overriding the file's"],
      PERSISTENCE,
      ['--pmd on|off|auto', "FS_DAX_PMD, overriding the file's"],
      JSON_OPT,
      HELP_OPT,
    ],
  },
  bugs: {
    usage: 'daxsim bugs [--json] | daxsim bugs run [NAME|all] [--arch A] [--json]',
    options: [
      ['run [NAME|all]', 'replay a bug (or all) on its buggy and its fixed kernel; exit 1 unless each shows what the kernel history says'],
      ['--arch A', 'with run: replay on this architecture instead of each bug\'s own'],
      JSON_OPT,
      HELP_OPT,
    ],
  },
  verify: {
    usage: 'daxsim verify <file.dax>... [options]',
    options: [
      ['--kernel-image debian|PATH', "boot Debian's 6.1 kernel (default) or PATH, an image of the same release"],
      ['--prepare', 'download and build what a boot needs (cached), print where it went, and stop'],
      ['--accel tcg|kvm', 'QEMU accelerator (default tcg)'],
      ['--timeout SECONDS', 'kill a boot that has not powered off by then (default 120 + 60 per file)'],
      JSON_OPT,
      HELP_OPT,
    ],
  },
  'explore-merge': {
    usage: 'daxsim explore-merge DIR... [--out DIR] [--json]',
    options: [['--out DIR', 'where the merged findings go (default ./explore-findings)'], JSON_OPT, HELP_OPT],
  },
};

export function helpText(name: string, summary: string): string {
  const h = HELP[name];
  if (h === undefined) return `usage: daxsim ${name} [arguments] [options]\n\n${summary}\n\noptions:\n  ${HELP_OPT[0].padEnd(26)} ${HELP_OPT[1]}\n`;
  const width = Math.max(...h.options.map(([o]) => o.length));
  const lines = [`usage: ${h.usage}`, '', summary, '', 'options:', ...h.options.map(([o, m]) => `  ${o.padEnd(width)}  ${m}`)];
  return lines.join('\n') + '\n';
}
