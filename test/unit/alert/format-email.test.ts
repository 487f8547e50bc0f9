// Email text: the subject carries state, host, job and dataset on one line; the body the details and the
// resolving command; several notifications become one digest.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { formatEmail } from '../../../src/alert/format-email.js';
import type { Notification } from '../../../src/alert/types.js';

const T = Date.UTC(2026, 10, 26, 10, 15, 0);
const OPTS = { subjectPrefix: '[zfailover]', sentAt: T, repeatSeconds: null };
const n = (over: Partial<Notification> = {}, item: Partial<Notification['item']> = {}): Notification => ({
  type: 'problem',
  source: 'sync',
  host: 'host-a',
  time: T,
  item: {
    job: 'nightly',
    dataset: 'tank/data',
    target: 'backup',
    kind: 'replication',
    state: 'CRITICAL',
    summary: 'target diverged',
    conflict: 'diverged',
    command: 'zfailover sync --job nightly --rollback-target',
    details: ['common snapshot: tank/data@zfailover-sync_nightly_20261126T095945.000Z', 'target-only: @manual1'],
    lagSeconds: 2400,
    ...item,
  },
  previousState: 'OK',
  since: T - 15_000,
  ...over,
});

describe('single notification', () => {
  test('problem: subject, headers and a body with every field and the resolving command', () => {
    const m = formatEmail([n()], OPTS);
    expect(m.subject).toBe('[zfailover] CRITICAL host-a nightly tank/data -> backup: target diverged');
    expect(m.headers).toMatchObject({
      'X-Zfailover-Type': 'problem',
      'X-Zfailover-State': 'CRITICAL',
      'X-Zfailover-Conflict': 'diverged',
      'Auto-Submitted': 'auto-generated',
    });
    expect(m.text).toBe(
      [
        'CRITICAL: target diverged',
        '',
        'Host:       host-a',
        'Job:        nightly',
        'Dataset:    tank/data',
        'Target:     backup',
        'Watching:   replication (reported by sync)',
        'State:      CRITICAL since 2026-11-26 10:14:45 UTC (previously notified: OK)',
        'Lag:        40m00s',
        'Conflict:   diverged',
        'Raised:     2026-11-26 10:15:00 UTC',
        '',
        'Details:',
        '  common snapshot: tank/data@zfailover-sync_nightly_20261126T095945.000Z',
        '  target-only: @manual1',
        '',
        'To resolve, run:',
        '  zfailover sync --job nightly --rollback-target',
        '',
        '-- ',
        'zfailover on host-a: one message per state change.',
        '',
      ].join('\n'),
    );
  });

  test('recovery, reminder, flapping, event and test subjects', () => {
    const ok = { state: 'OK' as const, summary: 'replicated, lag 12s', conflict: undefined, command: undefined, target: undefined };
    expect(formatEmail([n({ type: 'recovery', previousState: 'CRITICAL' }, ok)], OPTS).subject).toBe(
      '[zfailover] OK (recovered) host-a nightly tank/data: replicated, lag 12s',
    );
    expect(formatEmail([n({ type: 'reminder' })], OPTS).subject).toMatch(/^\[zfailover\] CRITICAL \(still\) host-a /);
    expect(formatEmail([n({ type: 'flapping', note: 'state changed 4 times in 10m' })], OPTS).text).toMatch(
      /^FLAPPING CRITICAL: target diverged \(state changed 4 times in 10m\)\n/,
    );
    const ev = formatEmail(
      [n({ type: 'event', source: 'promote' }, { kind: 'promotion', state: 'OK', summary: 'promoted to primary, epoch 4', epoch: 4 })],
      OPTS,
    );
    expect(ev.subject).toBe('[zfailover] EVENT promotion host-a nightly tank/data -> backup: promoted to primary, epoch 4');
    expect(ev.text).toContain('State:      OK\n');
    expect(ev.text).toContain('Epoch:      4\n');
    const t = formatEmail([n({ type: 'test', source: 'test' }, { summary: 'test alert' })], OPTS);
    expect(t.subject).toBe('[zfailover] TEST host-a: test alert');
    expect(t.text).not.toContain('Dataset:');
  });

  test('a late delivery says so, with the delay', () => {
    expect(formatEmail([n()], { ...OPTS, sentAt: T + 30_000 }).text).not.toContain('Sent:');
    expect(formatEmail([n()], { ...OPTS, sentAt: T + 720_000 }).text).toContain(
      'Sent:       2026-11-26 10:27:00 UTC, 12m00s late: earlier deliveries failed\n',
    );
  });

  test('the footer names the reminder interval when there is one', () => {
    expect(formatEmail([n()], { ...OPTS, repeatSeconds: 3600 }).text).toContain('reminders every 1h00m while a problem lasts.');
  });
});

describe('digest', () => {
  test('several notifications: worst state and count in the subject, a summary list, then every block', () => {
    const rec = n({ type: 'recovery', previousState: 'WARNING' }, { dataset: 'tank/b', state: 'OK', summary: 'replicated', conflict: undefined });
    const m = formatEmail([n(), rec], OPTS);
    expect(m.subject).toBe('[zfailover] CRITICAL host-a: 2 alerts: CRITICAL nightly tank/data -> backup; OK (recovered) nightly tank/b -> backup');
    expect(m.headers).toMatchObject({ 'X-Zfailover-Type': 'digest', 'X-Zfailover-Count': '2', 'X-Zfailover-State': 'CRITICAL' });
    expect(m.text).toMatch(
      /^2 alerts from host-a, oldest first:\n\n {2}CRITICAL nightly tank\/data -> backup: target diverged\n {2}OK \(recovered\) nightly tank\/b -> backup: replicated\n/,
    );
    expect(m.text.split('-'.repeat(72))).toHaveLength(3);
  });
});

describe('properties', () => {
  test.prop([fc.string({ maxLength: 500 }), fc.string({ maxLength: 60 }), fc.string({ maxLength: 60 })])(
    'the subject is one line of at most 200 characters and headers carry no line breaks, whatever the input',
    (summary, dataset, job) => {
      const m = formatEmail([n({}, { summary, dataset, job })], OPTS);
      expect(m.subject).not.toMatch(/[\r\n]/);
      expect(m.subject.length).toBeLessThanOrEqual(200);
      for (const v of Object.values(m.headers)) expect(v).not.toMatch(/[\r\n]/);
    },
  );
});

describe('first notification', () => {
  test('says so instead of a previous state that never was', () => {
    const text = formatEmail([n({ first: true })], OPTS).text;
    expect(text).toContain('State:      CRITICAL since 2026-11-26 10:14:45 UTC (first notification)');
    expect(text).not.toContain('previously notified');
  });
});
