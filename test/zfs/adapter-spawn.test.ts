// spawnCapture and LocalRunner.exec with real processes: large stdout, bounded stderr, input, timeout and abort
// (SIGKILL after the grace), PATH appended with /usr/sbin:/sbin so a shim earlier on PATH still wins.
import { describe, expect, test } from 'vitest';
import { DeadlineError } from '../../src/errors.js';
import { ZfsError } from '../../src/zfs/errors.js';
import { LocalRunner } from '../../src/zfs/runner-local.js';
import { BoundedText, STDERR_LIMIT, spawnCapture, toolEnv } from '../../src/zfs/spawn.js';

describe('spawnCapture', () => {
  test('stdout is captured fully (tens of MB), stderr is bounded to head and tail', async () => {
    const r = await spawnCapture('sh', ['-c', 'head -c 30000000 /dev/zero | tr "\\0" a; i=0; while [ $i -lt 20000 ]; do echo "line $i" >&2; i=$((i+1)); done']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.length).toBe(30_000_000);
    expect(r.stderr.length).toBeLessThan(STDERR_LIMIT + 100);
    expect(r.stderr.startsWith('line 0\n')).toBe(true);
    expect(r.stderr.trimEnd().endsWith('line 19999')).toBe(true);
    expect(r.stderr).toMatch(/bytes cut/);
  });

  test('input goes to stdin; a command that does not read it is fine', async () => {
    expect((await spawnCapture('cat', [], { input: 'héllo\n' })).stdout).toBe('héllo\n');
    expect((await spawnCapture('true', [], { input: 'x'.repeat(1_000_000) })).exitCode).toBe(0);
  });

  test('timeout: SIGTERM, then SIGKILL for a command that ignores it', async () => {
    const t0 = Date.now();
    const r = await spawnCapture('sh', ['-c', 'trap "" TERM; while :; do sleep 0.05; done'], { timeoutMs: 200, killGraceMs: 200 });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGKILL');
    expect(Date.now() - t0).toBeLessThan(15_000); // the loop never ends by itself: any bound shows the kill worked
  });

  test('a missing program is a spawn error, not an exception', async () => {
    const r = await spawnCapture('/nonexistent/zfo', []);
    expect(r.spawnError?.code).toBe('ENOENT');
  });

  test('toolEnv appends /usr/sbin:/sbin (once) and sets LC_ALL=C', () => {
    expect(toolEnv({ PATH: '/opt/shim:/usr/bin', LANG: 'de_DE.UTF-8' })).toMatchObject({
      PATH: '/opt/shim:/usr/bin:/usr/sbin:/sbin',
      LC_ALL: 'C',
      LANG: 'de_DE.UTF-8',
    });
    expect(toolEnv({ PATH: '/sbin:/usr/bin:/usr/sbin' }).PATH).toBe('/sbin:/usr/bin:/usr/sbin');
  });

  test('BoundedText keeps multibyte text intact when nothing is cut', () => {
    const b = new BoundedText(100);
    b.push(Buffer.from('日本'));
    b.push(Buffer.from('語'));
    expect(b.text()).toBe('日本語');
  });
});

describe('LocalRunner.exec', () => {
  const runner = new LocalRunner({ env: { PATH: '/usr/bin:/bin' } });
  test('finds zfs-style tools in /usr/sbin from a bare PATH', async () => {
    expect((await runner.exec(['sh', '-c', 'echo $PATH'])).stdout.trim()).toBe('/usr/bin:/bin:/usr/sbin:/sbin');
  });
  test('a failure throws a classified ZfsError; allowFailure returns it instead', async () => {
    const err = await runner.exec(['sh', '-c', 'echo "cannot open \'p/x\': dataset does not exist" >&2; exit 1']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZfsError);
    expect((err as ZfsError).reason).toBe('dataset-not-found');
    const r = await runner.exec(['sh', '-c', 'exit 3'], { allowFailure: true });
    expect(r.exitCode).toBe(3);
  });
  test('timeout -> killed (transient); abort with our error -> that error', async () => {
    await expect(runner.exec(['sleep', '5'], { timeoutMs: 100 })).rejects.toMatchObject({ reason: 'killed', kind: 'transient' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new DeadlineError('deadline')), 50);
    await expect(runner.exec(['sleep', '5'], { signal: ac.signal })).rejects.toBeInstanceOf(DeadlineError);
  });
  test('a program that does not exist is reported as unsupported', async () => {
    await expect(runner.exec(['zfo-no-such-program'])).rejects.toMatchObject({ reason: 'unsupported' });
  });
});
