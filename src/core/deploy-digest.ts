import { createHash } from 'node:crypto';
import type { SecretEntry, StageFile } from './format.js';

/**
 * What the plugin records on each function it deploys, so `status` can tell, without a key, whether the
 * function holds the stage's latest secrets: a digest of the sealed entries it received (names and
 * ciphertexts, never a value). Anyone with the stage folder recomputes it; no key is needed.
 */

/** The function environment variable holding the record (STAGE_SECRETS_* is refused as a secret name). */
export const DEPLOY_DIGEST_ENV = 'STAGE_SECRETS_DIGEST';

/** The record of a function deployed while the build spec opted out (functions get no secrets). */
export const OPTED_OUT_RECORD = 'off';

const PREFIX = 'v1.';

/**
 * The record for a function that received `names` from `file`: `v1.` + base64url SHA-256 over the app,
 * the stage file's stage and, per name in order, the name, its type and its sealed value (epk, nonce,
 * ciphertext, tag). A `set` (a new seal) or `rotate` changes it; an approval does not.
 */
export function deployDigest(file: Pick<StageFile, 'app' | 'stage' | 'secrets'>, names: Iterable<string>): string {
  const hash = createHash('sha256');
  const field = (text: string) => {
    const bytes = Buffer.from(text, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length).update(bytes);
  };
  field('stage-secrets deploy digest 1');
  field(file.app);
  field(file.stage);
  for (const name of [...new Set(names)].sort()) {
    const entry: SecretEntry | undefined = file.secrets[name];
    field(name);
    if (!entry) {
      field('-');
      continue;
    }
    for (const part of [entry.type, entry.epk, entry.nonce, entry.ct, entry.tag]) field(part);
  }
  return PREFIX + hash.digest('base64url');
}

/** Whether a recorded value is one the plugin writes (a digest or the opt-out mark). */
export function isDeployRecord(value: string): boolean {
  return value === OPTED_OUT_RECORD || (value.startsWith(PREFIX) && /^[A-Za-z0-9_-]{43}$/.test(value.slice(3)));
}
