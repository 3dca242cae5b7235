import type { SecretType } from '../core/values.js';
import type { StageOptions } from './options.js';
import { readStage } from './read.js';

export interface SecretInfo {
  name: string;
  type: SecretType;
  updated: string;
  /** carries a key holder's approval tag (checked by verify and the build, which hold the key) */
  approved: boolean;
  /** with a runtime store: the store holds a newer value (stage-secrets pull folds it in) */
  storeNewer?: boolean;
}

/**
 * Names, types, dates and approval marks of a stage's secrets, sorted by name. Needs no key, so an
 * approval mark is not checked here: a writer cannot make a valid one, and verify and the build check.
 */
export function listSecrets(opts: StageOptions): SecretInfo[] {
  const file = readStage(opts);
  return Object.keys(file.secrets)
    .sort()
    .map((name) => {
      const entry = file.secrets[name]!;
      return { name, type: entry.type, updated: entry.updated, approved: entry.approved !== undefined };
    });
}
