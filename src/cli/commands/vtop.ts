// `daxsim vtop <P> <ADDR> <file.dax> [--at LINE] [--arch A] [--mkclean S] [--persistence adr|eadr]
//  [--pmd on|off|auto] [--json]`: runs the scenario (up to and including line LINE, or to the end)
//  and translates one virtual address of process P as crash(8)'s `vtop` does (src/report/vtop.ts).
//  ADDR is a number (0x3f0000000000) or MAPPING+OFFSET (b+0x40): that offset of P's mapping.
import { mappingEnd } from '../../kernel/mprotect.ts';
import { ALL_STRATEGIES } from '../../kernel/kernel.ts';
import { parseNumber, parseScenario } from '../../scenario/parse.ts';
import { runScenario } from '../../scenario/run.ts';
import { formatVtop, vtop } from '../../report/vtop.ts';
import { flagOptions, machineChoices, oneOf, parseCommandArgs, valueOptions } from '../args.ts';
import type { Command } from '../command.ts';
import { InputError } from '../errors.ts';
import { readInput } from './run.ts';

const USAGE = 'vtop <P> <ADDR|MAPPING+OFFSET> <file.dax> [--at LINE] [--arch A] [--mkclean S] [--persistence adr|eadr] [--pmd on|off|auto] [--json]';

export const command: Command = {
  summary: "translate one address of one process as crash's vtop does: every level's entry address, raw value and decoding",
  async run(args) {
    const { values, positionals } = parseCommandArgs('vtop', args, { ...valueOptions('at', 'arch', 'mkclean', 'persistence', 'pmd'), ...flagOptions('json') }, { min: 3, max: 3, usage: USAGE });
    const [proc, addr, path] = positionals as [string, string, string];
    const source = readInput(path);
    const scn = parseScenario(source, path);
    if (!scn.stmts.some((s) => s.op === 'proc' && s.name === proc)) throw new InputError('vtop', `${path} has no process '${proc}'`);
    const at = values.at !== undefined ? parseNumber(values.at, 'vtop', '--at') : null;
    if (at !== null && !scn.stmts.some((s) => s.line === at)) throw new InputError('vtop', `--at ${at}: line ${at} of ${path} holds no statement`);
    const plus = /^([A-Za-z_][A-Za-z0-9_]*)\+(.+)$/.exec(addr);
    const offset = plus !== null ? parseNumber(plus[2]!, 'vtop', 'ADDR') : null;
    const va = plus === null ? parseNumber(addr, 'vtop', 'ADDR') : null;
    let text: string | null = null;
    let json: unknown = null;
    const lastLine = scn.stmts[scn.stmts.length - 1]?.line ?? 0;
    const { persistence, pmd } = machineChoices('vtop', values);
    runScenario(scn, {
      arch: values.arch,
      mkclean: oneOf('vtop', 'mkclean', values.mkclean, ALL_STRATEGIES),
      persistence,
      pmd,
      afterStatement: (s, sim, names) => {
        if (text !== null || s.line !== (at ?? lastLine)) return;
        const p = names.procs.get(proc);
        if (p === undefined) throw new InputError('vtop', `process '${proc}' does not exist yet at line ${s.line}`);
        let address = va;
        if (plus !== null) {
          const m = names.maps.get(plus[1]!);
          if (m === undefined || m.mm !== p.mm) throw new InputError('vtop', `process '${proc}' has no mapping '${plus[1]}' at line ${s.line}`);
          // the mapping's whole range, over the VMAs a partial mprotect split it into
          const length = mappingEnd(m) - m.start;
          if (offset! >= length) throw new InputError('vtop', `offset 0x${offset!.toString(16)} lies beyond mapping '${plus[1]}' (length 0x${length.toString(16)})`);
          address = m.start + offset!;
        }
        if (address! >= 2 ** 53 || sim.machine.hwMmu.lookup(sim.machine.hwMmu.rootOf(p.mm.cpu), address!).status === 'non-canonical') throw new InputError('vtop', `address 0x${address!.toString(16)} is not a user address of ${sim.layout.name}`);
        const when = at !== null ? `after line ${at}` : 'at the end';
        text = formatVtop(sim, p.mm, address!, when);
        json = { schema: 2, process: proc, cpu: p.mm.cpu, arch: sim.layout.name, at, ...vtop(sim, p.mm, address!) };
      },
    });
    process.stdout.write(values.json === true ? JSON.stringify(json) + '\n' : text ?? '');
    return 0;
  },
};
