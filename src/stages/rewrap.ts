import { StageSecretsError } from '../core/errors.js';
import { recipientFor, type IdentitySpec } from '../identities/index.js';
import { unwrapStageKey } from './open.js';
import type { StageOptions } from './options.js';
import { requireCurrent, storeFor } from './read.js';
import { contextOf } from './sealing.js';

/** Adds and/or removes identities; the stage keypair and every value stay as they are. */
export async function rewrapStage(
  opts: StageOptions,
  change: { add?: IdentitySpec; remove?: string },
): Promise<{ identities: string[]; added?: string; notices: string[] }> {
  const env = opts.env ?? process.env;
  const store = storeFor(opts);
  const notices: string[] = [];
  let added: string | undefined;
  const result = await store.update(opts.stage, async (found) => {
    const current = requireCurrent(found, opts, store);
    let identities = [...current.identities];
    if (change.add) {
      const { privateKey } = await unwrapStageKey(current, env);
      const { record, notice } = await (await recipientFor(change.add, env)).wrap(privateKey, contextOf(current));
      if (identities.some((r) => r.id === record.id)) {
        throw new StageSecretsError('ALREADY_EXISTS', `stage ${opts.stage} already has identity ${record.id}.`);
      }
      identities.push(record);
      added = record.id;
      if (notice) notices.push(notice);
    }
    if (change.remove) {
      if (!identities.some((r) => r.id === change.remove)) {
        throw new StageSecretsError(
          'NOT_FOUND',
          `stage ${opts.stage} has no identity ${change.remove}; it has: ${identities.map((r) => r.id).join(', ')}.`,
        );
      }
      identities = identities.filter((r) => r.id !== change.remove);
      if (identities.length === 0) {
        throw new StageSecretsError(
          'USAGE',
          `cannot remove ${change.remove}: it is the last identity, and nobody could open the stage.`,
        );
      }
    }
    return { ...current, identities };
  });
  return { identities: result.identities.map((r) => r.id), added, notices };
}
