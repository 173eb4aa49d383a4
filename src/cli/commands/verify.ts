// `daxsim verify <file.dax>... [--kernel-image debian|PATH] [--json] [--prepare]`: runs each
// scenario on the model and on a real Linux 6.1 kernel under QEMU (src/verify/), compares
// them after every statement, prints `same` / `DIFF` per statement. Exit 1 on a difference,
// 2 when the real kernel cannot be run here (one line saying why).
import { prepare, VerifyUnavailable } from '../../verify/prepare.ts';
import { formatText, toJson, verify, verifyExitCode } from '../../verify/verify.ts';
import { oneOf, parseCommandArgs } from '../args.ts';
import type { Command } from '../command.ts';
import { InputError } from '../errors.ts';
import { readInput } from './run.ts';

const USAGE = 'verify <file.dax>... [--kernel-image debian|PATH] [--json] [--prepare] [--accel tcg|kvm] [--timeout SECONDS]';


export const command: Command = {
  summary: 'run scenarios on the model and on a real Linux 6.1 kernel under QEMU and compare them statement by statement',
  async run(args) {
    const { values, positionals } = parseCommandArgs('verify', args, {
      'kernel-image': { type: 'string' },
      json: { type: 'boolean' },
      prepare: { type: 'boolean' },
      timeout: { type: 'string' },
      accel: { type: 'string' },
    }, { min: 0, max: 10_000, usage: USAGE });
    const log = (line: string): void => void process.stderr.write(line + '\n');
    const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
    if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) throw new InputError('verify', `--timeout must be a positive number of seconds, not '${values.timeout}'`);
    try {
      if (values.prepare === true) {
        const p = prepare(log);
        const where = { kernel_release: p.release, version: p.version, vmlinux: p.vmlinux, vmlinuz: p.vmlinuz, kernel_dir: p.kernelDir, build_dir: p.buildDir, initramfs: p.baseCpio };
        if (values.json === true) process.stdout.write(JSON.stringify({ schema: 2, ...where }) + '\n');
        else process.stdout.write(Object.entries(where).map(([k, v]) => `${k}: ${v}`).join('\n') + '\n');
        if (positionals.length === 0) return 0;
      }
      if (positionals.length === 0) throw new InputError('verify', `usage: daxsim ${USAGE}`);
      const files = positionals.map((path) => ({ path, text: readInput(path) }));
      const accel = oneOf('verify', 'accel', values.accel, ['tcg', 'kvm'] as const);
      // Progress on a terminal only (README "Conventions"): a boot under TCG takes seconds per file.
      const progress = process.stderr.isTTY === true ? (line: string): void => log(`daxsim verify: ${line}`) : undefined;
      const r = await verify({ files, kernelImage: values['kernel-image'], log, timeoutSeconds: timeout, accel, ...(progress !== undefined ? { progress } : {}) });
      process.stdout.write(values.json === true ? JSON.stringify(toJson(r)) + '\n' : formatText(r));
      const code = verifyExitCode(r);
      if (code === 2) log(`daxsim: verify: ${r.files.filter((f) => f.unavailable !== undefined).map((f) => `${f.file}: ${f.unavailable}`)[0]}`);
      return code;
    } catch (e) {
      if (e instanceof VerifyUnavailable) throw new InputError('verify', `the real kernel cannot be run here: ${e.message}`);
      throw e;
    }
  },
};
