import { createHash } from 'node:crypto';
import type { z } from 'zod/v3';
import { StageSecretsError } from '../core/errors.js';
import { kmsClient, kmsSdk, regionOfArn, retrySettings } from './aws-kms-client.js';
import { kmsError, type KmsCallInfo } from './aws-kms-errors.js';
import { awsKmsLambda } from './aws-kms-lambda.js';
import type { Identity, IdentityKind, IdentitySpec, Recipient, RecordFields, StageContext } from './types.js';

/** The stage private key wrapped by AWS KMS Encrypt under the encryption context {app, stage}. */
function recordSchema(zod: typeof z, f: RecordFields) {
  return zod.strictObject({
    type: zod.literal('aws-kms'),
    id: f.id,
    created: f.created,
    /** as the user gave it: key id, alias/NAME or ARN */
    keyId: f.printable,
    /** as KMS answered */
    keyArn: f.printable.optional(),
    /** only when given with --region */
    region: f.printable.optional(),
    ciphertext: f.base64.min(4, 'ciphertext is empty').max(65_536, 'ciphertext longer than any KMS blob'),
    auth: f.auth,
  });
}

export type KmsIdentityRecord = z.infer<ReturnType<typeof recordSchema>>;

/** init/rewrap --kms KEY_ID [--region R] */
export interface KmsIdentitySpec extends IdentitySpec {
  type: 'aws-kms';
  keyId: string;
  region?: string;
}

/** The key fields of an aws-kms identity: keyId as the user gave it, keyArn as KMS answered, region if given. */
type KeyFields = Pick<KmsIdentityRecord, 'keyId' | 'keyArn' | 'region'>;

function kmsIdentityId(keyId: string, region?: string): string {
  return region && !regionOfArn(keyId) ? `aws-kms:${keyId}@${region}` : `aws-kms:${keyId}`;
}

/** The region to call: --region as recorded, else the one in the key's ARN, else the SDK's default. */
function regionFor(fields: KeyFields): string | undefined {
  return fields.region ?? regionOfArn(fields.keyArn) ?? regionOfArn(fields.keyId);
}

function label(fields: { keyId: string; keyArn?: string }): string {
  return fields.keyArn && fields.keyArn !== fields.keyId ? `${fields.keyId} (${fields.keyArn})` : fields.keyId;
}

function encryptionContext(ctx: StageContext): Record<string, string> {
  return { app: ctx.app, stage: ctx.stage };
}

// Decrypt calls in progress: callers opening the same stage at the same moment share one KMS call.
const inFlight = new Map<string, Promise<Buffer>>();

async function encrypt(fields: KeyFields, privateKey: Buffer, ctx: StageContext, env: NodeJS.ProcessEnv) {
  const s = retrySettings(env);
  const region = regionFor(fields);
  const call: KmsCallInfo = { operation: 'Encrypt', keyLabel: label(fields), region, ctx, maxAttempts: s.maxAttempts };
  try {
    const { EncryptCommand } = await kmsSdk();
    const client = await kmsClient(region, s);
    const out = await client.send(
      new EncryptCommand({
        KeyId: fields.keyArn ?? fields.keyId,
        Plaintext: privateKey,
        EncryptionContext: encryptionContext(ctx),
      }),
    );
    if (!out.CiphertextBlob || out.CiphertextBlob.length === 0) {
      throw new StageSecretsError(
        'KEY_UNAVAILABLE',
        `AWS KMS Encrypt for key ${call.keyLabel} returned no ciphertext; try again.`,
      );
    }
    return { ciphertext: Buffer.from(out.CiphertextBlob).toString('base64'), keyArn: out.KeyId ?? fields.keyArn };
  } catch (err) {
    throw kmsError(err, call);
  }
}

async function decrypt(record: KmsIdentityRecord, ctx: StageContext, env: NodeJS.ProcessEnv): Promise<Buffer> {
  const s = retrySettings(env);
  const region = regionFor(record);
  const call: KmsCallInfo = { operation: 'Decrypt', keyLabel: label(record), region, ctx, maxAttempts: s.maxAttempts };
  try {
    const { DecryptCommand } = await kmsSdk();
    const client = await kmsClient(region, s);
    // KeyId makes KMS refuse a blob made under another key instead of silently using that key.
    const out = await client.send(
      new DecryptCommand({
        CiphertextBlob: Buffer.from(record.ciphertext, 'base64'),
        KeyId: record.keyArn ?? record.keyId,
        EncryptionContext: encryptionContext(ctx),
      }),
    );
    if (out.Plaintext?.length !== 32) {
      throw new StageSecretsError(
        'INTEGRITY',
        `AWS KMS key ${call.keyLabel} unwrapped something that is not a stage key; restore the stage file from git.`,
      );
    }
    return Buffer.from(out.Plaintext);
  } catch (err) {
    throw kmsError(err, call);
  }
}

