// evaluateStatus: which side is primary at a glance, two primaries CRITICAL, roles reversed after a switchover
// judged the right way round, unreachable sides and unfinished promotions reported.
import { describe, expect, it } from 'vitest';
import { evaluateStatus, type StatusInput } from '../../../src/core/failover/status.js';
import { primaryDs, replicaDs, tree } from './fixtures.js';

const NOW = 1_700_000_100;
const base = (p: Partial<StatusInput>): StatusInput => ({
  job: 'data',
  source: { label: 'server1:vol1/data', tree: tree('vol1/data', { '': primaryDs('vol1/data', ['@s1:10=101', '@s2:20=102'], { written: 0 }) }) },
  targets: [{ id: 't1', label: 'vol2/data', tree: tree('vol2/data', { '': replicaDs('vol2/data', ['@s1:40=101', '@s2:41=102']) }) }],
  now: NOW,
  lastSync: null,
  records: [],
  ...p,
});

describe('evaluateStatus', () => {
  it('one primary, its replica in sync: OK, with the lag', () => {
    const s = evaluateStatus(base({}));
    expect(s.state).toBe('OK');
    expect(s.summary).toBe('job data: primary server1:vol1/data (epoch 0); vol2/data in-sync, lag 0s');
    expect(s.sides.map((x) => [x.label, x.role, x.relation])).toEqual([
      ['server1:vol1/data', 'primary', null],
      ['vol2/data', 'replica', 'in-sync'],
    ]);
  });

  it('two primaries: CRITICAL, naming both epochs', () => {
    const s = evaluateStatus(base({ targets: [{ id: 't1', label: 'vol2/data', tree: tree('vol2/data', { '': primaryDs('vol2/data', ['@s1:40=101'], { epoch: 1 }) }) }] }));
    expect(s.state).toBe('CRITICAL');
    expect(s.problems[0]).toBe('CRITICAL: two primaries: server1:vol1/data (epoch 0) and vol2/data (epoch 1); demote the older one (its writes are kept)');
  });

  it('after a switchover the source is judged as the replica of the promoted target', () => {
    const s = evaluateStatus(
      base({
        source: { label: 'server1:vol1/data', tree: tree('vol1/data', { '': replicaDs('vol1/data', ['@s1:10=101', '@s2:20=102'], { epoch: 1 }) }) },
        targets: [{ id: 't1', label: 'vol2/data', tree: tree('vol2/data', { '': primaryDs('vol2/data', ['@s1:40=101', '@s2:41=102'], { epoch: 1, written: 0 }) }) }],
      }),
    );
    expect(s.state).toBe('OK');
    expect(s.sides[0]).toMatchObject({ role: 'replica', relation: 'in-sync', reversed: true });
    expect(s.sides[1]).toMatchObject({ role: 'primary', relation: null });
    expect(s.summary).toBe('job data: primary vol2/data (epoch 1); server1:vol1/data in-sync, lag 0s (roles reversed)');
  });

  it('an unreachable side is UNKNOWN, an unfinished promotion WARNING, nobody primary WARNING', () => {
    expect(evaluateStatus(base({ targets: [{ id: 't1', label: 'b:vol2/data', tree: null, error: 'b unreachable: connection refused' }] })).state).toBe('UNKNOWN');
    const rec = evaluateStatus(base({ records: [{ action: 'promote', mode: 'planned', phase: 'switched', epoch: 1, updatedAt: 0 }] }));
    expect(rec.state).toBe('WARNING');
    expect(rec.problems).toEqual(['WARNING: a promote (epoch 1) did not finish (switched): re-run it']);
    const none = evaluateStatus(base({ source: { label: 'server1:vol1/data', tree: tree('vol1/data', { '': replicaDs('vol1/data', ['@s1:10=101']) }) } }));
    expect(none.state).toBe('WARNING');
  });
});

describe('evaluateStatus: blocked replication', () => {
  it('a replica that sync refuses (diverged, newer, modified) is a WARNING in status', () => {
    const s = evaluateStatus(base({ targets: [{ id: 't1', label: 'vol2/data', tree: tree('vol2/data', { '': replicaDs('vol2/data', ['@s1:40=101', '@x:45=999']) }) }] }));
    expect(s.state).toBe('WARNING');
    expect(s.problems).toEqual(['WARNING: vol2/data: diverged: replication into it is blocked; zfailover check divergence explains it']);
  });
});
