// Target phase of a cycle, for one target: list it once, sync every dataset pair (parents first, up to the job's
// `concurrency` at once: pair-sync.ts, core/tree-schedule.ts),
// confirm what arrived by GUID, then move the cursor and hold. Errors stay inside this target's report, so a
// dead target never stops the others.
import type { Listing } from '../core/dataset.js';
import { fullName, type Version } from '../core/versions.js';
import { oneLine, PermanentError } from '../errors.js';
import { stateForError, worstState } from '../outcome.js';
import { onJobHost } from './invocation.js';
import { ZfsError } from '../zfs/errors.js';
import { formatSide } from '../zfs/side.js';
import { DEFAULT_CONCURRENCY, type TargetSpec } from './job.js';
import { pairDatasets, type DatasetPair } from './pairs.js';
import { runTree } from '../core/tree-schedule.js';
import { datasetReport, forTransfer, syncPair } from './pair-sync.js';
import type { DatasetReport } from './report.js';
import type { TargetContext, TargetOutcome } from './target-context.js';
import { moveCursors } from './cursor.js';
import { applyRoleUpdate, targetRoleUpdate } from './roles.js';

export type { TargetContext, TargetOutcome } from './target-context.js';

export const syncTarget = async (ctx: TargetContext): Promise<TargetOutcome> => {
  const { job, target } = ctx;
  const side = formatSide(target.side);
  let listing: Listing;
  try {
    listing = await ctx.endpoint.list(ctx.caps, target.side.dataset, { recursive: job.recursive });
  } catch (e) {
    return failedTarget(target, side, e);
  }
  // A missing target root is a new replica only when its parent exists. Otherwise (a pool exported or not yet
  // imported, a shelf powered down) nothing can be received, and the target must not count as empty: that
  // would plan a full send and let cleanup destroy the last snapshot the source shares with it.
  if (!listing.exists) {
    const d = target.side.dataset;
    const parent = d.includes('/') ? d.slice(0, d.lastIndexOf('/')) : null;
    const present = parent !== null && (await ctx.endpoint.exists(parent, ctx.signal).catch((e: unknown) => e));
    if (present !== true) {
      if (present instanceof Error) return failedTarget(target, side, present);
      const missing = parent ?? target.side.dataset;
      return failedTarget(
        target,
        side,
        new PermanentError(`${missing} does not exist (pool not imported?): nothing received, the source keeps its common snapshot`, {
          hint: onJobHost(job, target.side.host, [['zpool', 'import', missing.split('/')[0]!]]),
        }),
      );
    }
  }
  const pairing = pairDatasets(ctx.source.listing, listing, { recursive: job.recursive, exclude: job.exclude });
  const reports: DatasetReport[] = new Array<DatasetReport>(pairing.pairs.length);
  const versions = new Map<string, readonly Version[]>();
  const commons = new Map<string, string>();
  const unsure = new Set<string>();
  const newest = new Array<Version | null>(pairing.pairs.length).fill(null);
  let thrown: { error: unknown } | undefined;

  // Up to `concurrency` pairs at once, each after its parent (core/tree-schedule.ts); a new child whose parent
  // was not replicated cannot be received, so it is skipped (and counts as failed for its own children).
  await runTree(pairing.pairs, ctx.job.concurrency ?? DEFAULT_CONCURRENCY, async (pair, i, parentFailed) => {
    if (pair.target === null && parentFailed) {
      reports[i] = datasetReport(pair, 'WARNING', 'skipped', [], { message: 'parent was not replicated this cycle' });
      return 'failed';
    }
    let r: Awaited<ReturnType<typeof syncPair>>;
    try {
      r = await syncPair(ctx, pair);
    } catch (e) {
      thrown ??= { error: e }; // as before: the target fails as a whole, once the streams in flight ended
      return 'failed';
    }
    reports[i] = r.report;
    versions.set(pair.rel, r.targetVersions);
    if (r.unsure) unsure.add(pair.rel);
    else if (r.commonGuid) commons.set(pair.rel, r.commonGuid);
    newest[i] = r.newest;
    return r.report.state === 'OK' ? 'ok' : 'failed';
  });
  if (thrown) throw thrown.error;
  const received = pairing.pairs.flatMap((pair, i) => (newest[i] ? [{ pair, newest: newest[i]! }] : []));

  if (!ctx.dryRun && received.length > 0) {
    await ctx.phase?.('received');
    await confirmReceived(ctx, received, reports);
    await ctx.phase?.('confirmed');
  }
  const root = pairing.pairs.find((p) => p.rel === '');
  if (!ctx.dryRun && root) {
    const rootOk = reports[pairing.pairs.indexOf(root)]?.state === 'OK';
    await applyRoleUpdate(ctx.endpoint, ctx.caps, root.targetName, targetRoleUpdate(root.source, root.target, rootOk && versions.has('')), ctx.log);
  }
  const destroyed: string[] = [];
  let sourceHolds: TargetOutcome['sourceHolds'];
  if (!ctx.dryRun) {
    try {
      // After transfers the source pool's features are known (bookmarks need its `bookmarks` feature).
      const cursorCtx = ctx.pools.size > 0 ? await forTransfer(ctx, ctx.source.listing.root, target.side.dataset) : ctx;
      const moves = await moveCursors(cursorCtx, pairing.pairs, versions, commons);
      destroyed.push(...moves.destroyed);
      adjustHoldCounts(pairing.pairs, versions, moves.held, moves.released);
      sourceHolds = { held: moves.sourceHeld, released: moves.sourceReleased };
    } catch (e) {
      ctx.log.warn({ err: e, target: side }, 'moving cursor/hold failed; retried next cycle');
    }
  }
  const state = worstState(reports.map((d) => d.state));
  return {
    report: { id: target.id, side, state, datasets: reports, orphans: pairing.orphans, destroyed },
    versions,
    commons,
    listing,
    ...(sourceHolds ? { sourceHolds } : {}),
    ...(unsure.size > 0 ? { unsure } : {}),
  };
};

