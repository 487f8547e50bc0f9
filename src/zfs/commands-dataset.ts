// One function per zfs verb on datasets: properties, rollback, resumable-receive state, estimates, mounts,
// create/rename/clone. Runner first; idempotent where the name says so (mount, umount, abortResume).
import { setTimeout as pause } from 'node:timers/promises';
import type { ResumeTokenFields } from '../core/resume-token.js';
import { isAlreadyDone } from './classify.js';
import type { SendStep } from './argv.js';
import { badOutput, ZfsError } from './errors.js';
import { zfsErrorFor } from './exec-result.js';
import type { CallOptions } from './commands.js';
import type { Capabilities, ExecOptions, Runner } from './types.js';

const execOpts = (o: CallOptions | undefined): ExecOptions => ({ signal: o?.signal, timeoutMs: o?.timeoutMs });

const propArgs = (props: Readonly<Record<string, string>>): string[] => Object.entries(props).flatMap(([k, v]) => ['-o', `${k}=${v}`]);

/**
 * Set properties. OpenZFS sets several in one call (one transaction: role, epoch and promotion point change
 * together); zfs-fuse takes one per call.
 */
export const setProperties = async (
  runner: Runner,
  dataset: string,
  props: Readonly<Record<string, string>>,
  caps?: Capabilities,
  opts?: CallOptions,
): Promise<void> => {
  const pairs = Object.entries(props).map(([k, v]) => `${k}=${v}`);
  if (pairs.length === 0) return;
  if (caps?.implementation === 'openzfs') {
    await runner.exec(['zfs', 'set', ...pairs, dataset], execOpts(opts));
    return;
  }
  for (const p of pairs) await runner.exec(['zfs', 'set', p, dataset], execOpts(opts));
};

export const inheritProperty = async (runner: Runner, dataset: string, prop: string, opts?: CallOptions & { recursive?: boolean }): Promise<void> => {
  await runner.exec(['zfs', 'inherit', ...(opts?.recursive ? ['-r'] : []), prop, dataset], execOpts(opts));
};

/** Roll back to a snapshot; `destroyNewer` (-r) destroys the later snapshots, never clones (-R). */
export const rollback = async (runner: Runner, fullSnapshot: string, opts: CallOptions & { destroyNewer: boolean }): Promise<void> => {
  await runner.exec(['zfs', 'rollback', ...(opts.destroyNewer ? ['-r'] : []), fullSnapshot], execOpts(opts));
};

/** Drop a partial receive (`recv -A`); nothing to drop is fine. */
export const abortResume = async (runner: Runner, caps: Capabilities, dataset: string, opts?: CallOptions): Promise<void> => {
  const argv = ['zfs', 'receive', '-A', dataset];
  if (!caps.resume)
    throw new ZfsError({
      reason: 'unsupported',
      argv,
      host: runner.label,
      exitCode: null,
      stderr: '',
      message: `resumable receives are not supported on ${runner.label}`,
    });
  try {
    await runner.exec(argv, execOpts(opts));
  } catch (e) {
    if (!(e instanceof ZfsError && isAlreadyDone('abort', e.reason))) throw e;
  }
};

export interface ResumeTokenInfo extends ResumeTokenFields {
  /** Bytes already received. */
  readonly bytes: number;
}

// Boolean nvpairs of the token (`rawok = 1`, or a bare name where printed without a value).
const TOKEN_FLAGS = ['rawok', 'compressok', 'embedok', 'largeblockok', 'savedok'];

/** Decode the nvlist printed by `zfs send -nvt TOKEN` (OpenZFS 2.x); null when it is not there. */
export const parseResumeTokenInfo = (text: string): ResumeTokenInfo | null => {
  // A value runs to the end of its line: a dataset name may contain blanks (`toname = pool/a b@snap`).
  const field = (k: string): string | undefined => new RegExp(`^\\s*${k} = (.*\\S)\\s*$`, 'm').exec(text)?.[1];
  const hex = (v: string | undefined): string | null => (v !== undefined && /^0x[0-9a-f]+$/i.test(v) ? BigInt(v).toString() : null);
  const toGuid = hex(field('toguid'));
  const toName = field('toname');
  const bytes = hex(field('bytes'));
  if (toGuid === null || toName === undefined) return null;
  const flags = new Set(TOKEN_FLAGS.filter((f) => new RegExp(`^\\s*${f}(?: = (?:1|B_TRUE|true))?\\s*$`, 'm').test(text)));
  return { toGuid, fromGuid: hex(field('fromguid')), toName, bytes: bytes === null ? 0 : Number(bytes), flags };
};

export const resumeTokenInfo = async (runner: Runner, token: string, opts?: CallOptions): Promise<ResumeTokenInfo> => {
  const argv = ['zfs', 'send', '-nvt', token];
  const r = await runner.exec(argv, execOpts(opts));
  const info = parseResumeTokenInfo(`${r.stdout}\n${r.stderr}`);
  if (!info)
    throw badOutput(argv, runner.label, `cannot decode the resume token on ${runner.label} (zfs send -nvt printed no toguid/toname)`, { stderr: r.stderr });
  return info;
};

