// What `daxsim verify` needs before it can boot, downloaded and built once and cached under
// $XDG_CACHE_HOME/daxsim/verify (default ~/.cache/daxsim/verify), keyed by the versions of
// Debian's packages and by the hash of daxsim's own guest sources:
//   kernel-<release>_<version>/   Debian's kernel (linux-image-amd64's dependency), unpacked
//                                 with `dpkg -x`, never installed: vmlinux (the uncompressed
//                                 kernel, so QEMU boots it through PVH without decompressing
//                                 under TCG), its modules, and the matching linux-headers +
//                                 linux-kbuild to build daxsim_probe.ko against
//   kernel-.../build-<hash>/      daxsim_probe.ko, the static daxsim-runner, base.cpio (the
//                                 initramfs without the scenarios)
// Host tools come from apt-get, only when missing and only when running as root; otherwise
// verify stops (exit 2) with the one command to run.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { packagePath } from '../sim/package-root.ts';
import { cpioArchive, type CpioEntry } from './cpio.ts';

/** The real kernel cannot be run here: exit 2, one line saying why. */
export class VerifyUnavailable extends Error {}

/** The guest sources are files, not modules: found in the package, as the sources and the build both see them. */
const HERE = packagePath('src', 'verify');
/** daxsim's guest-side sources, each in its own folder. */
export const GUEST_SOURCES = {
  module: [join(HERE, 'module', 'daxsim_probe.c'), join(HERE, 'module', 'Kbuild')],
  runner: join(HERE, 'runner', 'daxsim-runner.c'),
  init: join(HERE, 'initramfs', 'init'),
};

/** Modules /init loads, in dependency order (modinfo -F depends of Debian's 6.1 build). */
export const GUEST_MODULES = [
  'drivers/nvdimm/libnvdimm', 'drivers/nvdimm/nd_btt', 'drivers/nvdimm/nd_pmem', 'drivers/nvdimm/nd_e820',
  'lib/crc16', 'fs/mbcache', 'fs/jbd2/jbd2', 'crypto/crc32c_generic', 'fs/ext4/ext4',
];

/** A host tool, how to tell it is there, and the Debian package that has it. */
export interface Tool {
  what: string;
  pkg: string;
  present: () => boolean;
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '/usr/bin:/bin').split(':').some((d) => d !== '' && existsSync(join(d, cmd)));
}

function run(cmd: string, args: readonly string[], opts: { cwd?: string; input?: string } = {}): string {
  try {
    return execFileSync(cmd, args, { cwd: opts.cwd, input: opts.input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    const last = (err.stderr ?? '').trim().split('\n').pop() || err.message.split('\n')[0];
    throw new VerifyUnavailable(`${cmd} ${args.slice(0, 3).join(' ')} failed: ${last}`);
  }
}

/** A static binary has no program interpreter: `ldd` says so. */
function isStatic(path: string): boolean {
  if (!existsSync(path)) return false;
  try {
    return !execFileSync('ldd', [path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).includes('=>');
  } catch {
    return true; // "not a dynamic executable" exits 1
  }
}

const TOOLS: readonly Tool[] = [
  { what: 'qemu-system-x86_64', pkg: 'qemu-system-x86', present: () => onPath('qemu-system-x86_64') },
  { what: 'a static busybox', pkg: 'busybox-static', present: () => isStatic('/bin/busybox') },
  { what: 'gcc', pkg: 'gcc', present: () => onPath('gcc') },
  { what: 'gcc-12 (the compiler the kernel headers name)', pkg: 'gcc-12', present: () => onPath('gcc-12') },
  { what: 'make', pkg: 'make', present: () => onPath('make') },
  { what: 'the static C library', pkg: 'libc6-dev', present: () => existsSync('/usr/lib/x86_64-linux-gnu/libc.a') },
  { what: 'libelf (for the kernel build scripts)', pkg: 'libelf1', present: () => existsSync('/usr/lib/x86_64-linux-gnu/libelf.so.1') },
  { what: 'mke2fs', pkg: 'e2fsprogs', present: () => existsSync('/sbin/mke2fs') },
  { what: 'xz', pkg: 'xz-utils', present: () => onPath('xz') },
  { what: 'dpkg and apt-get', pkg: 'apt', present: () => onPath('dpkg') && onPath('apt-get') },
];

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** Installs missing host tools with apt-get when root; otherwise names the command to run. */
export function ensureTools(log: (line: string) => void, tools: readonly Tool[] = TOOLS, root = isRoot()): void {
  const missing = tools.filter((t) => !t.present());
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((t) => t.pkg))];
  const cmd = `apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
  if (!root || !onPath('apt-get')) throw new VerifyUnavailable(`missing ${missing.map((t) => t.what).join(', ')}; run: sudo ${cmd}`);
  log(`daxsim verify: installing ${pkgs.join(' ')} with apt-get (missing: ${missing.map((t) => t.what).join(', ')})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...pkgs], { stdio: ['ignore', 'ignore', 'pipe'], env });
  } catch {
    run('apt-get', ['update', '-q']);
    execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...pkgs], { stdio: ['ignore', 'ignore', 'inherit'], env });
  }
  const still = tools.filter((t) => !t.present());
  if (still.length > 0) throw new VerifyUnavailable(`still missing after apt-get: ${still.map((t) => t.what).join(', ')}`);
}

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== '' ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'daxsim', 'verify');
}

