// Which process of a pipeline shows the transfer's progress, and reading its kernel I/O counters.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { progressProbe, readIoCounter } from '../../../src/sync/progress.js';

const p = (file: string, ...args: string[]) => ({ file, args, label: [file, ...args].join(' ') });

describe('progressProbe', () => {
  it('prefers a local pv/mbuffer, then an ssh client, then the local zfs', () => {
    expect(progressProbe([p('zfs', 'send', 'a@1'), p('pv', '-q'), p('zfs', 'receive', 'b')])).toEqual({ index: 1, counter: 'rchar' });
    expect(progressProbe([p('ssh', 'h', '--', 'zfs send'), p('zfs', 'receive', 'b')])).toEqual({ index: 0, counter: 'wchar' });
    expect(progressProbe([p('zfs', 'send', 'a@1'), p('ssh', 'h', '--', 'zfs receive')])).toEqual({ index: 1, counter: 'rchar' });
    expect(progressProbe([p('zfs', 'send', 'a@1'), p('zfs', 'receive', 'b')])).toEqual({ index: 1, counter: 'rchar' });
    expect(progressProbe([p('ssh', 'a'), p('ssh', 'b')])).toEqual({ index: 0, counter: 'wchar' });
  });
});

describe('readIoCounter', () => {
  it('reads this process, and is null for a process that is gone', () => {
    expect(readIoCounter(process.pid, 'rchar')).toBeGreaterThan(0);
    const gone = spawnSync('true').pid!;
    expect(readIoCounter(gone, 'wchar')).toBeNull();
  });
});
