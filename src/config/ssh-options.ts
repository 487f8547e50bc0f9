// Validation of extra ssh `-o` options (config `ssh.options`, CLI `--ssh-option`). Host keys stay checked, and
// the options zfailover manages itself (connection sharing, batch mode) cannot be overridden by accident:
// ssh uses the first value it sees for an option, so a stray ControlPath would silently break the master.
const MANAGED: Readonly<Record<string, string>> = {
  controlmaster: 'zfailover manages connection sharing itself',
  controlpath: 'zfailover puts its sockets in <state_dir>/ssh',
  controlpersist: 'use ssh.control_persist',
  batchmode: 'zfailover always runs ssh in batch mode',
  connecttimeout: 'use ssh.connect_timeout',
};

/** Why `opt` is not an acceptable `-o` option, or null. Accepts `Key=Value` and `Key Value`, like ssh. */
export const sshOptionProblem = (opt: string): string | null => {
  const m = /^([A-Za-z][A-Za-z0-9]*)\s*(?:=|\s)\s*(\S.*)$/.exec(opt.trim());
  if (!m) return `invalid ssh option '${opt}': expected Key=Value, e.g. UserKnownHostsFile=/etc/zfailover/known_hosts`;
  const key = (m[1] as string).toLowerCase();
  const value = (m[2] as string).trim().toLowerCase();
  const managed = MANAGED[key];
  if (managed) return `ssh option '${m[1]}' is not allowed: ${managed}`;
  if (key === 'stricthostkeychecking' && (value === 'no' || value === 'off')) {
    return `ssh option '${opt}' is not allowed: host keys must stay checked (use accept-new, or pin keys with UserKnownHostsFile=FILE)`;
  }
  return null;
};
