import { StageSecretsError } from '../core/errors.js';
import { NOT_SHOWN } from '../core/names.js';
import { IDENTITY_KINDS } from '../identities/registry.js';
import { matchesRemove, recipientFor, removalNotice, type IdentitySpec } from '../identities/index.js';
import { unwrapStageKey } from './open-file.js';
import type { StageOptions } from './options.js';
import { Stage, requireCurrent } from './stage.js';
import { contextOf } from './sealing.js';

/** Adds and/or removes identities; the stage keypair and every value stay as they are. */
export async function rewrapStage(
  opts: StageOptions,
  change: { add?: IdentitySpec | IdentitySpec[]; remove?: string },
): Promise<{ identities: string[]; added?: string; notices: string[] }> {
  const env = opts.env ?? process.env;
  const store = Stage.find(opts).store;
  const notices: string[] = [];
  const adds = change.add === undefined ? [] : Array.isArray(change.add) ? change.add : [change.add];
  let added: string | undefined;
  const result = await store.update(opts.stage, async (found) => {
    const current = requireCurrent(found, opts, store);
    let identities = [...current.identities];
    if (adds.length) {
      const { privateKey } = await unwrapStageKey(current, env);
      for (const spec of adds) {
        const { record, notice } = await (await recipientFor(spec, env)).wrap(privateKey, contextOf(current));
        if (identities.some((r) => r.id === record.id)) {
          throw new StageSecretsError('ALREADY_EXISTS', `stage ${opts.stage} already has identity ${record.id}.`);
        }
        identities.push(record);
        added ??= record.id;
        if (notice) notices.push(notice);
      }
    }
    if (change.remove) {
      const id = change.remove;
      const removed = identities.filter((r) => matchesRemove(r, id));
      if (removed.length === 0) {
        throw new StageSecretsError(
          'NOT_FOUND',
          `stage ${opts.stage} has no identity ${shownIdentityId(id)}; it has: ${identities.map((r) => r.id).join(', ')}.`,
        );
      }
      identities = identities.filter((r) => !removed.includes(r));
      if (identities.length === 0) {
        throw new StageSecretsError(
          'USAGE',
          `cannot remove ${id}: it is the last identity, and nobody could open the stage.`,
        );
      }
      for (const record of removed) {
        const notice = removalNotice(record, opts.stage);
        if (notice) notices.push(notice);
      }
    }
    return { ...current, identities };
  });
  return { identities: result.identities.map((r) => r.id), added, notices };
}

/** An id to remove, echoed only when it reads like one (KIND:...); anything else may be a value typed there. */
function shownIdentityId(id: string): string {
  const kinds = IDENTITY_KINDS.map((k) => `${k.type}:`);
  return kinds.some((prefix) => id.startsWith(prefix)) && /^[\x21-\x7e]{1,2048}$/.test(id) ? id : NOT_SHOWN;
}
