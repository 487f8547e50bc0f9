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
    const s = evaluateStatus(
      base({ targets: [{ id: 't1', label: 'vol2/data', tree: tree('vol2/data', { '': primaryDs('vol2/data', ['@s1:40=101'], { epoch: 1 }) }) }] }),
    );
    expect(s.state).toBe('CRITICAL');
    expect(s.problems[0]).toBe('CRITICAL: two primaries: server1:vol1/data (epoch 0) and vol2/data (epoch 1); demote the older one (its writes are kept)');
  });

  it('after a switchover the source is judged as the replica of the promoted target', () => {
    const s = evaluateStatus(
      base({
        source: { label: 'server1:vol1/data', tree: tree('vol1/data', { '': replicaDs('vol1/data', ['@s1:10=101', '@s2:20=102'], { epoch: 1 }) }) },
        targets: [
          { id: 't1', label: 'vol2/data', tree: tree('vol2/data', { '': primaryDs('vol2/data', ['@s1:40=101', '@s2:41=102'], { epoch: 1, written: 0 }) }) },
        ],
      }),
    );
    expect(s.state).toBe('OK');
    expect(s.sides[0]).toMatchObject({ role: 'replica', relation: 'in-sync', reversed: true });
    expect(s.sides[1]).toMatchObject({ role: 'primary', relation: null });
    expect(s.summary).toBe('job data: primary vol2/data (epoch 1); server1:vol1/data in-sync, lag 0s (roles reversed)');
  });

  it('an unreachable side is UNKNOWN, an unfinished promotion WARNING, nobody primary WARNING', () => {
    expect(evaluateStatus(base({ targets: [{ id: 't1', label: 'b:vol2/data', tree: null, error: 'b unreachable: connection refused' }] })).state).toBe(
      'UNKNOWN',
    );
    const rec = evaluateStatus(base({ records: [{ action: 'promote', mode: 'planned', phase: 'switched', epoch: 1, updatedAt: 0 }] }));
    expect(rec.state).toBe('WARNING');
    expect(rec.problems).toEqual(['WARNING: a promote (epoch 1) did not finish (switched): re-run it']);
    const none = evaluateStatus(base({ source: { label: 'server1:vol1/data', tree: tree('vol1/data', { '': replicaDs('vol1/data', ['@s1:10=101']) }) } }));
    expect(none.state).toBe('WARNING');
  });
});

describe('evaluateStatus: blocked replication', () => {
  it('a replica that sync refuses (diverged, newer, modified) is a WARNING in status', () => {
    const s = evaluateStatus(
      base({ targets: [{ id: 't1', label: 'vol2/data', tree: tree('vol2/data', { '': replicaDs('vol2/data', ['@s1:40=101', '@x:45=999']) }) }] }),
    );
    expect(s.state).toBe('WARNING');
    expect(s.problems).toEqual(['WARNING: vol2/data: diverged: replication into it is blocked; zfailover check divergence explains it']);
  });
});

describe('evaluateStatus: the first line during an outage (issue 19)', () => {
  it('names the unreachable side and its cause first, and never says "0 primaries" for a primary out of sight', () => {
    const s = evaluateStatus(base({ source: { label: 'root@a:22:vol1/data', tree: null, error: 'root@a:22 unreachable: connection refused' } }));
    expect(s.state).toBe('UNKNOWN');
    expect(s.summary).toBe('job data: root@a:22:vol1/data unreachable (connection refused); no reachable primary');
  });
  it('a host that answers but cannot list is "cannot be listed", with its reason', () => {
    const s = evaluateStatus(base({ targets: [{ id: 't1', label: 'b:vol2/data', tree: null, error: 'zfs get on b: permission denied' }] }));
    expect(s.summary).toBe('job data: b:vol2/data cannot be listed (zfs get on b: permission denied); primary server1:vol1/data (epoch 0)');
  });
});

describe('renderStatus: primaries counted once per dataset', async () => {
  const { renderStatus } = await import('../../../src/actions/status/render.js');
  it('a job and its way-back job over one pair: primaries=1; both sides primary: primaries=2', () => {
    const data = evaluateStatus(base({}));
    const back = evaluateStatus(base({ job: 'data-back', source: base({}).targets[0]!, targets: [{ id: 't1', ...base({}).source }] }));
    expect(renderStatus([data, back], 'OK', NOW).perfdata).toBe('jobs=2 primaries=1');
    const two = { tree: tree('vol2/data', { '': primaryDs('vol2/data', ['@s1:40=101'], { epoch: 1 }) }) };
    const d2 = evaluateStatus(base({ targets: [{ id: 't1', label: 'vol2/data', ...two }] }));
    const b2 = evaluateStatus(base({ job: 'data-back', source: { label: 'vol2/data', ...two }, targets: [{ id: 't1', ...base({}).source }] }));
    expect(renderStatus([d2, b2], 'CRITICAL', NOW).perfdata).toBe('jobs=2 primaries=2');
  });
});
