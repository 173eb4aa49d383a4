// A parsed statement written back in the scenario language (the generator writes scenarios with
// it, the runner labels statements with it): parseScenario(formatStmt(s)) reads s again.

import type { Stmt } from './parse.ts';

/** A statement in the scenario language, as parseScenario reads it back (the generator writes scenarios with it). */
export function formatStmt(s: Stmt): string {
  switch (s.op) {
    case 'file':
      return `file ${s.name} size ${s.size}${s.sparse === true ? ' sparse' : ''}${s.fs !== undefined ? ` fs ${s.fs}` : ''}`;
    case 'proc':
      return `proc ${s.name}`;
    case 'mmap':
      return `${s.proc} mmap ${s.name} ${s.file} offset ${s.offset} length ${s.length} ${s.write ? 'rw' : 'ro'} ${s.shared ? 'shared' : 'private'}${s.sync ? ' sync' : ''}`;
    case 'write':
      return `${s.proc} write ${s.map} ${s.offset} ${s.length}${s.byte !== null ? ` byte ${s.byte}` : ''}`;
    case 'read':
    case 'flush':
      return `${s.proc} ${s.op} ${s.map} ${s.offset} ${s.length}`;
    case 'sfence':
      return `${s.proc} sfence`;
    case 'fsync':
      return `${s.proc} fsync ${s.file}`;
    case 'msync':
      return s.length === null ? `${s.proc} msync ${s.map}` : `${s.proc} msync ${s.map} ${s.offset} ${s.length}`;
    case 'munmap':
      return `${s.proc} munmap ${s.map}`;
    case 'pwrite':
    case 'pread':
      return `${s.proc} ${s.op} ${s.file} ${s.offset} ${s.length}${s.op === 'pwrite' && s.byte !== null ? ` byte ${s.byte}` : ''}`;
    case 'fallocate':
      return `${s.proc} fallocate ${s.file} ${s.mode} ${s.offset} ${s.length}`;
    case 'madvise':
      return `${s.proc} madvise ${s.map} ${s.offset} ${s.length} ${s.advice}`;
    case 'mprotect':
      return `${s.proc} mprotect ${s.map} ${s.offset} ${s.length} ${s.prot}`;
    case 'fork':
      return `${s.proc} fork ${s.child}`;
    case 'exit':
      return `${s.proc} exit`;
    case 'open':
      return `${s.proc} open ${s.file}`;
    case 'truncate':
      return `${s.proc} truncate ${s.file} ${s.size}`;
    case 'poison':
      return `${s.proc} poison ${s.file} ${s.offset}`;
    case 'pin':
      return `${s.proc} pin ${s.map} ${s.offset} ${s.length} as ${s.pin}`;
    case 'dma':
      return `dma ${s.pin} ${s.offset} ${s.length}${s.byte !== null ? ` byte ${s.byte}` : ''}`;
    case 'unpin':
      return `unpin ${s.pin}`;
    case 'crash':
      return 'crash';
    case 'thread':
      return `thread ${s.name} of ${s.of}`;
    case 'start': {
      const inner = formatStmt(s.stmt);
      return `${s.proc} start ${inner.slice(inner.indexOf(' ') + 1)}${s.until !== null ? ` until ${s.until.when} ${s.until.point}` : ''}`;
    }
    case 'resume':
      return `${s.proc} resume${s.until !== null ? ` until ${s.until.when} ${s.until.point}` : ''}`;
    default: // every expect statement carries its own text, and its guard
      return `${s.when !== undefined ? `if ${s.when} ` : ''}${s.text}`;
  }
}
