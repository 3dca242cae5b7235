import { associatedData } from '../core/crypto.js';
import type { StageFile } from '../core/format.js';
import type { SecretType } from '../core/values.js';
import type { StageContext } from '../identities/index.js';

/** What a wrapped stage key is bound to. */
export function contextOf(file: Pick<StageFile, 'app' | 'stage' | 'publicKey'>): StageContext {
  return { app: file.app, stage: file.stage, publicKey: file.publicKey };
}

/** What a sealed value is bound to: moved to another name, type, stage or app, it no longer opens. */
export function valueAad(file: Pick<StageFile, 'app' | 'stage'>, name: string, type: SecretType): Buffer {
  return associatedData(['value', file.app, file.stage, name, type]);
}
