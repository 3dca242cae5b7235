import { StageSecretsError } from './errors.js';
import type { AllowedRefs, ApprovalEpoch, IdentityRecord, SecretEntry, StagePolicy } from './format.js';
import { KEY_NAME_PATTERN } from './names.js';

/** Tag of the sealed file a runtime-mode function carries in its package. */
export const RUNTIME_BUNDLE_FORMAT = 'stage-secrets-runtime/1';

/**
 * What one function's package carries in runtime mode: the entries it may receive, exactly as sealed in
 * the stage file (nothing re-encrypted), and what opens them in Lambda: the stage's identities of the kinds
 * the runtime can use (aws-kms) and public key. Never a value, never a key in plain.
 */
export interface RuntimeBundle {
  format: typeof RUNTIME_BUNDLE_FORMAT;
  /** format version of the stage file the entries come from (approval rules depend on it) */
  version: number;
  app: string;
  /** the stage of the stage file: what every entry and the wrapped key are bound to */
  stage: string;
  /** the stage the service is deployed as (the stage file's own, unless a fallback stage file was used) */
  deployStage: string;
  /** the serverless.yml function the bundle was made for, for messages */
  function: string;
  publicKey: string;
  policy?: StagePolicy;
  /** the stage file's tagged approval epoch (absent: epoch 0); the approval tags of the entries are bound to it */
  approvalEpoch?: ApprovalEpoch;
  /** the stage file's tagged reference target prefixes (approve --allow-ref); reference entries travel as sealed */
  allowedRefs?: AllowedRefs;
  identities: IdentityRecord[];
  /** as sealed in the stage file; `updated` lets a runtime store tell whether its value is newer (absent in older packages) */
  secrets: Record<string, Omit<SecretEntry, 'updated'> & { updated?: string }>;
}

function broken(what: string): StageSecretsError {
  return new StageSecretsError(
    'FORMAT',
    `the packaged secrets file is damaged (${what}); package and deploy the function again.`,
  );
}

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/**
 * Checks the shape of a bundle read from a package. The sealing itself (GCM tags, KMS context, approval
 * tags) is what protects it; this only turns a damaged file into a clear error instead of a TypeError.
 * `kinds`: the identity kinds the runtime can use (src/identities/registry.ts, lambdaRuntime).
 */
export function checkRuntimeBundle(raw: unknown, kinds: readonly string[]): RuntimeBundle {
  if (!raw || typeof raw !== 'object') throw broken('not an object');
  const b = raw as Partial<RuntimeBundle>;
  if (b.format !== RUNTIME_BUNDLE_FORMAT) throw broken(`format is not ${RUNTIME_BUNDLE_FORMAT}`);
  if (
    typeof b.version !== 'number' ||
    !isString(b.app) ||
    !isString(b.stage) ||
    !isString(b.deployStage) ||
    !isString(b.function) ||
    !isString(b.publicKey)
  ) {
    throw broken('header fields missing');
  }
  if (
    !Array.isArray(b.identities) ||
    b.identities.some(
      (r) =>
        !r ||
        typeof r !== 'object' ||
        !kinds.includes(r.type) ||
        !isString(r.id) ||
        !Object.values(r).every((field) => isString(field)),
    )
  ) {
    throw broken('identities');
  }
  if (!b.secrets || typeof b.secrets !== 'object' || Array.isArray(b.secrets)) throw broken('secrets');
  for (const [name, entry] of Object.entries(b.secrets)) {
    if (!KEY_NAME_PATTERN.test(name)) throw broken('a secret name');
    const e = entry as Partial<SecretEntry> | null;
    if (
      !e ||
      !isString(e.type) ||
      !isString(e.epk) ||
      !isString(e.nonce) ||
      typeof e.ct !== 'string' ||
      !isString(e.tag) ||
      (e.updated !== undefined && !isString(e.updated))
    ) {
      throw broken(`entry ${name}`);
    }
  }
  return b as RuntimeBundle;
}
