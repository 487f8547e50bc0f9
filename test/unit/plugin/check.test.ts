// runCheck: probe -> evaluate -> summary, with failures and the internal deadline turned into UNKNOWN.
import { describe, expect, it } from 'vitest';
import { HostUnreachableError } from '../../../src/errors.js';
import { runCheck, type Evaluation } from '../../../src/plugin/check.js';
import { parseRange } from '../../../src/plugin/range.js';

const evaluate = (lag: number): Evaluation => ({
  noun: 'dataset',
  findings: [{ state: lag > 30 ? 'WARNING' : 'OK', subject: 'tank/a', text: `rpo ${lag}s` }],
  perfdata: [{ label: 'rpo', value: lag, uom: 's', warning: parseRange('30'), min: 0 }],
});
const never = new AbortController().signal;

describe('runCheck', () => {
  it('renders findings and perfdata', async () => {
    const r = await runCheck({ timeoutSec: 5, signal: never, probe: async () => 42, evaluate });
    expect(r).toMatchObject({ state: 'WARNING', summary: 'tank/a: rpo 42s', perfdata: 'rpo=42s;30;;0' });
  });
  it('turns a probe failure into UNKNOWN with the reason and the fix', async () => {
    const r = await runCheck({
      timeoutSec: 5,
      signal: never,
      what: 'tank/a',
      probe: async () => {
        throw new HostUnreachableError('backup', 'Connection refused');
      },
      evaluate,
    });
    expect(r).toMatchObject({ state: 'UNKNOWN', summary: 'cannot check tank/a: backup unreachable: Connection refused' });
  });
  it('gives UNKNOWN at the deadline and aborts the probe signal (so children are killed)', async () => {
    let aborted: unknown;
    const t0 = Date.now();
    const r = await runCheck({
      timeoutSec: 0.2,
      signal: never,
      probe: (signal) =>
        new Promise<number>(() => {
          signal.addEventListener('abort', () => (aborted = signal.reason));
        }),
      evaluate,
    });
    expect(r).toMatchObject({ state: 'UNKNOWN', summary: 'timed out after 0.2s' });
    expect(Date.now() - t0).toBeLessThan(10_000); // the probe never settles: any bound shows the deadline worked
    expect(String(aborted)).toMatch(/timed out/);
  });
  it('reports an interruption (SIGTERM from main) as UNKNOWN', async () => {
    const c = new AbortController();
    setTimeout(() => c.abort(new Error('interrupted by SIGTERM')), 50);
    const r = await runCheck({ timeoutSec: 10, signal: c.signal, probe: () => new Promise<number>(() => undefined), evaluate });
    expect(r).toMatchObject({ state: 'UNKNOWN', summary: 'interrupted by SIGTERM' });
  });
});
