// A decrypted stream into an encrypted replica (or a new one under an encrypted parent): whether that is the
// case for a pair, and the replica's encryption root for the fix of a receive refused for its key.
import { isEncrypted } from '../core/dataset.js';
import { sendsRaw } from '../zfs/argv.js';
import type { Step } from '../core/plan.js';
import type { DatasetPair } from './pairs.js';
import type { TargetContext } from './target-context.js';

/** The replica's encryption root, for the fix of a receive refused for its key; null when it cannot be read. */
export const encryptionRootOf = async (ctx: TargetContext, dataset: string): Promise<string | null> => {
  try {
    const listing = await ctx.endpoint.list(ctx.caps, dataset, { recursive: false, properties: ['encryptionroot'], signal: ctx.signal });
    const root = listing.datasets.get(dataset)?.extra['encryptionroot'];
    return root && root !== '-' ? root : null;
  } catch {
    return null; // the refusal itself is what the operator must see; the adapter's hint stays
  }
};

/**
 * Whether a decrypted stream of this pair lands encrypted: the replica is encrypted, or a full stream creates it
 * under an encrypted parent (it inherits the parent's key). OpenZFS refuses embedded blocks there ("incompatible
 * embedded data stream feature with encrypted receive"), so such a stream goes without -e. The parent is listed
 * only when it matters: a new replica, a stream that is not raw, -e possible at both ends.
 */
export const receivesEncrypted = async (ctx: TargetContext, pair: DatasetPair, steps: readonly Step[]): Promise<boolean> => {
  if (pair.target) return isEncrypted(pair.target);
  const send = ctx.job.send;
  if (
    sendsRaw(send.raw, isEncrypted(pair.source)) ||
    !send.embedded ||
    !ctx.caps.embeddedData ||
    !ctx.source.caps.embeddedData ||
    !steps.some((s) => s.kind === 'full')
  )
    return false;
  const parent = pair.targetName.slice(0, Math.max(0, pair.targetName.lastIndexOf('/')));
  if (parent === '') return false;
  const listing = await ctx.endpoint.list(ctx.caps, parent, { recursive: false, signal: ctx.signal });
  return isEncrypted(listing.datasets.get(parent));
};
