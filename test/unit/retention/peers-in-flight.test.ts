// prune and snapshot retention read the sync write-ahead record (design §4.3.1): when a target cannot be listed,
// what a killed run may have delivered there is protected like the remembered common snapshot.
import { describe, expect, test } from 'vitest';
import { rememberedInFlight, sourcePeer, targetPeer } from '../../../src/actions/prune/peers.js';
import type { DatasetInfo } from '../../../src/core/dataset.js';
import type { Version } from '../../../src/core/versions.js';
import { job } from '../checks/builders.js';

const v = (dataset: string, name: string, guid: string, txg: number): Version => ({ kind: 'snapshot', dataset, name, guid, createtxg: txg, creation: txg });
const info = (name: string, versions: Version[]): DatasetInfo => ({ name, versions }) as unknown as DatasetInfo;
const down = { ok: false as const, why: 'host unreachable' };
const state = {
  side: 'backup/data',
  state: 'OK',
  summary: 'x',
  bytes: 0,
  conflict: null,
  common: { name: 'a', guid: 'g1' },
  datasets: {},
  inFlight: { '': [{ name: 'b', guid: 'g2' }] },
};

describe('the write-ahead record in prune peers', () => {
  const j = job('tank/data', ['backup/data']);
  test('an unreachable target: its remembered common and what was in flight to it', () => {
    const source = info('tank/data', [v('tank/data', 'a', 'g1', 1), v('tank/data', 'b', 'g2', 2)]);
    const p = sourcePeer({
      job: j,
      targetIndex: 0,
      rel: '',
      source,
      targetView: down,
      stateCommon: state.common,
      stateTarget: state as never,
      targetPolicy: null,
    });
    expect(p).toMatchObject({ state: 'known', commonGuid: 'g1', maybeCommon: ['g2'] });
    const none = sourcePeer({
      job: j,
      targetIndex: 0,
      rel: '',
      source,
      targetView: down,
      stateCommon: state.common,
      stateTarget: { ...state, inFlight: {} } as never,
      targetPolicy: null,
    });
    expect(none).not.toHaveProperty('maybeCommon');
  });
  test('an unreachable source, seen from the target', () => {
    const target = info('backup/data', [v('backup/data', 'a', 'g1', 5), v('backup/data', 'b', 'g2', 6)]);
    expect(targetPeer({ job: j, rel: '', target, sourceView: down, stateCommon: state.common, stateTarget: state as never })).toMatchObject({
      commonGuid: 'g1',
      maybeCommon: ['g2'],
    });
  });
  test('per dataset path: a child reads its own record', () => {
    expect(rememberedInFlight({ ...state, inFlight: { 'x/y': [{ name: 'c', guid: 'g3' }] } } as never, 'x/y')).toEqual({ maybeCommon: ['g3'] });
    expect(rememberedInFlight(state as never, 'x/y')).toEqual({});
    expect(rememberedInFlight(undefined, '')).toEqual({});
  });
});
