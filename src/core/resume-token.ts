// Is a replica's resume token one this job would send? The token comes from the target (`receive_resume_token`)
// and is run as `zfs send -t` on the source, which takes the stream's flags and base from the token: a
// compromised replica of an encrypted dataset replicated raw could otherwise ask for it decrypted (no rawok),
// from another base, or as another dataset. Pure: the decoded fields and the job's expectations in, a reason out.

/** Fields of `zfs send -nvt TOKEN` (decoded by the zfs layer). */
export interface ResumeTokenFields {
  /** GUID (decimal) of the snapshot the interrupted stream was sending. */
  readonly toGuid: string;
  /** GUID of its incremental source, or null for a full stream. */
  readonly fromGuid: string | null;
  /** `pool/ds@snap` on the sending side, as recorded in the token. */
  readonly toName: string;
  /** Stream flags recorded in the token (`rawok`, `compressok`, `embedok`, `largeblockok`, `savedok`). */
  readonly flags: ReadonlySet<string>;
}

export interface ResumeExpectation {
  /** The source dataset the job sends from. */
  readonly sourceDataset: string;
  /** GUIDs the source has (snapshots and bookmarks): the stream's snapshot and base must be among them. */
  readonly sourceGuids: ReadonlySet<string>;
  /** GUIDs the target has: an incremental stream's base must be one of them. */
  readonly targetGuids: ReadonlySet<string>;
  /** Flags a fresh send of this job would use (`-w` -> rawok, `-c` -> compressok, `-e` -> embedok, `-L` -> largeblockok). */
  readonly raw: boolean;
  readonly compressed: boolean;
  readonly embedded: boolean;
  readonly largeBlocks: boolean;
}

/**
 * The token's own snapshot or base is gone from the source: ordinary pruning while the transfer was cut, not a
 * replica asking for something else. Such a token is aborted and the dataset re-planned quietly (OK), where a
 * refused one makes the run say so (WARNING).
 */
export const staleResumeToken = (t: ResumeTokenFields, e: Pick<ResumeExpectation, 'sourceGuids'>): string | null => {
  if (!e.sourceGuids.has(t.toGuid)) return 'snapshot of the resume token no longer exists on the source';
  if (t.fromGuid !== null && !e.sourceGuids.has(t.fromGuid)) return 'base of the resume token no longer exists on the source';
  return null;
};

/** The verdict on a token: refused (the replica asks for something else: WARNING), stale (pruning: quiet), or neither (resume it). */
export interface TokenVerdict {
  readonly refused: string | null;
  readonly stale: string | null;
}

/**
 * One pass over the token. Another dataset is refused whatever its GUIDs: only this job's own token can have
 * been made stale by pruning.
 */
export const judgeResumeToken = (t: ResumeTokenFields, e: ResumeExpectation): TokenVerdict => {
  const at = t.toName.indexOf('@');
  const dataset = at < 0 ? t.toName : t.toName.slice(0, at);
  if (dataset !== e.sourceDataset) return { refused: 'resume token names another dataset than the source', stale: null };
  const stale = staleResumeToken(t, e);
  return stale ? { refused: null, stale } : { refused: streamProblem(t, e), stale: null };
};

/** Why the token must not be sent (the partial receive is aborted instead), or null when it is the job's own. */
export const resumeTokenProblem = (t: ResumeTokenFields, e: ResumeExpectation): string | null => {
  const v = judgeResumeToken(t, e);
  return v.refused ?? v.stale;
};

/** Of this dataset's token with both GUIDs on the source: does it ask for the stream this job would send? */
const streamProblem = (t: ResumeTokenFields, e: ResumeExpectation): string | null => {
  if (t.fromGuid !== null && !e.targetGuids.has(t.fromGuid)) return 'resume token starts from a base the two sides do not share';
  if (t.fromGuid === null && e.targetGuids.size > 0) return 'resume token asks for a full stream into a target that has snapshots';
  if (t.flags.has('savedok')) return 'resume token asks for a saved (partially received) stream';
  if (t.flags.has('rawok') !== e.raw)
    return e.raw ? 'resume token asks for a decrypted stream of a dataset sent raw' : 'resume token asks for a raw stream the job does not send';
  // A flag the job may still leave out (both ends, each pool, must support it) is not required; one the job
  // never uses is refused.
  const allowed: Readonly<Record<string, boolean>> = { compressok: e.compressed, embedok: e.embedded, largeblockok: e.largeBlocks };
  for (const [flag, ok] of Object.entries(allowed)) {
    if (t.flags.has(flag) && !ok) return `resume token asks for a stream flag the job does not use (${flag})`;
  }
  return null;
};
