// The initramfs archive: the "newc" cpio format the kernel unpacks at boot
// (Documentation/driver-api/early-userspace/buffer-format.rst, init/initramfs.c). Written
// here rather than with cpio(1) so the guest's base archive and each run's scenarios can be
// built without another host tool; the kernel unpacks archives concatenated one after another.

export interface CpioEntry {
  /** Path inside the archive, without a leading slash. */
  name: string;
  /** File data; absent for a directory. */
  data?: Uint8Array;
  /** Permission bits (0o755 for programs). */
  mode?: number;
  /** A symbolic link to this target. */
  symlink?: string;
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

/** One archive of `entries`, ending with the TRAILER!!! record. */
export function cpioArchive(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const push = (name: string, mode: number, data: Uint8Array): void => {
    const nameBytes = Buffer.from(name + '\0');
    // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
    const fields = [ino++, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0];
    const header = Buffer.from('070701' + fields.map(hex8).join(''));
    parts.push(header, nameBytes, Buffer.alloc(pad4(header.length + nameBytes.length)), Buffer.from(data), Buffer.alloc(pad4(data.length)));
  };
  for (const e of entries) {
    if (e.symlink !== undefined) push(e.name, S_IFLNK | 0o777, Buffer.from(e.symlink));
    else if (e.data === undefined) push(e.name, S_IFDIR | (e.mode ?? 0o755), new Uint8Array(0));
    else push(e.name, S_IFREG | (e.mode ?? 0o644), e.data);
  }
  push('TRAILER!!!', 0, new Uint8Array(0));
  return Buffer.concat(parts);
}
