// Small builders for failover decision tests: datasets with versions from the `@name:txg[=guid]` notation.
import type { DatasetInfo } from '../../../src/core/dataset.js';
import type { TreeView } from '../../../src/core/failover/tree.js';
import { vl } from '../core/fixtures.js';

export const ds = (name: string, versions: string[], p: Partial<DatasetInfo> = {}): DatasetInfo =>
  ({
    name,
    type: 'filesystem',
    guid: `ds-${name}`,
    createtxg: 1,
    creation: 0,
    versions: vl(name, ...versions),
    written: 0,
    resumeToken: null,
    readonly: true,
    role: null,
    roleSource: 'none',
    epoch: null,
    encryption: null,
    encryptionRoot: null,
    keyStatus: null,
    mountpoint: `/${name}`,
    canmount: 'on',
    mounted: false,
    origin: null,
    used: null,
    available: null,
    referenced: null,
    extra: {},
    ...p,
  }) as DatasetInfo;

/** A tree from rel -> dataset (names are taken from the datasets). */
export const tree = (root: string, entries: Record<string, DatasetInfo>): TreeView => ({ root, datasets: new Map(Object.entries(entries)) });

export const primaryDs = (name: string, versions: string[], p: Partial<DatasetInfo> = {}): DatasetInfo =>
  ds(name, versions, { role: 'primary', roleSource: 'local', epoch: 0, readonly: false, mounted: true, ...p });

export const replicaDs = (name: string, versions: string[], p: Partial<DatasetInfo> = {}): DatasetInfo =>
  ds(name, versions, { role: 'replica', roleSource: 'local', epoch: 0, readonly: true, canmount: 'noauto', mounted: false, ...p });

/** 1_700_000_000 + txg is the creation time `vl` gives; now (ms) a given number of seconds after txg 10. */
export const NOW = (1_700_000_010 + 60) * 1000;
