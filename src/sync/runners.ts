// One runner per host for the whole run (so each ssh master and capability probe is shared by every job
// and target on that host), closed at the end. It is also the sync's real endpoint pool (sync/endpoint.ts).
import type { Logger } from 'pino';
import { hostLabel } from '../zfs/side.js';
import { runnerFor } from '../zfs/runner.js';
import { loadCapabilities } from '../zfs/capabilities.js';
import type { Capabilities, HostSpec, Runner, SshSettings } from '../zfs/types.js';
import type { EndpointPool, SendStep, TransferEnds, TransferOptions } from './endpoint.js';
import type { JobSpec } from './job.js';
import { describeZfsTransfer, zfsTransfer, ZfsEndpoint } from './zfs-endpoint.js';

export class RunnerPool implements EndpointPool {
  private readonly endpoints = new Map<Runner, ZfsEndpoint>();

  private readonly runners = new Map<string, Runner>();
  private readonly caps = new Map<string, Promise<Capabilities>>();

  constructor(
    private readonly stateDir: string,
    private readonly now: () => number,
    private readonly env?: NodeJS.ProcessEnv,
  ) {}

  runner(host: HostSpec | null, ssh: SshSettings): Runner {
    const key = `${hostLabel(host, ssh.port)}|${ssh.key ?? ''}|${ssh.options.join(',')}`;
    let r = this.runners.get(key);
    if (!r) {
      r = runnerFor(host, ssh, this.env ? { env: this.env } : {});
      this.runners.set(key, r);
    }
    return r;
  }

  endpoint(host: HostSpec | null, ssh: SshSettings): ZfsEndpoint {
    const runner = this.runner(host, ssh);
    let e = this.endpoints.get(runner);
    if (!e) {
      e = new ZfsEndpoint(runner, () => this.capabilities(runner));
      this.endpoints.set(runner, e);
    }
    return e;
  }

  transfer(job: JobSpec, step: SendStep, ends: TransferEnds, opts: TransferOptions): Promise<{ bytes: number | null }> {
    return zfsTransfer(job, step, ends, opts);
  }

  describe(job: JobSpec, step: SendStep, ends: TransferEnds): string {
    return describeZfsTransfer(job, step, ends);
  }

  capabilities(runner: Runner): Promise<Capabilities> {
    let c = this.caps.get(runner.label);
    if (!c) {
      c = loadCapabilities(runner, this.stateDir, this.now());
      this.caps.set(runner.label, c);
      // A failed probe (host down) must not be cached for the next target on the same host.
      c.catch(() => this.caps.delete(runner.label));
    }
    return c;
  }

  async closeAll(log?: Logger): Promise<void> {
    for (const r of this.runners.values()) {
      await r.close().catch((e: unknown) => log?.warn({ err: e, host: r.label }, 'closing runner failed'));
    }
    this.runners.clear();
    this.endpoints.clear();
  }
}
