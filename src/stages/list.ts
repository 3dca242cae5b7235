import type { SecretType } from '../core/values.js';
import type { StageOptions } from './options.js';
import { readStage } from './read.js';

export interface SecretInfo {
  name: string;
  type: SecretType;
  updated: string;
}

/** Names, types and dates of a stage's secrets, sorted by name. Needs no key. */
export function listSecrets(opts: StageOptions): SecretInfo[] {
  const file = readStage(opts);
  return Object.keys(file.secrets)
    .sort()
    .map((name) => ({ name, type: file.secrets[name]!.type, updated: file.secrets[name]!.updated }));
}
