import { StageSecretsError } from '../core/errors.js';
import type { IdentityRecord } from '../core/format.js';
import { NOT_SHOWN } from '../core/names.js';
import { IDENTITY_KINDS } from '../identities/registry.js';
import { distinctFrom, matchesRemove, recipientFor, removalNotice, type IdentitySpec } from '../identities/index.js';
import { approvalsFor } from './approval-epoch.js';
import { identityTrust, refuseUnconfirmed, tagRecord } from './identity-trust.js';
import { unwrapStageKey } from './open-file.js';
import type { StageOptions } from './options.js';
import { Stage, requireCurrent } from './stage.js';
import { contextOf } from './sealing.js';

/**
 * Adds and/or removes identities; the stage keypair and every value stay as they are. Removal needs no
 * key. Adding wraps the stage key to the new identities only, tags them (identity-trust.ts), and is
 * refused while the stage keeps a record no key holder confirmed, naming it.
 */
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
    if (adds.length) {
      const { privateKey } = await unwrapStageKey(current, env);
      const approvals = approvalsFor(current, privateKey);
      refuseUnconfirmed(opts.stage, identityTrust({ identities }, approvals), 'rewrap', store.displayPath(opts.stage));
      for (const spec of adds) {
        const wrapped = await (await recipientFor(spec, env)).wrap(privateKey, contextOf(current));
        let record: IdentityRecord = wrapped.record;
        const same = identities.find((r) => r.id === record.id);
        if (same) {
          const distinct = distinctFrom(record, same, opts.stage);
          if (!distinct || identities.some((r) => r.id === distinct.record.id)) {
            throw new StageSecretsError('ALREADY_EXISTS', `stage ${opts.stage} already has identity ${record.id}.`);
          }
          record = distinct.record;
          notices.push(distinct.notice);
        } else if (wrapped.notice) notices.push(wrapped.notice);
        identities.push(tagRecord(record, approvals));
        added ??= record.id;
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
