// open(2) on virtiofs: fuse_open_common's invalidate_inode_pages2 of the whole mapping (no
// FOPEN_KEEP_CACHE, no inode lock), which for DAX deletes the clean entries, each after waiting
// for its lock, and unmaps the range; ext4's and xfs's open leave the mapping alone.
import { describe, expect, it } from 'vitest';
import { badInput, itRuns } from './scenario-rig.ts';

const setUp = (fs: string) => `
kernel 6.1
file F size 2M sparse fs ${fs}
proc W
proc A
W mmap m F offset 0 length 64K rw shared
W write m 0 8 byte 1
`;

describe('open(2) and the DAX entries', () => {
  itRuns('open.dax', {
    // the unmap is of the whole range, entries kept or not (the DAX branch at the end of
    // invalidate_inode_pages2_range, mm/truncate.c)
    'virtiofs: a dirty entry stays but is unmapped; once fsync cleaned it, the next open deletes it': `${setUp('virtiofs')}
A open F
expect last ok
expect entry F 0 real pte dirty
expect pte W m 0 absent
W write m 0 8 byte 1
W fsync F
A open F
expect entry F 0 absent
expect pte W m 0 absent
expect view W m 0 8 byte 1
`,
    'ext4: open leaves the clean entry and its mapping': `${setUp('ext4')}
W fsync F
A open F
expect entry F 0 real pte clean
expect pte W m 0 present ro clean pte
`,
    "virtiofs: the open waits for dax_writeback_one's lock, then deletes the entry it cleaned": `${setUp('virtiofs')}
W start fsync F until after mkclean_clear
A open F
expect last blocked
W resume
expect done W
expect done A
expect entry F 0 absent
`,
  });

  it('P open F takes one file that exists', () => {
    expect(badInput(['file F size 2M', 'proc A', 'A open'])).toMatch(/^daxsim: bad\.dax:3: /);
    expect(badInput(['file F size 2M', 'proc A', 'A open G'])).toMatch(/^daxsim: bad\.dax:3: .*G/);
  });
});
