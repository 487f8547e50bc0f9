// Listings for one prune run: each (host, root) is listed once however many jobs and datasets need it, and a
// failure is kept as the reason instead of thrown, so the datasets that depend on it can fall back to the
// job state or stay untouched.
import { oneLine } from '../../errors.js';
import { stateForError, type ServiceState } from '../../outcome.js';
import type { Listing } from '../../core/dataset.js';
import type { RunnerPool } from '../../sync/runners.js';
import { listTree } from '../../zfs/list.js';
import { formatSide, hostLabel, type Side } from '../../zfs/side.js';
import type { Capabilities, Runner, SshSettings } from '../../zfs/types.js';

export type View =
  | { readonly ok: true; readonly listing: Listing; readonly runner: Runner; readonly caps: Capabilities }
  | { readonly ok: false; readonly why: string; readonly state: ServiceState; readonly error: unknown };

export class Views {
  private readonly cache = new Map<string, Promise<View>>();

  constructor(
    private readonly runners: RunnerPool,
    private readonly signal: AbortSignal,
  ) {}

  get(side: Side, recursive: boolean, ssh: SshSettings): Promise<View> {
    const key = `${hostLabel(side.host, ssh.port)}|${side.dataset}|${recursive}`;
    let v = this.cache.get(key);
    if (!v) {
      v = this.list(side, recursive, ssh);
      this.cache.set(key, v);
    }
    return v;
  }

  private async list(side: Side, recursive: boolean, ssh: SshSettings): Promise<View> {
    try {
      const runner = this.runners.runner(side.host, ssh);
      const caps = await this.runners.capabilities(runner);
      const listing = await listTree(runner, caps, side.dataset, { recursive, signal: this.signal });
      return { ok: true, listing, runner, caps };
    } catch (e) {
      return { ok: false, why: `cannot list ${formatSide(side)}: ${oneLine(e)}`, state: stateForError(e), error: e };
    }
  }
}
