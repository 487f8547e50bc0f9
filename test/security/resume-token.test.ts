// A replica's resume token is run as `zfs send -t` on the source only when it asks for what the job would
// send: same dataset, a base both sides share, raw exactly when the job sends raw, no flag the job never uses.
// Otherwise the plan aborts the partial receive (and says why) instead of sending what the replica asked for.
import { describe, expect, it } from 'vitest';
import { planReplication, type TargetState } from '../../src/core/plan.js';
import { judgeResumeToken, resumeTokenProblem, staleResumeToken, type ResumeExpectation, type ResumeTokenFields } from '../../src/core/resume-token.js';
import type { Version } from '../../src/core/versions.js';
import { parseResumeTokenInfo } from '../../src/zfs/commands-dataset.js';

const nvt = (fields: Record<string, string>): string =>
  ['resume token contents:', 'nvlist version: 0', ...Object.entries(fields).map(([k, v]) => (v === '' ? `\t${k}` : `\t${k} = ${v}`)), ''].join('\n');

const snap = (dataset: string, name: string, guid: string, txg: number): Version =>
  ({ kind: 'snapshot', dataset, name, guid, createtxg: txg, creation: txg }) as Version;

describe('resume token fields', () => {
  it('parses the stream flags, printed with a value or bare', () => {
    const info = parseResumeTokenInfo(
      nvt({
        fromguid: '0x10',
        object: '0x1',
        offset: '0x0',
        bytes: '0x20',
        toguid: '0x11',
        toname: 'p/a@b',
        compressok: '1',
        rawok: '1',
        embedok: '',
        largeblockok: 'B_TRUE',
      }),
    );
    expect(info?.flags).toEqual(new Set(['rawok', 'compressok', 'embedok', 'largeblockok']));
    expect(parseResumeTokenInfo(nvt({ toguid: '0x11', toname: 'p/a@b', rawokay: '1' }))?.flags).toEqual(new Set());
  });
});

describe('resumeTokenProblem', () => {
  const expect0: ResumeExpectation = {
    sourceDataset: 'tank/secret',
    sourceGuids: new Set(['100', '200']),
    targetGuids: new Set(['100']),
    raw: true,
    compressed: true,
    embedded: true,
    largeBlocks: false,
  };
  const own: ResumeTokenFields = { toGuid: '200', fromGuid: '100', toName: 'tank/secret@s2', flags: new Set(['rawok', 'compressok']) };

  it("takes the job's own token", () => {
    expect(resumeTokenProblem(own, expect0)).toBeNull();
    expect(resumeTokenProblem({ ...own, flags: new Set(['rawok']) }, expect0)).toBeNull(); // -c left out by caps
  });

  it.each([
    ['a decrypted stream of a raw-replicated dataset', { flags: new Set(['compressok']) }, /decrypted stream/],
    ['another dataset', { toName: 'tank/other@s2' }, /another dataset/],
    ['a snapshot the source lacks', { toGuid: '999' }, /no longer exists/],
    ['a base the target lacks', { fromGuid: '200', toGuid: '200' }, /base the two sides do not share/],
    ['a full stream into a target with snapshots', { fromGuid: null }, /full stream/],
    ['a saved stream', { flags: new Set(['rawok', 'savedok']) }, /saved/],
    ['a flag the job never uses', { flags: new Set(['rawok', 'largeblockok']) }, /largeblockok/],
  ])('refuses %s', (_what, change, reason) => {
    expect(resumeTokenProblem({ ...own, ...change } as ResumeTokenFields, expect0)).toMatch(reason);
  });

  it('a token whose snapshot or base was pruned on the source is stale (aborted quietly), a foreign base is not', () => {
    expect(staleResumeToken({ ...own, toGuid: '999' }, expect0)).toMatch(/snapshot of the resume token no longer exists/);
    expect(staleResumeToken({ ...own, fromGuid: '998' }, expect0)).toMatch(/base of the resume token no longer exists/);
    expect(staleResumeToken(own, expect0)).toBeNull();
    // On the source but not on the target: the replica asks for a base it cannot have: refused, not stale.
    expect(staleResumeToken({ ...own, fromGuid: '200', toGuid: '200' }, expect0)).toBeNull();
  });

  it('judged once: another dataset is refused (a warning) even when its GUIDs are gone, never taken for pruning', () => {
    expect(judgeResumeToken({ ...own, toName: 'tank/other@s2', toGuid: '999' }, expect0)).toEqual({
      refused: expect.stringMatching(/another dataset/),
      stale: null,
    });
    expect(judgeResumeToken({ ...own, toGuid: '999' }, expect0)).toEqual({ refused: null, stale: expect.stringMatching(/no longer exists/) });
    expect(judgeResumeToken(own, expect0)).toEqual({ refused: null, stale: null });
  });

  it('refuses a raw stream the job does not send', () => {
    expect(resumeTokenProblem(own, { ...expect0, raw: false })).toMatch(/raw stream the job does not send/);
  });
});

describe('the plan aborts a refused token instead of resuming it', () => {
  const s1 = snap('tank/secret', 's1', '100', 1);
  const s2 = snap('tank/secret', 's2', '200', 2);
  const target = (refused: string | null): TargetState => ({
    versions: [snap('vol/secret', 's1', '100', 5)],
    written: 0,
    resume: { token: '1-abc', toGuid: '200', refused },
    role: 'replica',
    epoch: null,
  });

  it('resumes the own token, aborts a refused one with the reason, then sends afresh', () => {
    const ok = planReplication({ versions: [s1, s2], epoch: null }, target(null));
    expect(ok.kind === 'plan' && ok.steps[0]?.kind).toBe('resume');
    const bad = planReplication({ versions: [s1, s2], epoch: null }, target('resume token asks for a decrypted stream of a dataset sent raw'));
    expect(bad.kind).toBe('plan');
    if (bad.kind !== 'plan') return;
    expect(bad.steps[0]).toEqual({ kind: 'abort-resume', reason: 'resume token asks for a decrypted stream of a dataset sent raw', refused: true });
    expect(bad.steps.some((s) => s.kind === 'resume')).toBe(false);
    expect(bad.steps[1]?.kind).toBe('incremental');
  });
});
