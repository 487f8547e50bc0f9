// Runners and capabilities for one check run. Runners come from the sync's RunnerPool (one ssh master per
// host); capability probes run here so that they get the check's deadline signal: a host that hangs in
// `zfs -?` must not outlive --timeout with orphaned ssh clients (RunnerPool.capabilities takes no signal).
import { loadCapabilities } from '../zfs/capabilities.js';
import type { Capabilities, HostSpec, Runner, SshSettings } from '../zfs/types.js';
import { RunnerPool } from '../sync/runners.js';

export class CheckHosts {
  private readonly pool: RunnerPool;
  private readonly caps = new Map<string, Promise<Capabilities>>();

  constructor(
    private readonly stateDir: string,
    private readonly now: () => number,
    env?: NodeJS.ProcessEnv,
  ) {
    this.pool = new RunnerPool(stateDir, now, env);
  }

  runner(host: HostSpec | null, ssh: SshSettings): Runner {
    return this.pool.runner(host, ssh);
  }

  /** Once per host and run; a failed probe is not remembered (the next target on that host tries again). */
  capabilities(runner: Runner, signal: AbortSignal): Promise<Capabilities> {
    let c = this.caps.get(runner.label);
    if (!c) {
      c = loadCapabilities(runner, this.stateDir, this.now(), signal);
      this.caps.set(runner.label, c);
      c.catch(() => this.caps.delete(runner.label));
    }
    return c;
  }

  closeAll(): Promise<void> {
    return this.pool.closeAll();
  }
}
