// The runner factory: local for a side without host, ssh otherwise.
import { LocalRunner } from './runner-local.js';
import { SshRunner } from './runner-ssh.js';
import type { HostSpec, Runner, SshSettings } from './types.js';

export interface RunnerEnv {
  /** Environment of the commands (tests put a zfs shim first on PATH); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

export const runnerFor = (host: HostSpec | null, ssh: SshSettings, opts: RunnerEnv = {}): Runner =>
  host === null ? new LocalRunner(opts) : new SshRunner(host, ssh, opts);

export { LocalRunner, SshRunner };
