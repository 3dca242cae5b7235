import { createHash } from 'node:crypto';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { quietSdkConstruction } from '../core/aws-sdk.js';
import { StageSecretsError } from '../core/errors.js';
import {
  awsClientSettings,
  awsStoreError,
  errorName,
  sdkClientOptions,
  secretNameOfKey,
  type StoreErrorContext,
} from './aws-settings.js';
import {
  MAX_OBJECT_BYTES,
  type ListedObject,
  type ObjectStore,
  type RuntimeStoreAccess,
  type RuntimeStoreBackend,
  type RuntimeStoreLocation,
} from './backend.js';

/*
 * The runtime store in AWS Secrets Manager: `secretsmanager://PREFIX`, one secret per name,
 * `PREFIX/<app>/<stage>/<NAME>`, whose AWSCURRENT version holds the sealed entry (SecretString). Its
 * "ETag" is that version's id.
 *
 * The compare-and-swap is the move of the AWSCURRENT staging label. A write that replaces version V:
 *  1. PutSecretValue with the new entry and VersionStages [PENDING_STAGE] only: a new version W that
 *     is not current (without VersionStages, Secrets Manager would move AWSCURRENT to it, a blind
 *     overwrite). Its ClientRequestToken (the version id) is derived from the secret and the entry, so
 *     an SDK retry of the same call is the same version, not a second one.
 *  2. UpdateSecretVersionStage AWSCURRENT MoveToVersionId W, RemoveFromVersionId V. The API reference:
 *     when the label is attached to another version than RemoveFromVersionId, "the operation fails". So
 *     it moves only if V is still current: of two writers that read V, one moves the label, the other
 *     fails (InvalidParameterException), a conflict; it reads again and retries (updateStoredSecret).
 *     moto 5.2.1 checks the same (the stage must be on RemoveFromVersionId, else InvalidParameterException).
 * The first write is CreateSecret, which fails with ResourceExistsException when the secret exists.
 * A version that lost stays behind without AWSCURRENT (PENDING_STAGE moves on to the next writer's
 * version; a version without labels is deprecated and removed by Secrets Manager later). Nothing is
 * ever deleted by the store, so no name can be reused (compare ssm-store.ts).
 *
 * Limits: a SecretString holds 64 KB, more than any entry. Secrets Manager keeps about 100 versions and
 * removes deprecated ones only after 24 hours, and asks for PutSecretValue no more than about once every
 * 10 minutes per secret: this store suits values updated now and then (a token refreshed hourly), not
 * every minute. Secrets are encrypted with the account's aws/secretsmanager key (no KMS grant needed).
 * Listing uses ListSecrets, which IAM grants only on "*" (it shows secret names and metadata, never values),
 * and which may lag by up to five minutes: a name's first write can take that long to show in other
 * instances' reads (they read the stage file's value meanwhile); each listed secret is then read with
 * GetSecretValue every time, never skipped by a listed version id. Reads that lag cost nothing worse than
 * a conflict: the AWSCURRENT move checks the version where it is now.
 */

/** Where runtime updates live in Secrets Manager: `secretsmanager://PREFIX`. */
export interface SecretsManagerLocation extends RuntimeStoreLocation {
  scheme: 'secretsmanager';
}

const SCHEME = 'secretsmanager';
const URL_FORM = 'secretsmanager://PREFIX';
const ENDPOINT_VAR = 'AWS_ENDPOINT_URL_SECRETS_MANAGER';
/** Secret names: letters, digits and / _ + = . @ - */
const NAME_CHARS = /^[A-Za-z0-9/_+=.@-]*$/;
const MAX_NAME = 512;
const MAX_PREFIX = 256;
/** The staging label of a version written but not (yet) current. */
export const PENDING_STAGE = 'STAGE_SECRETS_PENDING';
const CURRENT = 'AWSCURRENT';
/** A SecretString's limit */
export const MAX_SECRET_BYTES = 65536;

/** Parses `secretsmanager://PREFIX`; `from` names where the text came from in errors. */
export function parseSecretsManagerUrl(text: string, from: string): SecretsManagerLocation {
  const fix = `give it as ${URL_FORM}, e.g. secretsmanager://team/runtime (${from})`;
  const match = /^secretsmanager:\/\/(.*)$/i.exec(text.trim());
  if (!match) throw new StageSecretsError('USAGE', `the runtime store is not a secretsmanager:// URL; ${fix}.`);
  const prefix = match[1]!.replace(/^\/+/, '').replace(/\/+$/, '');
  if (prefix.length > MAX_PREFIX || !NAME_CHARS.test(prefix) || prefix.includes('//')) {
    throw new StageSecretsError(
      'USAGE',
      `the runtime store's Secrets Manager prefix must be at most ${MAX_PREFIX} letters, digits and / _ + = . @ - without empty levels; ${fix}.`,
    );
  }
  return { scheme: SCHEME, prefix, url: `secretsmanager://${prefix}` };
}