/** Keep the in-memory userrefs true after our hold moved, so cleanup may destroy what we just released. */
const adjustHoldCounts = (
  pairs: readonly DatasetPair[],
  versions: Map<string, readonly Version[]>,
  held: readonly string[],
  released: readonly string[],
): void => {
  const delta = new Map<string, number>();
  for (const n of held) delta.set(n, (delta.get(n) ?? 0) + 1);
  for (const n of released) delta.set(n, (delta.get(n) ?? 0) - 1);
  for (const pair of pairs) {
    const vs = versions.get(pair.rel);
    if (!vs) continue;
    versions.set(
      pair.rel,
      vs.map((v) => {
        const d = delta.get(`${pair.targetName}@${v.name}`);
        return d === undefined || v.kind !== 'snapshot' ? v : { ...v, userrefs: Math.max(0, (v.userrefs ?? 0) + d) };
      }),
    );
  }
};

/** After the receives: one `zfs get` on the target proves each new snapshot arrived with the source's GUID. */
const confirmReceived = async (ctx: TargetContext, received: { pair: DatasetPair; newest: Version }[], reports: DatasetReport[]): Promise<void> => {
  const names = received.map((r) => `${r.pair.targetName}@${r.newest.name}`);
  let got: Map<string, Version>;
  try {
    got = await ctx.endpoint.getVersions(ctx.caps, names);
  } catch (e) {
    ctx.log.warn({ err: e }, 'could not confirm received snapshots');
    return;
  }
  for (const r of received) {
    const v = got.get(`${r.pair.targetName}@${r.newest.name}`);
    if (v && v.guid === r.newest.guid) continue;
    const i = reports.findIndex((d) => d.target === r.pair.targetName);
    if (i >= 0) {
      reports[i] = {
        ...reports[i]!,
        state: 'CRITICAL',
        outcome: 'failed',
        message: `received ${fullName(r.newest)} but the target shows ${v ? `GUID ${v.guid}` : 'no such snapshot'}`,
      };
    }
  }
};

const failedTarget = (target: TargetSpec, side: string, e: unknown): TargetOutcome => {
  const hint = e instanceof Error && 'hint' in e && typeof e.hint === 'string' ? e.hint : undefined;
  return {
    report: {
      id: target.id,
      side,
      state: stateForError(e),
      datasets: [],
      orphans: [],
      destroyed: [],
      error: {
        kind: e instanceof ZfsError || e instanceof Error ? ((e as { kind?: never }).kind ?? 'unknown') : 'unknown',
        message: oneLine(e),
        ...(hint ? { hint } : {}),
      },
    },
    versions: null,
    commons: new Map(),
  };
};
