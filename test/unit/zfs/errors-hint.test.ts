// The fix a failed receive prints for a pending partial receive is the real command, quoted by the one builder
// (it was the placeholder `zfs receive -A <target>`): sh parses it back to the exact dataset name.
import { execaSync } from 'execa';
import { describe, expect, test } from 'vitest';
import { ZfsError } from '../../../src/zfs/errors.js';

const words = (line: string): string[] => execaSync('sh', ['-c', `set -- ${line}; printf '%s\\n' "$@"`]).stdout.split('\n');

describe('resume-state-exists hint', () => {
  test.each(['pool/plain', 'pool/a b  c', "pool/it's $(touch /tmp/x) `id`"])('%s', (target) => {
    const e = new ZfsError({
      reason: 'resume-state-exists',
      argv: ['zfs', 'receive', '-s', '-u', target],
      host: 'local',
      exitCode: 1,
      stderr: `cannot receive: destination ${target} contains partially-complete state`,
    });
    const command = e.hint!.split('  # ')[0]!;
    expect(e.hint).not.toContain('<target>');
    expect(words(command)).toEqual(['zfs', 'receive', '-A', target]);
  });
  test("on another host the hint says where (sync rebuilds it with the job's ssh)", () => {
    const e = new ZfsError({ reason: 'resume-state-exists', argv: ['zfs', 'recv', '-s', 'pool/x y'], host: 'root@b:2222', exitCode: 1, stderr: '' });
    expect(e.hint).toBe("zfs receive -A 'pool/x y'  # drops the partial receive (run it on root@b:2222); otherwise the next run resumes it");
  });
});

// Seen on the OpenZFS guest: the remote `dd status=progress | zfs receive` stage, the receive refusing at once. dd
// dies of the broken pipe with its \r progress line unterminated, so zfs's line continues it; the reason shown was
// the stage marker (`zfailover-remote-stage-failed 0 141`) instead of zfs's own words.
describe('reason line of a remote receive stage', () => {
  test('the receiver line that continues an unterminated dd progress line is the reason, never the stage marker', () => {
    const stderr =
      'receiving incremental stream of src/a b@s2 into dst/a b@s2\n' +
      '\r131072 bytes (131 kB, 128 KiB) copied, 1 s, 131 kB/s' +
      'cannot receive incremental stream: destination dst/a b contains partially-complete state from "zfs receive -s".\n' +
      'zfailover-remote-stage-failed 0 141\n';
    const e = new ZfsError({ reason: 'resume-state-exists', argv: ['zfs', 'receive'], host: 'root@h:22', exitCode: 1, stderr });
    expect(e.message).toBe(
      'zfs receive on root@h:22: cannot receive incremental stream: destination dst/a b contains partially-complete state from "zfs receive -s".',
    );
  });
  test('the marker alone is not a reason', () => {
    const e = new ZfsError({ reason: 'unknown', argv: ['zfs', 'receive'], host: 'local', exitCode: 1, stderr: 'zfailover-remote-stage-failed 0 141\n' });
    expect(e.message).toBe('zfs receive: exit 1');
  });
});
