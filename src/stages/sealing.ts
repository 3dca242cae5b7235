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
}

/**
 * What a sealed value is bound to: moved to another name, type, stage or app, it no longer opens. An
 * expiry or owner is bound too (only when present, so entries without them keep their bytes): a writer
 * who edits either in the file, say to extend a key holder's expiry, leaves an entry that does not open.
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
  ]);
}

/**
 * valueAad for many entries of one file: the same bytes, with the text of the file's part built once
 * (a JSON array is its elements joined by commas). Opening a stage checks one per entry.
 */
export function valueAadOf(
  file: Pick<StageFile, 'app' | 'stage'>,
): (name: string, type: SecretType, meta?: EntryMeta) => Buffer {
  const head = associatedData(['value', file.app, file.stage]).toString('utf8').slice(0, -1);
  return (name, type, meta = {}) => {
    const bound = meta.expires !== undefined || meta.owner !== undefined;
    const rest = bound ? [name, type, 'meta', meta.expires ?? '', meta.owner ?? ''] : [name, type];
    return Buffer.from(`${head},${JSON.stringify(rest).slice(1)}`, 'utf8');
  };
}