/** The secret of an object key `PREFIX/<app>/<stage>/<NAME>.json` (or a folder's name prefix, kept as it is). */
function secretName(location: SecretsManagerLocation, key: string): string {
  const name = key.replace(/\.json$/, '');
  if (!NAME_CHARS.test(name) || name.length > MAX_NAME) {
    throw new StageSecretsError(
      'USAGE',
      `the runtime store ${location.url} cannot hold ${name}: Secrets Manager names take only letters, digits and / _ + = . @ - (at most ${MAX_NAME}), and the app name is part of it. Use an app name of those characters, or an s3:// store.`,
    );
  }
  return name;
}

/** The version id of a write: the same for the same secret and entry, so a retried call is idempotent. */
export function versionIdOf(name: string, text: string): string {
  const h = createHash('sha256').update(`${name}\n${text}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export type SecretsManagerSdk = typeof import('@aws-sdk/client-secrets-manager');

let loadSdk: () => Promise<SecretsManagerSdk> = () => import('@aws-sdk/client-secrets-manager');

export function setSecretsManagerSdkLoader(loader: () => Promise<SecretsManagerSdk>): void {
  loadSdk = loader;
  clients.clear();
}

const clients = new Map<string, SecretsManagerClient>();

async function smClient(env: NodeJS.ProcessEnv): Promise<{ sdk: SecretsManagerSdk; client: SecretsManagerClient }> {
  const settings = awsClientSettings(env, ENDPOINT_VAR);
  const sdk = await loadSdk();
  let client = clients.get(settings.cacheKey);
  if (!client) {
    client = quietSdkConstruction(() => new sdk.SecretsManagerClient(sdkClientOptions(settings)));
    clients.set(settings.cacheKey, client);
  }
  return { sdk, client };
}

function folderArn(location: SecretsManagerLocation, folder: string): string {
  // AWS adds "-" and 6 characters to a secret's name in its ARN, which the trailing * covers
  return `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${secretName(location, folder)}*`;
}

const MISSING = new Set(['ResourceNotFoundException']);

/** The runtime store's objects as secrets (see the top of this file). */
export function secretsManagerObjectStore(location: SecretsManagerLocation, env: NodeJS.ProcessEnv): ObjectStore {
  const context = (operation: string, where: string, write: boolean): StoreErrorContext => ({
    service: 'Secrets Manager',
    operation,
    url: location.url,
    where,
    needs: `secretsmanager:GetSecretValue${write ? ', CreateSecret, PutSecretValue and UpdateSecretVersionStage' : ''} on secret:${location.prefix ? `${location.prefix}/` : ''}<app>/<stage>/* and secretsmanager:ListSecrets`,
    endpointVar: ENDPOINT_VAR,
  });
  const urlOf = (name: string) => `secretsmanager://${name}`;

  return {
    location,
    async get(key) {
      const name = secretName(location, key);
      try {
        const { sdk, client } = await smClient(env);
        // AWSCURRENT is what AWS returns by default; named, because moto 5.2.1 answers a request without
        // it with the version current before the last UpdateSecretVersionStage
        const out = await client.send(new sdk.GetSecretValueCommand({ SecretId: name, VersionStage: CURRENT }));
        const text = out.SecretString ?? '';
        if (Buffer.byteLength(text) > MAX_OBJECT_BYTES) {
          throw new StageSecretsError(
            'FORMAT',
            `the runtime store secret ${name} is larger than any entry; it was not written by stage-secrets. Delete it.`,
          );
        }
        if (!out.VersionId) {
          throw new StageSecretsError(
            'IO',
            `Secrets Manager answered GetSecretValue for ${name} without a version id.`,
          );
        }
        return { key, text, etag: out.VersionId };
      } catch (err) {
        if (MISSING.has(errorName(err))) return undefined;
        throw awsStoreError(err, context('GetSecretValue', urlOf(name), false));
      }
    },
    async put(key, text, condition) {
      const name = secretName(location, key);
      const bytes = Buffer.byteLength(text);
      if (bytes > MAX_SECRET_BYTES) {
        throw new StageSecretsError(
          'INVALID_VALUE',
          `${secretNameOfKey(key)} is too large for the Secrets Manager runtime store ${location.url}: its sealed entry is ${bytes} bytes, and a secret holds at most ${MAX_SECRET_BYTES}. Nothing was written.`,
        );
      }
      const versionId = versionIdOf(name, text);
      const { sdk, client } = await smClient(env).catch((err: unknown) => {
        throw awsStoreError(err, context('PutSecretValue', urlOf(name), true));
      });
      if (!('ifMatch' in condition)) {
        try {
          const out = await client.send(
            new sdk.CreateSecretCommand({ Name: name, SecretString: text, ClientRequestToken: versionId }),
          );
          return { etag: out.VersionId ?? versionId };
        } catch (err) {
          if (errorName(err) === 'ResourceExistsException') return 'conflict';
          throw awsStoreError(err, context('CreateSecret', urlOf(name), true));
        }
      }
      try {
        await client.send(
          new sdk.PutSecretValueCommand({
            SecretId: name,
            SecretString: text,
            ClientRequestToken: versionId,
            VersionStages: [PENDING_STAGE],
          }),
        );
      } catch (err) {
        if (MISSING.has(errorName(err))) return 'conflict'; // deleted since the read
        throw awsStoreError(err, context('PutSecretValue', urlOf(name), true));
      }
      try {
        await client.send(
          new sdk.UpdateSecretVersionStageCommand({
            SecretId: name,
            VersionStage: CURRENT,
            MoveToVersionId: versionId,
            RemoveFromVersionId: condition.ifMatch,
          }),
        );
      } catch (err) {
        // AWSCURRENT is no longer on the version read: another writer moved it first
        if (errorName(err) === 'InvalidParameterException' || MISSING.has(errorName(err))) return 'conflict';
        throw awsStoreError(err, context('UpdateSecretVersionStage', urlOf(name), true));
      }
      return { etag: versionId };
    },
    async list(prefix) {
      const found: ListedObject[] = [];
      try {
        const { sdk, client } = await smClient(env);
        let token: string | undefined;
        do {
          const out = await client.send(
            new sdk.ListSecretsCommand({
              Filters: [{ Key: 'name', Values: [prefix] }],
              IncludePlannedDeletion: false,
              NextToken: token,
              MaxResults: 100,
            }),
          );
          for (const secret of out.SecretList ?? []) {
            const name = secret.Name ?? '';
            if (!name.startsWith(prefix)) continue; // the filter is a prefix match that ignores case
            // ListSecrets "might not reflect changes from the last five minutes" (API reference): its
            // version ids are not trusted to skip a read, so no ETag is given and readers always get
            const current = Object.values(secret.SecretVersionsToStages ?? {}).some((stages) =>
              stages.includes(CURRENT),
            );
            if (current) found.push({ key: `${name}.json`, etag: '' });
          }
          token = out.NextToken || undefined;
        } while (token);
      } catch (err) {
        throw awsStoreError(err, context('ListSecrets', urlOf(prefix), false));
      }
      return found;
    },
  };
}

/**
 * The statements that let a function's role use one stage's secrets, and nothing else: read them and,
 * for 'read-write', create them and add and promote versions; plus ListSecrets, which IAM grants only
 * on "*" (names and metadata of the account's secrets, never a value).
 */
function secretsManagerGrant(
  location: SecretsManagerLocation,
  folder: string,
  access: RuntimeStoreAccess,
): Array<Record<string, unknown>> {
  const resource = { 'Fn::Sub': folderArn(location, folder) };
  return [
    {
      Effect: 'Allow',
      Action:
        access === 'read-write'
          ? [
              'secretsmanager:GetSecretValue',
              'secretsmanager:CreateSecret',
              'secretsmanager:PutSecretValue',
              'secretsmanager:UpdateSecretVersionStage',
            ]
          : ['secretsmanager:GetSecretValue'],
      Resource: resource,
    },
    { Effect: 'Allow', Action: ['secretsmanager:ListSecrets'], Resource: '*' },
  ];
}

export const secretsManagerBackend: RuntimeStoreBackend<SecretsManagerLocation> = {
  scheme: SCHEME,
  urlForm: URL_FORM,
  parse: parseSecretsManagerUrl,
  objects: secretsManagerObjectStore,
  objectUrl: (location, key) => `secretsmanager://${secretName(location, key)}`,
  grant: secretsManagerGrant,
  grantWords: (access) =>
    access === 'read-write'
      ? "secretsmanager:GetSecretValue, CreateSecret, PutSecretValue, UpdateSecretVersionStage on that folder's secrets only, and ListSecrets (names only)"
      : "secretsmanager:GetSecretValue on that folder's secrets only, and ListSecrets (names only); no PutSecretValue",
  coldStart(load) {
    setSecretsManagerSdkLoader(async () => load('@aws-sdk/client-secrets-manager') as SecretsManagerSdk);
  },
};
