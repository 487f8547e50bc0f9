// The sync first line within its budget: the names give way, the reason stays whole while it can; a reason longer
// than the budget keeps its start and zfs's words at its end. Properties over generated names and reasons, and the
// line seen on the OpenZFS guest with a suspended pool (test/openzfs/pool-suspended.test.ts).
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { elideMiddle, fitLine } from '../../../src/sync/first-line.js';
import { renderDryRun } from '../../../src/app/sync-dry-run.js';
import { summarizeJob, targetFailure, type DatasetReport, type JobReport } from '../../../src/sync/report.js';

const text = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ minLength: 100, maxLength: 300 }));
const name = fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ minLength: 60, maxLength: 120 }));

describe('first line', () => {
  fcTest.prop([text, fc.integer({ min: 0, max: 200 })])('elideMiddle: never longer than n, unchanged when it fits, keeps both ends', (s, n) => {
    const e = elideMiddle(s, n);
    expect(e.length).toBeLessThanOrEqual(Math.max(n, 0));
    if (s.length <= n) expect(e).toBe(s);
    else if (n > 3) {
      const room = n - 3;
      const ends = Array.from({ length: room + 1 }, (_, k) => `${s.slice(0, k)}...${s.slice(s.length - (room - k))}`);
      expect(ends).toContain(e);
    }
  });

  fcTest.prop([fc.array(name, { minLength: 1, maxLength: 2 }), text])(
    'fitLine: at most 170 characters; a reason of up to 125 (170 less 40 for the names and the separators) is kept whole; a longer one keeps its last words',
    (names, reason) => {
      const line = fitLine(names, ' -> ', reason, 170);
      expect(line.length).toBeLessThanOrEqual(170);
      if (reason.length <= 125) expect(line.endsWith(reason)).toBe(true);
      else expect(line.endsWith(reason.slice(-50))).toBe(true);
    },
  );

  test('lines seen on real hosts keep the pair, what failed and zfs’s reason', () => {
    const suspended = fitLine(
      ['root@127.0.0.1:2222:src/susp-3c6b76/data', 'root@127.0.0.1:2222:zfosusp582583/replica of data'],
      ' -> ',
      "zfs list on root@127.0.0.1:2222: cannot open 'zfosusp582583/replica of data': pool I/O is currently suspended",
      170,
      ': ',
    );
    expect(suspended.length).toBeLessThanOrEqual(170);
    expect(suspended).toMatch(/^root@\S+ -> root@\S+( \S+)*: zfs list on root@127\.0\.0\.1:2222: cannot open .*: pool I\/O is currently suspended$/);
    const partial = fitLine(
      ['root@127.0.0.1:2222:src/ozpa-f1b561/my data', 'root@127.0.0.1:2222:dst/ozpa-f1b561/my copy'],
      ' -> ',
      'zfs receive on root@127.0.0.1:2222: cannot receive incremental stream: destination dst/ozpa-f1b561/my copy contains partially-complete state from zfs receive -s.',
      170,
    );
    expect(partial.length).toBeLessThanOrEqual(170);
    expect(partial).toMatch(/ zfs receive on root@127\.0\.0\.1:2222: cannot receive incremental/);
    expect(partial).toMatch(/contains partially-complete state from zfs receive -s\.$/);
  });

  test('two datasets refused on a guest: the conflict name leads the first line, whatever the length of the names', () => {
    const side = (ds: string) => `root@127.0.0.1:2222:${ds}`;
    const refused = (ds: string): DatasetReport => ({
      source: `src/failover-95bb14/${ds}`,
      target: `dst/failover-95bb14/${ds}`,
      state: 'CRITICAL',
      outcome: 'conflict',
      steps: [],
      snapshots: 0,
      bytes: 0,
      common: null,
      conflict: 'target-is-primary',
      message: `dst/failover-95bb14/${ds} is a primary (epoch 3): refusing to overwrite it`,
    });
    const report: JobReport = {
      job: 'data',
      source: side('src/failover-95bb14/data'),
      state: 'CRITICAL',
      dryRun: false,
      startedAt: 0,
      finishedAt: 3600,
      snapshot: null,
      targets: [
        { id: 't', side: side('dst/failover-95bb14/data'), state: 'CRITICAL', datasets: [refused('data'), refused('data/db')], orphans: [], destroyed: [] },
      ],
      destroyed: [],
      notes: [],
    };
    const { summary } = summarizeJob(report);
    expect(summary.length).toBeLessThanOrEqual(170 + ' 3.6s'.length);
    expect(summary).toMatch(/ target-is-primary on dst\/failover-95bb14\/data and 1 more: /);
    expect(summary).toMatch(/refusing to overwrite it 3\.6s$/);
  });

  test('an unreachable target: its side is named once in the first line and the dry run, and leads the text mails and the job state keep', () => {
    const side = 'root@standby.example:backup/my data';
    const reason = 'ssh to standby.example failed: Connection refused';
    const report: JobReport = {
      job: 'data',
      source: 'tank/my data',
      state: 'WARNING',
      dryRun: true,
      startedAt: 0,
      finishedAt: 1200,
      snapshot: null,
      targets: [{ id: 'standby', side, state: 'WARNING', datasets: [], orphans: [], destroyed: [], error: { kind: 'unreachable', message: reason } }],
      destroyed: [],
      notes: [],
    };
    const result = summarizeJob(report);
    expect(result.summary).toBe(`dry run: tank/my data -> ${side}: ${reason} 1.2s`);
    const dry = renderDryRun([report], result);
    expect(dry.split(side).length - 1).toBe(2); // the first line and the target line, once each
    expect(dry).toContain(`  target standby ${side}: ${reason}\n`);
    expect(targetFailure(report.targets[0]!)).toBe(`${side}: ${reason}`);
  });
});
