// Tasks, points, the DAX entry lock and its wait queues (src/kernel/task.ts, entry-lock.ts,
// waitqueue.ts): faults and fsyncs stopped at named points, tasks sleeping on a locked entry
// and woken as fs/dax.c wakes them, threads sharing an mm, and the bad input tasks allow.
import { describe, expect, it } from 'vitest';
import { DaxWaitTable } from '../../src/kernel/waitqueue.ts';
import { HtmlRecorder, renderHtml } from '../../src/report/html.ts';
import { parseScenario } from '../../src/scenario/parse.ts';
import { runScenario } from '../../src/scenario/run.ts';
import { TraceRecorder } from '../../src/scenario/trace.ts';
import { badInput, runLines } from './scenario-rig.ts';

const twoThreads = ['file F size 2M sparse', 'proc A', 'thread T of A', 'thread U of A', 'A mmap m F offset 0 length 64K rw shared'];

describe('the DAX entry lock', () => {
  it('a fault stopped before insert_pfn holds the entry; another thread faulting the page sleeps and is woken when it unlocks', () => {
    const r = runLines('lock.dax', [
      ...twoThreads,
      'A start write m 0 8 until before insert_pfn',
      'expect entry F 0 real pte dirty locked',
      'expect pte A m 0 absent',
      'T write m 8 8',
      'expect last blocked',
      'A resume',
      // T ran at the end of A's unlock, to completion: it found A's PTE and went on
      'expect done A',
      'expect done T',
      'expect entry F 0 real pte dirty',
      'expect pte A m 0 present rw dirty pte',
    ]);
    expect(r.tasks.T).toEqual({ state: 'done', line: 9 });
    expect(r.faults.A).toEqual({ read: 0, write: 2, wp: 0 });
  });

  it('WAKE_NEXT wakes one waiter, in FIFO order; a woken task stops at its own until point', () => {
    runLines('fifo.dax', [
      ...twoThreads,
      'A start write m 0 8 until before insert_pfn',
      'T start write m 16 8 until before insert_pfn',
      'expect last blocked',
      'U write m 32 8',
      'expect last blocked',
      'A resume',
      // A's unlock woke T only (the first exclusive waiter), which now holds the entry at its point
      'expect done A',
      'expect entry F 0 real pte locked',
      'T resume',
      'expect done T',
      'expect done U',
    ]);
  });

  it('a wake matches only its own (mapping, index): a waiter on page 0 sleeps through the unlock of page 1', () => {
    runLines('keys.dax', [
      ...twoThreads,
      'A start write m 0 8 until before insert_pfn',
      'T start write m 4K 8 until before insert_pfn',
      'U write m 8 8',
      'expect last blocked',
      'T resume',
      'expect done T',
      'expect entry F 0 real pte locked',
      'A resume',
      'expect done U',
    ]);
  });

  it("fsync's dax_writeback_one waits for a fault holding the entry, then cleans what the fault mapped", () => {
    runLines('wb.dax', [
      'file F size 2M',
      'proc A',
      'proc B',
      'A mmap m F offset 0 length 64K rw shared',
      'A write m 0 8',
      'A start write m 4K 8 until before insert_pfn',
      'B start fsync F until before dax_writeback_one',
      'expect entry F 0 real pte dirty',
      'B resume',
      'expect last blocked',
      'A resume',
      'expect done B',
      'expect writeback F 2',
      'expect pte A m 4K present ro clean',
    ]);
  });

  it("write(2) holds the inode's i_rwsem: a second write(2) and a read(2) of the file wait for it, a fault does not", () => {
    runLines('irwsem.dax', [
      ...twoThreads,
      'A start pwrite F 64K 8 byte 5 until after iomap_begin',
      'T pwrite F 0 8 byte 6',
      'expect last blocked',
      'U pread F 0 8',
      'expect last blocked',
      // a fault takes no i_rwsem (ext4_dax_huge_fault: the invalidate_lock, shared)
      'proc B',
      'B mmap b F offset 0 length 2M rw shared',
      'B write b 4K 8 byte 7',
      'expect last ok',
      'A resume',
      'expect done T',
      'expect done U',
      'expect data F 0 8 byte 6',
      'expect data F 64K 8 byte 5',
    ]);
  });

  it("munmap takes the mmap_lock a sibling thread's fault holds: it waits, then unmaps what the fault mapped", () => {
    runLines('mmaplock.dax', [
      ...twoThreads,
      'T start write m 0 8 until before insert_pfn',
      'A munmap m',
      'expect last blocked',
      'T resume',
      'expect done T',
      'expect done A',
      'expect tlb T m 0 empty',
    ]);
  });

  it('a thread runs on a CPU of its own, and the mm flushes reach its TLB (mm_cpumask)', () => {
    runLines('tlb.dax', [
      ...twoThreads,
      'T write m 0 8',
      'expect tlb T m 0 cached rw dirty',
      'expect tlb A m 0 empty',
      'A fsync F',
      'expect tlb T m 0 empty',
      'expect faults T read 0 write 1 wp 0',
    ]);
  });
});

