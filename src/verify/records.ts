// The guest's records (the second serial port, one JSON object a line; see
// runner/daxsim-runner.c and initramfs/init), parsed and checked into typed results.

export interface KernelMap {
  proc: string;
  map: string;
  start: number;
  len: number;
  /** Every non-empty entry mapping it: [level name, first address it maps, raw value]. */
  pt: Array<{ level: string; va: number; raw: bigint }>;
}

export interface Extent {
  logical: number;
  phys: number;
  length: number;
}

export interface KernelStatement {
  line: number;
  /** Empty, or why the real kernel failed it ("unsupported" for a statement the runner does not know). */
  err: string;
  /** crash / expect: nothing to perform. */
  skipped: boolean;
  /** For `file`: its name and its extents (FIEMAP; physical addresses include the pmem base). */
  file?: { name: string; extents: Extent[] };
  /** For `mmap`: the address the kernel chose by itself, before the mapping moved to the model's. */
  natural?: number;
  /** Each process's faults so far inside its mappings: read, write, wp. */
  faults: Record<string, { read: number; write: number; wp: number }>;
  maps: KernelMap[];
  /** Per process: its memory that is not the scenario's ([start, end) ranges from /proc/PID/maps). */
  others: Record<string, Array<[number, number]>>;
}

export interface KernelScenario {
  name: string;
  mkclean: string;
  statements: KernelStatement[];
  /** The runner reached the end of the file. */
  ended: boolean;
  /** The runner died: its stderr. */
  failed?: string;
}

export interface GuestRecords {
  release: string | null;
  scenarios: KernelScenario[];
  /** /init gave up (a module, the device, the tracepoint): why. */
  fatal: string | null;
  /** WARN/BUG/Oops lines of the guest's kernel log. */
  dmesg: string | null;
  done: boolean;
}

export class RecordError extends Error {}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Obj, k: string, where: string): string {
  const v = o[k];
  if (typeof v !== 'string') throw new RecordError(`${where}: "${k}" is not a string`);
  return v;
}

function hexNum(s: string, where: string): number {
  if (!/^0x[0-9a-f]+$/i.test(s)) throw new RecordError(`${where}: '${s}' is not a hex number`);
  const n = Number(BigInt(s));
  if (!Number.isSafeInteger(n)) throw new RecordError(`${where}: ${s} is beyond 2^53`);
  return n;
}

function parseFaults(v: unknown, where: string): KernelStatement['faults'] {
  if (!isObj(v)) throw new RecordError(`${where}: "faults" is not an object`);
  const out: KernelStatement['faults'] = {};
  for (const [p, c] of Object.entries(v)) {
    if (!Array.isArray(c) || c.length !== 3 || !c.every((x) => Number.isInteger(x))) throw new RecordError(`${where}: faults of ${p} are not [read, write, wp]`);
    out[p] = { read: c[0] as number, write: c[1] as number, wp: c[2] as number };
  }
  return out;
}

function parseMap(v: unknown, where: string): KernelMap {
  if (!isObj(v) || !Array.isArray(v.pt) || typeof v.len !== 'number') throw new RecordError(`${where}: a map record is malformed`);
  const pt = v.pt.map((e: unknown) => {
    if (!Array.isArray(e) || e.length !== 3 || !e.every((x) => typeof x === 'string')) throw new RecordError(`${where}: a page-table entry is not [level, va, value]`);
    const [level, va, raw] = e as [string, string, string];
    if (!/^0x[0-9a-f]+$/i.test(raw)) throw new RecordError(`${where}: entry value '${raw}' is not hex`);
    return { level, va: hexNum(va, where), raw: BigInt(raw) };
  });
  return { proc: str(v, 'proc', where), map: str(v, 'map', where), start: hexNum(str(v, 'start', where), where), len: v.len, pt };
}

function parseStatement(o: Obj, where: string): KernelStatement {
  if (!Number.isInteger(o.line) || !Array.isArray(o.maps)) throw new RecordError(`${where}: a statement record needs "line" and "maps"`);
  const s: KernelStatement = {
    line: o.line as number,
    err: str(o, 'err', where),
    skipped: o.skipped === true,
    faults: parseFaults(o.faults, where),
    maps: o.maps.map((m: unknown) => parseMap(m, where)),
    others: {},
  };
  if (isObj(o.others)) {
    for (const [p, rs] of Object.entries(o.others)) {
      if (!Array.isArray(rs)) throw new RecordError(`${where}: others of ${p} is not a list`);
      s.others[p] = rs.map((r: unknown) => {
        if (!Array.isArray(r) || r.length !== 2 || !r.every((x) => typeof x === 'string')) throw new RecordError(`${where}: a range of ${p} is not [start, end]`);
        return [hexNum(r[0] as string, where), hexNum(r[1] as string, where)] as [number, number];
      });
    }
  }
  if (typeof o.file === 'string') {
    if (!Array.isArray(o.extents)) throw new RecordError(`${where}: a file record needs "extents"`);
    const extents = o.extents.map((e: unknown) => {
      if (!Array.isArray(e) || e.length !== 3 || !e.every((x) => typeof x === 'string')) throw new RecordError(`${where}: an extent is not [logical, physical, length]`);
      const [l, ph, n] = (e as string[]).map((x) => hexNum(x, where)) as [number, number, number];
      return { logical: l, phys: ph, length: n };
    });
    s.file = { name: o.file, extents };
  }
  if (typeof o.natural === 'string') s.natural = hexNum(o.natural, where);
  return s;
}

/** Parses the whole record stream of one boot. */
export function parseRecords(text: string): GuestRecords {
  const out: GuestRecords = { release: null, scenarios: [], fatal: null, dmesg: null, done: false };
  let current: KernelScenario | null = null;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r/g, '').trim();
    if (raw === '') continue;
    const where = `guest record ${i + 1}`;
    let o: unknown;
    try {
      o = JSON.parse(raw);
    } catch {
      // A runner that died mid-record leaves a cut line; /init's runner_failed record follows it.
      if ((lines[i + 1] ?? '').includes('"runner_failed"')) continue;
      throw new RecordError(`${where}: not JSON: ${raw.slice(0, 60)}`);
    }
    if (!isObj(o)) throw new RecordError(`${where}: not an object`);
    if (typeof o.kernel_release === 'string') out.release = o.kernel_release;
    else if (typeof o.scenario === 'string') {
      current = { name: o.scenario, mkclean: str(o, 'mkclean', where), statements: [], ended: false };
      out.scenarios.push(current);
    } else if (typeof o.fatal === 'string') out.fatal = o.fatal;
    else if (typeof o.dmesg === 'string') out.dmesg = o.dmesg;
    else if (o.done === true) out.done = true;
    else if (current === null) throw new RecordError(`${where}: a record before any scenario`);
    else if (o.end === true) current.ended = true;
    else if (typeof o.runner_failed === 'string') current.failed = o.runner_failed;
    else current.statements.push(parseStatement(o, where));
  }
  return out;
}
