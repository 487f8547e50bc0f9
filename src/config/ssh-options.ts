// Validation of extra ssh `-o` options (config `ssh.options`, CLI `--ssh-option`). An allow-list: ssh has
// options that run local commands (ProxyCommand, LocalCommand, KnownHostsCommand, Match exec), load code
// (PKCS11Provider, SecurityKeyProvider), read other config files (Include), or forward root's agent and ports;
// zfailover runs ssh as root, so only options that tune the connection and pin the host key are taken, in
// ssh's own spellings (any case, `Key=Value` or `Key Value`). Host keys stay checked, and the options
// zfailover manages itself (connection sharing, batch mode) cannot be overridden by accident: ssh uses the
// first value it sees for an option, so a stray ControlPath would silently break the master.
// Messages name the key only, never the value (a value may be a secret or hostile text).
const MANAGED: Readonly<Record<string, string>> = {
  controlmaster: 'zfailover manages connection sharing itself',
  controlpath: 'zfailover puts its sockets in <state_dir>/ssh',
  controlpersist: 'use ssh.control_persist',
  batchmode: 'zfailover always runs ssh in batch mode',
  connecttimeout: 'use ssh.connect_timeout',
};

/** Options that only tune the connection, authentication or host-key pinning (lower case, as ssh compares). */
const ALLOWED = new Set(
  [
    'AddressFamily',
    'BindAddress',
    'BindInterface',
    'CASignatureAlgorithms',
    'CertificateFile',
    'CheckHostIP',
    'Ciphers',
    'Compression',
    'ConnectionAttempts',
    'FingerprintHash',
    'GlobalKnownHostsFile',
    'GSSAPIAuthentication',
    'HashKnownHosts',
    'HostbasedAcceptedAlgorithms',
    'HostKeyAlgorithms',
    'HostKeyAlias',
    'HostName',
    'IdentitiesOnly',
    'IdentityFile',
    'IPQoS',
    'KbdInteractiveAuthentication',
    'KexAlgorithms',
    'LogLevel',
    'MACs',
    'NumberOfPasswordPrompts',
    'PasswordAuthentication',
    'Port',
    'PreferredAuthentications',
    'PubkeyAcceptedAlgorithms',
    'PubkeyAcceptedKeyTypes',
    'PubkeyAuthentication',
    'RekeyLimit',
    'RequiredRSASize',
    'RevokedHostKeys',
    'ServerAliveCountMax',
    'ServerAliveInterval',
    'StrictHostKeyChecking',
    'TCPKeepAlive',
    'UpdateHostKeys',
    'User',
    'UserKnownHostsFile',
    'VerifyHostKeyDNS',
  ].map((k) => k.toLowerCase()),
);

/** Host keys are checked with these values only; ssh also takes no/off/false/ask and quoted forms. */
const STRICT_OK = new Set(['yes', 'accept-new']);

const HOST_KEYS_HINT = 'host keys must stay checked (use accept-new, or pin keys with UserKnownHostsFile=FILE)';

/** `Key`, shown in a message only when it looks like an option name. */
const keyShown = (key: string): string => (key.length <= 40 ? `'${key}'` : 'this option');

interface Parsed {
  readonly key: string;
  readonly value: string;
}

/** ssh's `-o` syntax, `Key=Value` or `Key Value`; null when it is anything else (quotes around the key, ...). */
const parse = (opt: string): Parsed | null => {
  const m = /^\s*([A-Za-z][A-Za-z0-9]*)(?:\s*=\s*|\s+)(\S(?:.*\S)?)\s*$/s.exec(opt);
  return m ? { key: m[1] as string, value: m[2] as string } : null;
};

/** Why `opt` is not an acceptable `-o` option, or null. */
export const sshOptionProblem = (opt: string): string | null => {
  // A control character (a newline ending the option line early) could hide a second option from this check.
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(opt)) return 'invalid ssh option: contains a control character';
  const p = parse(opt);
  if (!p) return 'invalid ssh option: expected Key=Value, e.g. UserKnownHostsFile=/etc/zfailover/known_hosts';
  const key = p.key.toLowerCase();
  const managed = MANAGED[key];
  if (managed) return `ssh option ${keyShown(p.key)} is not allowed: ${managed}`;
  if (!ALLOWED.has(key))
    return `ssh option ${keyShown(p.key)} is not allowed: zfailover runs ssh as root and takes only the options listed in docs/design.md (Security)`;
  if (key === 'stricthostkeychecking' && !STRICT_OK.has(p.value.toLowerCase()))
    return `ssh option ${keyShown(p.key)} is not allowed with this value: ${HOST_KEYS_HINT}`;
  return null;
};

/**
 * Why a whole option list leaves host keys unchecked, or null: `StrictHostKeyChecking=accept-new` with an
 * empty known-hosts file (`/dev/null`, `none`) accepts every key on every connection.
 */
export const sshOptionsProblem = (opts: readonly string[]): string | null => {
  const parsed = opts.map(parse).filter((p): p is Parsed => p !== null);
  const value = (k: string): string | undefined => parsed.find((p) => p.key.toLowerCase() === k)?.value; // ssh: first wins
  const empty = (v: string | undefined): boolean => v !== undefined && v.split(/\s+/).every((f) => f === '/dev/null' || f.toLowerCase() === 'none');
  if (value('stricthostkeychecking')?.toLowerCase() === 'accept-new' && empty(value('userknownhostsfile'))) {
    return `ssh options StrictHostKeyChecking=accept-new and UserKnownHostsFile=/dev/null together accept any host key: ${HOST_KEYS_HINT}`;
  }
  return null;
};
