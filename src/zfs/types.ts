// Contracts of the zfs adapter: where commands run (Runner), what the host can do (Capabilities).
// The sync engine, checks and actions depend on these types only, never on ssh or child_process directly.

/** `[user@]host[:port]`; null means the local host. */
export interface HostSpec {
  readonly user?: string;
  readonly host: string;
  readonly port?: number;
}

export interface SshSettings {
  /** Identity file (`-i`). */
  readonly key?: string;
  /** Default port when the side spec gives none. */
  readonly port?: number;
  /** Extra `-o` options, e.g. `UserKnownHostsFile=/etc/zfailover/known_hosts`. Host keys stay checked. */
  readonly options: readonly string[];
  /** Directory for ControlMaster sockets (short path: unix sockets are limited to 108 bytes). */
  readonly controlDir: string;
  /** How long an idle master connection stays up, seconds (spans Monit cycles). */
  readonly controlPersist: number;
  /** ssh ConnectTimeout, seconds. */
  readonly connectTimeout: number;
}

export interface ExecOptions {
  /** Text for stdin. */
  readonly input?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Do not throw on a non-zero exit; the caller inspects the result. */
  readonly allowFailure?: boolean;
}

export interface ExecResult {
  readonly argv: readonly string[];
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** One OS process to spawn: file and argument vector, never a shell string built from input. */
export interface ProcessSpec {
  readonly file: string;
  readonly args: readonly string[];
  /** What this process does, for logs and errors (`zfs send tank/a@1` or `ssh root@b: zfs recv ...`). */
  readonly label: string;
}

export interface Runner {
  /** `local` or `user@host:port`. */
  readonly label: string;
  readonly remote: HostSpec | null;
  /** Run one command (argv[0] is `zfs`, `zpool`, ...) and capture output; failures throw classified ZfsErrors. */
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /**
   * The processes that run `a | b | c` on this host: locally one process per stage (joined later by kernel
   * pipes), remotely one ssh process whose remote command is the quoted pipeline.
   */
  processes(pipeline: readonly (readonly string[])[]): ProcessSpec[];
  /** Release per-cycle resources (the ssh master stays for ControlPersist so the next cycle reuses it). */
  close(): Promise<void>;
}

export type ZfsImplementation = 'openzfs' | 'zfs-fuse';

/** What a host's zfs offers; detected once per host and cached in the state directory. */
export interface Capabilities {
  readonly implementation: ZfsImplementation;
  /** e.g. `2.3.2` for OpenZFS, `0.7.0` for zfs-fuse. */
  readonly version: string;
  /** `zfs list -p` (exact numbers); without it listings go through `zfs get -Hp`. */
  readonly listParsable: boolean;
  /** `-t snapshot,bookmark` accepted by list/get. */
  readonly listTypes: boolean;
  readonly bookmarks: boolean;
  /** `recv -s`, `send -t`, `recv -A`, `receive_resume_token`. */
  readonly resume: boolean;
  readonly holds: boolean;
  /** `zfs holds` works (zfs-fuse's needs a missing python helper). */
  readonly holdsList: boolean;
  /** The `written` and `written@snap` properties. */
  readonly written: boolean;
  /** Several snapshots in one `zfs snapshot a@x b@y` call (atomic). */
  readonly multiSnapshot: boolean;
  /** `zfs destroy ds@a,b,c`. */
  readonly destroyList: boolean;
  /** `recv -u` (do not mount). */
  readonly recvUnmounted: boolean;
  /** `recv -o prop=value` / `-x prop`. */
  readonly recvProps: boolean;
  /** `send -nvP` size estimate. */
  readonly sendEstimate: boolean;
  readonly rawSend: boolean;
  readonly compressedSend: boolean;
  readonly largeBlocks: boolean;
  readonly embeddedData: boolean;
  readonly encryption: boolean;
  /** `zfs version` / `zpool list -p` etc. */
  readonly poolListParsable: boolean;
}

/** Human list of what a host lacks, for logs and `status`. */
export const missingCapabilities = (c: Capabilities): string[] => (Object.entries(c) as [string, unknown][]).filter(([, v]) => v === false).map(([k]) => k);
