// Role/epoch bookkeeping by sync: targets become replicas of the source's epoch, epochs never go down,
// a primary target is never touched, an unmarked source becomes primary.
import { describe, expect, it } from 'vitest';
import type { DatasetInfo } from '../../../src/core/dataset.js';
import { sourceRoleUpdate, targetRoleUpdate } from '../../../src/sync/roles.js';

const ds = (p: Partial<DatasetInfo>): DatasetInfo =>
  ({
    name: 'x',
    type: 'filesystem',
    guid: '1',
    createtxg: 1,
    creation: 0,
    versions: [],
    written: 0,
    resumeToken: null,
    readonly: true,
    role: null,
    roleSource: 'none',
    epoch: null,
    encryption: null,
    encryptionRoot: null,
    keyStatus: null,
    mountpoint: null,
    canmount: null,
    mounted: null,
    origin: null,
    used: null,
    available: null,
    referenced: null,
    extra: {},
    ...p,
  }) as DatasetInfo;

describe('targetRoleUpdate', () => {
  it('marks a freshly received target as a replica of the source epoch', () => {
    expect(targetRoleUpdate(ds({ epoch: 3 }), null, true)).toEqual({ 'zfailover:role': 'replica', 'zfailover:epoch': '3' });
    expect(targetRoleUpdate(ds({ epoch: 3 }), null, false)).toBeNull();
  });
  it('raises a lower epoch and never lowers one', () => {
    expect(targetRoleUpdate(ds({ epoch: 5 }), ds({ role: 'replica', roleSource: 'local', epoch: 2 }), false)).toEqual({ 'zfailover:epoch': '5' });
    expect(targetRoleUpdate(ds({ epoch: 1 }), ds({ role: 'replica', roleSource: 'local', epoch: 4 }), false)).toBeNull();
  });
  it('leaves a primary alone and fixes an inherited or missing role', () => {
    expect(targetRoleUpdate(ds({ epoch: 0 }), ds({ role: 'primary', roleSource: 'local', epoch: 0 }), false)).toBeNull();
    expect(targetRoleUpdate(ds({ epoch: 0 }), ds({ role: 'replica', roleSource: 'inherited', epoch: 0 }), false)).toEqual({ 'zfailover:role': 'replica' });
    expect(targetRoleUpdate(ds({}), ds({ role: null, epoch: null }), false)).toEqual({ 'zfailover:role': 'replica', 'zfailover:epoch': '0' });
  });
});

describe('sourceRoleUpdate', () => {
  it('marks an unmarked source primary, keeps any role already set', () => {
    expect(sourceRoleUpdate(ds({}))).toEqual({ 'zfailover:role': 'primary', 'zfailover:epoch': '0' });
    expect(sourceRoleUpdate(ds({ role: 'replica', epoch: 2 }))).toBeNull();
  });
});

describe('sshShellPrefix', () => {
  it('spells the commands an operator can paste', async () => {
    const { sshShellPrefix } = await import('../../../src/sync/conflict-text.js');
    expect(sshShellPrefix(null)).toBe('');
    expect(sshShellPrefix({ user: 'root', host: 'b', port: 2222 })).toBe('ssh -p 2222 root@b ');
    expect(sshShellPrefix({ host: '::1' })).toBe('ssh ::1 ');
  });
});
