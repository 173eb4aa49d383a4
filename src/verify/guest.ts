// One boot of the verify guest under QEMU: Debian's vmlinux through PVH (no decompression
// under TCG; the bzImage for 5-level paging, see verify.ts), legacy e820 pmem from
// `memmap=512M!1G`, the base initramfs plus an archive of this run's scenarios, records back
// over the second serial port. SeaBIOS (QEMU's default), not qboot: with qboot the kernel
// finds the MTRRs off, disables PAT, and every DAX entry carries _PAGE_PCD, which real
// hardware does not. A boot that does not power off in time is killed and reported.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpioArchive, type CpioEntry } from './cpio.ts';
import { VerifyUnavailable } from './prepare.ts';

export interface GuestScenario {
  /** Name inside the guest (s0.dax ...). */
  name: string;
  text: string;
  /** The daxsim_probe `mkclean` variant: range, buggy, pre-f729c8c9b24f. */
  mkclean: string;
  /** "LINE ADDR" lines (hex address): where the model put each mmap. */
  hints: string;
  /** off: `pmd off`, every mapping gets MADV_NOHUGEPAGE (see runner/daxsim-runner.c). */
  pmd: 'on' | 'off';
}

export interface BootResult {
  /** The second serial port: one JSON record a line. */
  records: string;
  accel: Accel;
  seconds: number;
}

export type Accel = 'kvm' | 'tcg';

/** The per-run archive: the scenarios, their hints and /scenarios/list ("NAME MKCLEAN PMD" lines). */
export function scenarioArchive(scns: readonly GuestScenario[]): Buffer {
  const entries: CpioEntry[] = [{ name: 'scenarios' }];
  for (const s of scns) entries.push({ name: `scenarios/${s.name}`, data: Buffer.from(s.text) }, { name: `scenarios/${s.name}.hints`, data: Buffer.from(s.hints) });
  entries.push({ name: 'scenarios/list', data: Buffer.from(scns.map((s) => `${s.name} ${s.mkclean} ${s.pmd}\n`).join('')) });
  return cpioArchive(entries);
}

export interface BootOptions {
  accel?: Accel;
  /** 5-level paging: -cpu max with LA57 (Debian's kernel has CONFIG_X86_5LEVEL=y). */
  la57?: boolean;
}

export function qemuArgs(kernel: string, initrd: string, consoleLog: string, records: string, opts: BootOptions = {}): string[] {
  return [
    '-machine', `pc,accel=${opts.accel ?? 'tcg'}`, '-cpu', opts.la57 === true ? 'max' : 'max,la57=off', '-smp', '2', '-m', '2G',
    '-display', 'none', '-monitor', 'none', '-no-reboot', '-nodefaults',
    '-kernel', kernel, '-initrd', initrd,
    // memmap=512M!1G: 512 MiB of RAM at 1 GiB marked E820_TYPE_PRAM (legacy pmem, nd_e820).
    '-append', 'console=ttyS0 memmap=512M!1G panic=-1 quiet',
    '-serial', `file:${consoleLog}`, '-serial', `file:${records}`,
  ];
}

/** TCG by default: these machines have a /dev/kvm on which QEMU 7.2's -cpu max fails (kvm_buf_set_msrs). */
export function boot(kernel: string, baseCpio: string, scns: readonly GuestScenario[], timeoutSeconds: number, opts: BootOptions = {}): Promise<BootResult> {
  const accel = opts.accel ?? 'tcg';
  const dir = mkdtempSync(join(tmpdir(), 'daxsim-verify-'));
  const initrd = join(dir, 'initrd.cpio');
  writeFileSync(initrd, Buffer.concat([readFileSync(baseCpio), scenarioArchive(scns)]));
  const consoleLog = join(dir, 'console.log');
  const recordsFile = join(dir, 'records.jsonl');
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('qemu-system-x86_64', qemuArgs(kernel, initrd, consoleLog, recordsFile, opts), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSeconds * 1000);
    const read = (p: string): string => {
      try {
        return readFileSync(p, 'utf8');
      } catch {
        return '';
      }
    };
    child.on('error', (e) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      reject(new VerifyUnavailable(`cannot start qemu-system-x86_64: ${e.message}`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      const records = read(recordsFile);
      const consoleTail = read(consoleLog).trim().split('\n').slice(-1)[0] ?? '';
      rmSync(dir, { recursive: true, force: true });
      const seconds = (Date.now() - started) / 1000;
      if (timedOut) reject(new VerifyUnavailable(`the guest did not power off within ${timeoutSeconds} s and was killed (last console line: ${consoleTail.slice(0, 120) || 'none'})`));
      else if (code !== 0) reject(new VerifyUnavailable(`qemu-system-x86_64 exited with ${code}: ${stderr.trim().split('\n').pop() ?? ''}`));
      else resolve({ records, accel, seconds });
    });
  });
}