describe('tasks: bad input', () => {
  it('resuming a task that is not paused names the line', () => {
    expect(badInput([...twoThreads, 'A write m 0 8', 'A resume'])).toBe("daxsim: bad.dax:7: A is not paused (done (line 6)): only a task stopped at a point can resume");
  });

  it('a point the statement never reaches is reported after the run, at the start', () => {
    expect(badInput([...twoThreads, 'A start write m 0 8 until before dax_writeback_one', 'A fsync F'])).toBe("daxsim: bad.dax:6: A never reached 'until before dax_writeback_one': its statement ended without passing that point");
  });

  it('a paused task runs nothing else until it is resumed', () => {
    expect(badInput([...twoThreads, 'A start write m 0 8 until after grab_mapping_entry', 'A fsync F'])).toMatch(/^daxsim: bad\.dax:7: A is paused after grab_mapping_entry \(line 6\): its statement on line 6 has not finished/);
  });

  it('unknown points, and statements that cannot be started, are refused when parsed', () => {
    expect(badInput([...twoThreads, 'A start write m 0 8 until before lunch'])).toMatch(/bad\.dax:6: unknown point 'lunch' \(points: iomap_begin, grab_mapping_entry/);
    expect(badInput([...twoThreads, 'A start resume'])).toMatch(/bad\.dax:6: 'resume' cannot be started/);
    expect(badInput([...twoThreads, 'T exit'])).toMatch(/bad\.dax:6: thread T cannot exit/);
  });
});

describe('the hashed wait table', () => {
  it('hashes (mapping ^ index) with hash_64 into 4096 queues, as fs/dax.c does', () => {
    // hash_64(1, 12) = (0x61C8864680B583EB * 1) >> 52
    expect(DaxWaitTable.hash(1, 0)).toBe(0x61c);
    expect(DaxWaitTable.hash(1, 1)).toBe(DaxWaitTable.hash(0, 0));
    expect(DaxWaitTable.hash(3, 512)).toBeLessThan(4096);
  });
});

describe('task lanes', () => {
  const lines = ['file F size 2M sparse', 'proc A', 'proc B', 'A mmap small F offset 64K length 64K rw shared', 'B mmap big F offset 0 length 2M rw shared', 'A start write small 0 8 until before insert_pfn', 'B write big 64K 8', 'A resume'];
  const text = lines.join('\n') + '\n';

  it('the HTML report shows each task as a column: paused at its point, blocked on the entry, woken by the unlock', () => {
    const rec = new HtmlRecorder('lanes', text);
    const hooks = rec.hooks();
    rec.finish(runScenario(parseScenario(text, 'lanes.dax'), hooks));
    const html = renderHtml('lanes', [rec.run()]);
    const lanes = html.slice(html.indexOf('Tasks (lanes)'));
    expect(lanes).toContain('<th>A</th><th>B</th>');
    expect(lanes).toContain('paused before insert_pfn');
    expect(lanes).toMatch(/blocked on DAX entry F\[0x10000\]/);
    expect(lanes).toContain('woken by A');
  });

  it('the trace puts the same on each task track, and the woken task runs on its own', () => {
    const trace = new TraceRecorder();
    runScenario(parseScenario(text, 'lanes.dax'), { trace, afterStatement: (_s, sim) => trace.afterStatement(sim) });
    const ev = trace.toJSON().traceEvents.filter((e) => e.cat === 'task');
    const a = ev.filter((e) => e.tid === 1000).map((e) => e.name);
    const b = ev.filter((e) => e.tid === 1001).map((e) => e.name);
    expect(a).toContain('paused before insert_pfn');
    expect(b).toEqual(['runs line 7', 'blocked on DAX entry F[0x10000]', 'woken by A', 'runs line 7', 'done']);
  });
});

describe('what an fsync promises when a store comes while it runs', () => {
  // fsync(2) promises the data at the time of the call: a store another task makes while the
  // fsync is paused inside dax_writeback_one (here: after mkclean cleaned the PTE, the entry
  // locked) lands after that entry's flush, stays in the CPU cache, and is not promised. The
  // bytes stored before the call are, and survive.
  const lines = [
    'file F size 2M sparse',
    'proc T0',
    'proc T1',
    'T1 mmap m1 F offset 0 length 2M rw shared',
    'proc T2',
    'T2 mmap m2 F offset 0 length 4K rw shared',
    'T2 write m2 0 8 byte 2',
    'T0 start fsync F until after mkclean_clear',
    'expect entry F 0 real pte locked',
    'T1 start write m1 0 8 byte 1',
    'expect last blocked',
    'T0 resume',
    'expect done T0',
    'expect done T1',
    'expect entry F 0 real pte dirty',
  ];

  it('the store that waited for the entry lock is not promised; the one before the call survives', () => {
    runLines('window.dax', [...lines, 'T1 sfence', 'crash', 'expect data F 0 8 byte 2', 'expect durable']);
  });

  it('the next fsync promises it, and it survives', () => {
    runLines('window2.dax', [...lines, 'T0 fsync F', 'crash', 'expect data F 0 8 byte 1', 'expect durable']);
  });
});