/** Bytes a send would transfer (`send -nvP`), or null where the host cannot estimate (zfs-fuse). */
export const sendEstimate = async (runner: Runner, caps: Capabilities, step: SendStep, opts?: CallOptions): Promise<number | null> => {
  if (!caps.sendEstimate) return null;
  let argv: string[];
  if (step.kind === 'resume') argv = ['zfs', 'send', '-nvP', '-t', step.token];
  else {
    const to = `${step.to.dataset}@${step.to.name}`;
    if (step.kind === 'full') argv = ['zfs', 'send', '-nvP', to];
    else {
      const from = `${step.from.dataset}${step.from.kind === 'bookmark' ? '#' : '@'}${step.from.name}`;
      argv = ['zfs', 'send', '-nvP', step.intermediates && step.from.kind === 'snapshot' ? '-I' : '-i', from, to];
    }
  }
  const r = await runner.exec(argv, execOpts(opts));
  const m = /^size\t(\d+)$/m.exec(`${r.stdout}\n${r.stderr}`);
  if (!m) throw badOutput(argv, runner.label, `no size line in zfs send -nvP output on ${runner.label}`, { stderr: r.stderr });
  return Number(m[1]);
};

/** Mount; already mounted is fine. */
export const mount = async (runner: Runner, dataset: string, opts?: CallOptions): Promise<void> => {
  const argv = ['zfs', 'mount', dataset];
  const r = await runner.exec(argv, { ...execOpts(opts), allowFailure: true });
  // OpenZFS 2.3 / zfs-fuse: "cannot mount 'x': filesystem already mounted".
  if (r.exitCode !== 0 && !/already mounted/.test(r.stderr)) throw zfsErrorFor(argv, runner.label, r);
};

/** Unmount; not mounted is fine. */
export const umount = async (runner: Runner, dataset: string, opts?: CallOptions & { force?: boolean }): Promise<void> => {
  const argv = ['zfs', 'unmount', ...(opts?.force ? ['-f'] : []), dataset];
  const r = await runner.exec(argv, { ...execOpts(opts), allowFailure: true });
  // OpenZFS 2.3 / zfs-fuse: "cannot unmount 'x': not currently mounted".
  if (r.exitCode !== 0 && !/not currently mounted/.test(r.stderr)) throw zfsErrorFor(argv, runner.label, r);
};

export const createDataset = async (
  runner: Runner,
  dataset: string,
  opts?: CallOptions & { parents?: boolean; properties?: Readonly<Record<string, string>> },
): Promise<void> => {
  await runner.exec(['zfs', 'create', ...(opts?.parents ? ['-p'] : []), ...propArgs(opts?.properties ?? {}), dataset], execOpts(opts));
};

/** Tries of a rename refused as busy, and the first pause between them (doubled each time: 0.25 + 0.5 + 1 + 2 s). */
export const RENAME_BUSY_TRIES = 5;
const RENAME_BUSY_PAUSE_MS = 250;

/**
 * Rename a dataset. A rename refused as busy is tried again a few times: a filesystem unmounted a moment ago can
 * still be busy (zfs-fuse tears its FUSE mount down after `zfs unmount` returns; on OpenZFS a scanner that just
 * let go). A holder that stays is reported after about 4 s, as before.
 */
export const renameDataset = async (runner: Runner, from: string, to: string, opts?: CallOptions & { pauseMs?: number }): Promise<void> => {
  for (let attempt = 1; ; attempt++) {
    try {
      await runner.exec(['zfs', 'rename', from, to], execOpts(opts));
      return;
    } catch (e) {
      if (!(e instanceof ZfsError && e.reason === 'busy') || attempt >= RENAME_BUSY_TRIES) throw e;
      await pause((opts?.pauseMs ?? RENAME_BUSY_PAUSE_MS) * 2 ** (attempt - 1), undefined, { signal: opts?.signal });
    }
  }
};

export const cloneSnapshot = async (
  runner: Runner,
  fullSnapshot: string,
  target: string,
  opts?: CallOptions & { properties?: Readonly<Record<string, string>> },
): Promise<void> => {
  await runner.exec(['zfs', 'clone', ...propArgs(opts?.properties ?? {}), fullSnapshot, target], execOpts(opts));
};

/** Whether a filesystem or volume exists (a missing one, or a pool not imported, is false; other failures throw). */
export const datasetExists = async (runner: Runner, dataset: string, opts?: CallOptions): Promise<boolean> => {
  try {
    await runner.exec(['zfs', 'list', '-H', '-o', 'name', dataset], execOpts(opts));
    return true;
  } catch (e) {
    if (e instanceof ZfsError && e.reason === 'dataset-not-found') return false;
    throw e;
  }
};
