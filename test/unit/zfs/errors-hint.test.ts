// The fix a failed receive prints for a pending partial receive is the real command, quoted by the one builder
// (it was the placeholder `zfs receive -A <target>`): sh parses it back to the exact dataset name.
import { execaSync } from 'execa';
import { describe, expect, test } from 'vitest';
import { ZfsError } from '../../../src/zfs/errors.js';

const words = (line: string): string[] => execaSync('sh', ['-c', `set -- ${line}; printf '%s\\n' "$@"`]).stdout.split('\n');

describe('resume-state-exists hint', () => {
  test.each(['pool/plain', 'pool/a b  c', "pool/it's $(touch /tmp/x) `id`"])('%s', (target) => {
    const e = new ZfsError({ reason: 'resume-state-exists', argv: ['zfs', 'receive', '-s', '-u', target], host: 'local', exitCode: 1, stderr: `cannot receive: destination ${target} contains partially-complete state` });
    const command = e.hint!.split('  # ')[0]!;
    expect(e.hint).not.toContain('<target>');
    expect(words(command)).toEqual(['zfs', 'receive', '-A', target]);
  });
  test('on another host the hint says where (sync rebuilds it with the job\'s ssh)', () => {
    const e = new ZfsError({ reason: 'resume-state-exists', argv: ['zfs', 'recv', '-s', 'pool/x y'], host: 'root@b:2222', exitCode: 1, stderr: '' });
    expect(e.hint).toBe("zfs receive -A 'pool/x y'  # drops the partial receive (run it on root@b:2222); otherwise the next run resumes it");
  });
});