/** Debian's kernel packages for one release, by name and version. */
export interface KernelPackages {
  /** uname -r: 6.1.0-57-amd64. */
  release: string;
  version: string;
  image: string;
  headers: readonly string[];
}

/** The directory a kernel's unpacked packages go to: keyed by release and package version. */
export function kernelKey(k: Pick<KernelPackages, 'release' | 'version'>): string {
  return `kernel-${k.release}_${k.version.replace(/[^A-Za-z0-9.+~-]/g, '_')}`;
}

/** The build directory for daxsim's guest sources: their hash, so an edit rebuilds. */
export function buildKey(sources: ReadonlyArray<{ name: string; text: string | Uint8Array }>): string {
  const h = createHash('sha256');
  for (const s of sources) h.update(s.name).update('\0').update(s.text).update('\0');
  return `build-${h.digest('hex').slice(0, 16)}`;
}

/** Reads `Depends:` lines of `apt-cache depends PKG`. */
export function parseDepends(text: string): string[] {
  return [...text.matchAll(/^\s*Depends:\s*(\S+)/gm)].map((m) => m[1]!);
}

export function parseVersion(showText: string): string | undefined {
  return /^Version:\s*(\S+)/m.exec(showText)?.[1];
}

function resolveOnce(): KernelPackages {
  const image = parseDepends(run('apt-cache', ['depends', 'linux-image-amd64'])).find((p) => /^linux-image-6\.1\./.test(p));
  if (image === undefined) throw new VerifyUnavailable('linux-image-amd64 does not depend on a linux-image-6.1 package here (not Debian 12?)');
  const release = image.slice('linux-image-'.length);
  const version = parseVersion(run('apt-cache', ['show', '--no-all-versions', image]));
  if (version === undefined) throw new VerifyUnavailable(`apt-cache knows no version of ${image}`);
  const hdr = `linux-headers-${release}`;
  const headers = [hdr, ...parseDepends(run('apt-cache', ['depends', hdr])).filter((p) => /^linux-(headers|kbuild)-/.test(p))];
  return { release, version, image, headers };
}

export function resolveKernel(log: (line: string) => void): KernelPackages {
  try {
    return resolveOnce();
  } catch (e) {
    if (!isRoot()) throw e;
    log('daxsim verify: apt-get update (the package lists do not name the kernel)');
    run('apt-get', ['update', '-q']);
    return resolveOnce();
  }
}

