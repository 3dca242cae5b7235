import { createHash } from 'node:crypto';
import { StageSecretsError } from '../core/errors.js';
import type { IdentityRecord } from '../core/format.js';
import { kmsClient, regionOfArn, retrySettings } from './aws-kms-client.js';
import { kmsError, type KmsCallInfo } from './aws-kms-errors.js';
import type { IdentitySpec, KeyProvider, StageContext, WrapResult } from './types.js';

/**
 * The aws-kms identity: the stage private key is wrapped by KMS Encrypt under the encryption context
 * {app, stage}. Record fields (all strings): keyId as the user gave it, keyArn as KMS answered, region
 * (only when given with --region) and ciphertext (base64 CiphertextBlob).
 */
interface KmsRecordFields {
  keyId: string;
  keyArn?: string;
  region?: string;
  ciphertext: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function kmsIdentityId(keyId: string, region?: string): string {
  return region && !regionOfArn(keyId) ? `aws-kms:${keyId}@${region}` : `aws-kms:${keyId}`;
}

function fieldsOf(record: IdentityRecord): KmsRecordFields {
  const get = (name: string, required: boolean): string | undefined => {
    const value = record[name];
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'string' || value.length === 0) {
      throw new StageSecretsError('FORMAT', `identity ${record.id} has no ${name} field; restore the stage file from git.`);
    }
    return value;
  };
  const fields: KmsRecordFields = {
    keyId: get('keyId', true)!,
    keyArn: get('keyArn', false),
    region: get('region', false),
    ciphertext: get('ciphertext', true)!,
  };
  if (!BASE64.test(fields.ciphertext)) {
    throw new StageSecretsError('FORMAT', `identity ${record.id}: ciphertext is not base64; restore the stage file from git.`);
  }
  return fields;
}

/** The region to call: --region as recorded, else the one in the key's ARN, else the SDK's default. */
function regionFor(fields: { keyId: string; keyArn?: string; region?: string }): string | undefined {
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

export function createKmsProvider(env: NodeJS.ProcessEnv = process.env): KeyProvider {
  const settings = () => retrySettings(env);

  async function encrypt(fields: { keyId: string; keyArn?: string; region?: string }, privateKey: Buffer, ctx: StageContext) {
    const s = settings();
    const region = regionFor(fields);
    const call: KmsCallInfo = { operation: 'Encrypt', keyLabel: label(fields), region, ctx, maxAttempts: s.maxAttempts };
    try {
      const { EncryptCommand } = await import('@aws-sdk/client-kms');
      const client = await kmsClient(region, s);
      const out = await client.send(
        new EncryptCommand({ KeyId: fields.keyArn ?? fields.keyId, Plaintext: privateKey, EncryptionContext: encryptionContext(ctx) }),
      );
      if (!out.CiphertextBlob || out.CiphertextBlob.length === 0) {
        throw new StageSecretsError('KEY_UNAVAILABLE', `AWS KMS Encrypt for key ${call.keyLabel} returned no ciphertext; try again.`);
      }
      return { ciphertext: Buffer.from(out.CiphertextBlob).toString('base64'), keyArn: out.KeyId ?? fields.keyArn };
    } catch (err) {
      throw kmsError(err, call);
    }
  }

  async function decrypt(fields: KmsRecordFields, ctx: StageContext): Promise<Buffer> {
    const s = settings();
    const region = regionFor(fields);
    const call: KmsCallInfo = { operation: 'Decrypt', keyLabel: label(fields), region, ctx, maxAttempts: s.maxAttempts };
    try {
      const { DecryptCommand } = await import('@aws-sdk/client-kms');
      const client = await kmsClient(region, s);
      // KeyId makes KMS refuse a blob made under another key instead of silently using that key.
      const out = await client.send(
        new DecryptCommand({
          CiphertextBlob: Buffer.from(fields.ciphertext, 'base64'),
          KeyId: fields.keyArn ?? fields.keyId,
          EncryptionContext: encryptionContext(ctx),
        }),
      );
      if (!out.Plaintext || out.Plaintext.length !== 32) {
        throw new StageSecretsError('INTEGRITY', `AWS KMS key ${call.keyLabel} unwrapped something that is not a stage key; restore the stage file from git.`);
      }
      return Buffer.from(out.Plaintext);
    } catch (err) {
      throw kmsError(err, call);
    }
  }

  return {
    type: 'aws-kms',

    async create(spec: IdentitySpec, privateKey: Buffer, ctx: StageContext): Promise<WrapResult> {
      if (spec.type !== 'aws-kms') throw new StageSecretsError('USAGE', `the aws-kms provider cannot create a ${spec.type} identity`);
      const keyId = spec.keyId.trim();
      if (!keyId) throw new StageSecretsError('USAGE', '--kms needs a key id, alias/NAME or key ARN.');
      const region = spec.region?.trim() || undefined;
      const wrapped = await encrypt({ keyId, region }, privateKey, ctx);
      const record: IdentityRecord = {
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

    async rewrap(record, privateKey, ctx) {
      const fields = fieldsOf(record);
      const wrapped = await encrypt(fields, privateKey, ctx);
      return { ...record, ...(wrapped.keyArn ? { keyArn: wrapped.keyArn } : {}), ciphertext: wrapped.ciphertext };
    },

    async unwrap(record, ctx) {
      const fields = fieldsOf(record);
      const flightKey = createHash('sha256').update(JSON.stringify([fields, ctx.app, ctx.stage])).digest('hex');
      let pending = inFlight.get(flightKey);
      if (!pending) {
        pending = decrypt(fields, ctx).finally(() => inFlight.delete(flightKey));
        inFlight.set(flightKey, pending);
      }
      // Each caller gets its own copy: the stage cache zeroes the buffers it holds when it forgets them.
      return Buffer.from(await pending);
    },

    describe(record) {
      const keyId = typeof record.keyId === 'string' ? record.keyId : record.id;
      const region = regionFor({ keyId, keyArn: record.keyArn, region: record.region });
      return `AWS KMS key ${keyId}${region ? ` (${region})` : ''}`;
    },
  };
}