/** A KMS key named by the user (init --kms, rewrap --kms): Encrypt now, Decrypt in CI. */
function newKmsRecipient(spec: KmsIdentitySpec, env: NodeJS.ProcessEnv): Recipient {
  return {
    async wrap(privateKey, ctx) {
      const keyId = spec.keyId.trim();
      if (!keyId) throw new StageSecretsError('USAGE', '--kms needs a key id, alias/NAME or key ARN.');
      const region = spec.region?.trim() || undefined;
      const wrapped = await encrypt({ keyId, region }, privateKey, ctx, env);
      const record: KmsIdentityRecord = {
        type: 'aws-kms',
        id: kmsIdentityId(keyId, region),
        created: new Date().toISOString(),
        keyId,
        ...(wrapped.keyArn ? { keyArn: wrapped.keyArn } : {}),
        ...(region ? { region } : {}),
        ciphertext: wrapped.ciphertext,
      };
      const notice = `Stage ${ctx.stage} key wrapped with AWS KMS key ${label({ keyId, keyArn: wrapped.keyArn })}. CI needs kms:Decrypt on this key; writers (set, rm, import) need no AWS access.`;
      return { record, notice };
    },
  };
}

/** Wraps a new stage key for an existing aws-kms identity (rotate). */
function kmsRecipient(record: KmsIdentityRecord, env: NodeJS.ProcessEnv): Recipient {
  return {
    async wrap(privateKey, ctx) {
      const wrapped = await encrypt(record, privateKey, ctx, env);
      return {
        record: { ...record, ...(wrapped.keyArn ? { keyArn: wrapped.keyArn } : {}), ciphertext: wrapped.ciphertext },
      };
    },
  };
}

function kmsIdentity(record: KmsIdentityRecord, env: NodeJS.ProcessEnv): Identity {
  return {
    description: awsKmsKind.describe(record),
    async unwrap(ctx) {
      const flightKey = createHash('sha256')
        .update(JSON.stringify([record.keyId, record.keyArn, record.region, record.ciphertext, ctx.app, ctx.stage]))
        .digest('hex');
      let pending = inFlight.get(flightKey);
      if (!pending) {
        pending = decrypt(record, ctx, env).finally(() => inFlight.delete(flightKey));
        inFlight.set(flightKey, pending);
      }
      // Each caller gets its own copy: the stage cache zeroes the buffers it holds when it forgets them.
      return Buffer.from(await pending);
    },
  };
}

/** AWS credentials configured in the env: only then is KMS asked without a wait (see canTryQuickly). */
const CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_PROFILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
];

export const awsKmsKind: IdentityKind<KmsIdentityRecord, KmsIdentitySpec> = {
  type: 'aws-kms',
  recordSchema,
  flags: [
    {
      name: 'kms',
      type: 'string',
      value: 'KEY_ID',
      help: 'an AWS KMS key (id, alias/NAME or ARN); needs kms:Encrypt now, kms:Decrypt in CI',
    },
    {
      name: 'region',
      type: 'string',
      value: 'R',
      partner: true,
      help: 'region of that KMS key (default: AWS_REGION / profile)',
    },
  ],
  specsFrom(values, command) {
    const keyId = typeof values.kms === 'string' ? values.kms : undefined;
    const region = typeof values.region === 'string' ? values.region : undefined;
    if (region && !keyId) {
      throw new StageSecretsError('USAGE', `--region goes with --kms. See: stage-secrets ${command} --help`);
    }
    return keyId ? [{ type: 'aws-kms', keyId, region }] : [];
  },
  lambdaRuntime: true,
  quickEnv: (env) => ({
    ...env,
    STAGE_SECRETS_KMS_MAX_ATTEMPTS: '1',
    STAGE_SECRETS_KMS_TIMEOUT_MS: env.STAGE_SECRETS_KMS_TIMEOUT_MS || '3000',
  }),
  wrappedKey: (record) => record.ciphertext,
  lambda: awsKmsLambda,
  canTryQuickly: (_record, env) => CREDENTIAL_VARIABLES.some((name) => Boolean(env[name])),
  identity: async (record, env) => kmsIdentity(record, env),
  recipient: async (target, env) =>
    'id' in target ? kmsRecipient(target as KmsIdentityRecord, env) : newKmsRecipient(target as KmsIdentitySpec, env),
  describe(record) {
    const region = regionFor(record);
    const pinned = record.keyArn && record.keyArn !== record.keyId ? `, pinned to ${record.keyArn}` : '';
    return `AWS KMS key ${record.keyId}${region || pinned ? ` (${[region, pinned.slice(2)].filter(Boolean).join(', ')})` : ''}`;
  },
  blobFields: ['ciphertext'],
  idOf: (record) => kmsIdentityId(record.keyId, record.region),
  whoFields: (record) => [
    ['key', record.keyId],
    ['key ARN', record.keyArn ?? '(not recorded)'],
    ['region', regionFor(record) ?? '(the AWS default)'],
  ],
  distinctFrom(added, existing, stage) {
    if (!added.keyArn || !existing.keyArn || added.keyArn === existing.keyArn) return undefined;
    const record: KmsIdentityRecord = { ...added, keyId: added.keyArn, id: kmsIdentityId(added.keyArn, added.region) };
    const notice =
      `${existing.keyId} names key ${added.keyArn} now, but identity ${existing.id} is pinned to ${existing.keyArn}, ` +
      `the key it named when it was added (a stage opens with the key it was wrapped with, whatever the alias names ` +
      `later). Added identity ${record.id} for the new key. Once CI opens the stage with it, remove the old one: ` +
      `npx --no-install stage-secrets rewrap --stage ${stage} --remove ${existing.id}`;
    return { record, notice };
  },
};