/** Finds the compressed kernel inside a bzImage (the xz stream's magic) and unpacks it. */
function extractVmlinux(vmlinuz: string, out: string): void {
  const data = readFileSync(vmlinuz);
  const at = data.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
  if (at < 0) throw new VerifyUnavailable(`${vmlinuz}: no xz-compressed kernel inside (CONFIG_KERNEL_XZ expected)`);
  const elf = execFileSync('xz', ['-dc', '--single-stream'], { input: data.subarray(at), maxBuffer: 512 << 20 });
  if (elf.readUInt32BE(0) !== 0x7f454c46) throw new VerifyUnavailable(`${vmlinuz}: the unpacked kernel is not an ELF file`);
  writeFileSync(out, elf);
}

export interface Prepared {
  release: string;
  version: string;
  kernelDir: string;
  vmlinux: string;
  /** The packaged bzImage: 5-level paging needs its decompressor, which sets CR4.LA57 (a PVH boot of vmlinux stays 4-level). */
  vmlinuz: string;
  buildDir: string;
  baseCpio: string;
}

/** Downloads and unpacks Debian's kernel (once per version). */
function prepareKernel(k: KernelPackages, root: string, log: (line: string) => void): string {
  const dir = join(root, kernelKey(k));
  if (existsSync(join(dir, 'ready'))) return dir;
  log(`daxsim verify: downloading ${k.image} ${k.version} and its headers into ${dir}`);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'debs'), { recursive: true });
  run('apt-get', ['download', '-q', `${k.image}=${k.version}`, ...k.headers.map((h) => `${h}=${k.version}`)], { cwd: join(tmp, 'debs') });
  for (const deb of readdirSync(join(tmp, 'debs'))) run('dpkg', ['-x', join(tmp, 'debs', deb), join(tmp, 'root')]);
  rmSync(join(tmp, 'debs'), { recursive: true, force: true });
  // The headers' Makefile includes the common part by its installed path: point it here.
  const mk = join(tmp, 'root', 'usr', 'src', `linux-headers-${k.release}`, 'Makefile');
  writeFileSync(mk, readFileSync(mk, 'utf8').replace(/include \/usr\/src\//g, `include ${join(dir, 'root', 'usr', 'src')}/`));
  extractVmlinux(join(tmp, 'root', 'boot', `vmlinuz-${k.release}`), join(tmp, 'vmlinux'));
  writeFileSync(join(tmp, 'ready'), JSON.stringify({ image: k.image, version: k.version, headers: k.headers }) + '\n');
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

/** mke2fs and the shared libraries ldd names for it, for the guest to format /dev/pmem0. */
function mke2fsFiles(): CpioEntry[] {
  const out: CpioEntry[] = [{ name: 'sbin/mke2fs', data: readFileSync('/sbin/mke2fs'), mode: 0o755 }];
  const ldd = run('ldd', ['/sbin/mke2fs']);
  for (const m of ldd.matchAll(/(\/\S+\.so[.\d]*)/g)) out.push({ name: m[1]!.slice(1), data: readFileSync(m[1]!), mode: 0o755 });
  if (existsSync('/etc/mke2fs.conf')) out.push({ name: 'etc/mke2fs.conf', data: readFileSync('/etc/mke2fs.conf') });
  return out;
}

function dirsOf(entries: readonly CpioEntry[]): CpioEntry[] {
  const dirs = new Set<string>();
  for (const e of entries) for (let d = dirname(e.name); d !== '.' && d !== '/'; d = dirname(d)) dirs.add(d);
  return [...dirs].sort((a, b) => a.length - b.length).map((name) => ({ name }));
}

/** Builds daxsim_probe.ko, the static runner and the base initramfs (once per source hash). */
function prepareBuild(k: KernelPackages, kernelDir: string, log: (line: string) => void): { buildDir: string; baseCpio: string } {
  const texts = [...GUEST_SOURCES.module, GUEST_SOURCES.runner, GUEST_SOURCES.init].map((p) => ({ name: p.slice(HERE.length), text: readFileSync(p) }));
  const dir = join(kernelDir, buildKey(texts));
  const baseCpio = join(dir, 'base.cpio');
  if (existsSync(join(dir, 'ready'))) return { buildDir: dir, baseCpio };
  log(`daxsim verify: building daxsim_probe.ko and daxsim-runner into ${dir}`);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'module'), { recursive: true });
  for (const f of GUEST_SOURCES.module) copyFileSync(f, join(tmp, 'module', f.slice(dirname(f).length + 1)));
  run('make', ['-s', '-C', join(kernelDir, 'root', 'usr', 'src', `linux-headers-${k.release}`), `M=${join(tmp, 'module')}`, 'modules']);
  const runner = join(tmp, 'daxsim-runner');
  run('gcc', ['-static', '-O2', '-Wall', '-o', runner, GUEST_SOURCES.runner]);
  const modDir = join(kernelDir, 'root', 'lib', 'modules', k.release, 'kernel');
  const files: CpioEntry[] = [
    { name: 'init', data: readFileSync(GUEST_SOURCES.init), mode: 0o755 },
    { name: 'bin/busybox', data: readFileSync('/bin/busybox'), mode: 0o755 },
    { name: 'bin/daxsim-runner', data: readFileSync(runner), mode: 0o755 },
    ...mke2fsFiles(),
    ...GUEST_MODULES.map((m) => ({ name: `modules/${m.slice(m.lastIndexOf('/') + 1)}.ko`, data: readFileSync(join(modDir, `${m}.ko`)) })),
    { name: 'modules/daxsim_probe.ko', data: readFileSync(join(tmp, 'module', 'daxsim_probe.ko')) },
  ];
  writeFileSync(join(tmp, 'base.cpio'), cpioArchive([...dirsOf(files), ...files]));
  writeFileSync(join(tmp, 'ready'), '');
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return { buildDir: dir, baseCpio };
}

