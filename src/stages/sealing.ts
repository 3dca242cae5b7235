import { associatedData } from '../core/crypto.js';
import type { StageFile } from '../core/format.js';
import type { SecretType } from '../core/values.js';
import type { StageContext } from '../identities/index.js';

/** What a wrapped stage key is bound to. */
export function contextOf(file: Pick<StageFile, 'app' | 'stage' | 'publicKey'>): StageContext {
  return { app: file.app, stage: file.stage, publicKey: file.publicKey };
}

/** An entry's expiry and owner, when it has them (v3 entry files). */
export interface EntryMeta {
  expires?: string;
  owner?: string;
  /** a reference entry: the sealed plaintext is a target, not a value */
  ref?: true;
}

/**
 * What a sealed value is bound to: moved to another name, type, stage or app, it no longer opens. An
 * expiry or owner is bound too (only when present, so entries without them keep their bytes): a writer
 * who edits either in the file, say to extend a key holder's expiry, leaves an entry that does not open.
 * So is a reference's `ref` flag.
 */
export function valueAad(
  file: Pick<StageFile, 'app' | 'stage'>,
  name: string,
  type: SecretType,
  meta: EntryMeta = {},
): Buffer {
  const bound = meta.expires !== undefined || meta.owner !== undefined;
  return associatedData([
    'value',
    file.app,
    file.stage,
    name,
    type,
    ...(bound ? ['meta', meta.expires ?? '', meta.owner ?? ''] : []),
    // a reference's flag: a writer who sets or drops it in the file leaves an entry that does not open
    ...(meta.ref === true ? ['ref'] : []),
  ]);
}