/** Everything a boot needs; downloads and builds only what the cache lacks. */
export function prepare(log: (line: string) => void, root = cacheRoot()): Prepared {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new VerifyUnavailable(`needs an x86-64 Linux host (Debian 12), not ${process.platform}/${process.arch}`);
  ensureTools(log);
  const k = resolveKernel(log);
  mkdirSync(root, { recursive: true });
  const kernelDir = prepareKernel(k, root, log);
  const { buildDir, baseCpio } = prepareBuild(k, kernelDir, log);
  return { release: k.release, version: k.version, kernelDir, vmlinux: join(kernelDir, 'vmlinux'), vmlinuz: join(kernelDir, 'root', 'boot', `vmlinuz-${k.release}`), buildDir, baseCpio };
}

/**
 * What is already here, without apt-get or the network (for `npm test`): the prepared files,
 * or why the real kernel cannot be booted. Builds daxsim's guest side if only that is missing
 * (seconds: the kernel is cached).
 */
export function preparedFromCache(root = cacheRoot()): Prepared | string {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `not an x86-64 Linux host`;
  const missing = TOOLS.filter((t) => !t.present());
  if (missing.length > 0) return `missing ${missing.map((t) => t.what).join(', ')}`;
  let k: KernelPackages;
  try {
    k = resolveOnce();
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  const kernelDir = join(root, kernelKey(k));
  if (!existsSync(join(kernelDir, 'ready'))) return `Debian's kernel is not in the cache (${kernelDir}); \`daxsim verify --prepare\` fetches it`;
  const { buildDir, baseCpio } = prepareBuild(k, kernelDir, () => {});
  return { release: k.release, version: k.version, kernelDir, vmlinux: join(kernelDir, 'vmlinux'), vmlinuz: join(kernelDir, 'root', 'boot', `vmlinuz-${k.release}`), buildDir, baseCpio };
}
