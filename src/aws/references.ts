import type { GetParametersCommandOutput, SSMClient } from '@aws-sdk/client-ssm';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { quietSdkConstruction } from '../core/aws-sdk.js';
import { StageSecretsError } from '../core/errors.js';
import type { IamStatement } from '../core/iam.js';
import { normalizeValue, type SecretValue } from '../core/values.js';
import { awsSourceError } from './aws-answers.js';

/**
 * References: an entry whose sealed text names where its value lives (an SSM parameter, a Secrets Manager
 * secret or one top-level key of its JSON), resolved by whoever opens the stage with its own AWS identity.
 */
export type ReferenceStore = 'ssm' | 'secretsmanager';

export interface ReferenceTarget {
  store: ReferenceStore;
  /** ssm: the parameter name, '/org/x'; secretsmanager: the secret id or ARN */
  id: string;
  /** secretsmanager only: the top-level JSON key after '#' */
  key?: string;
  /** canonical text: 'ssm:/org/x' | 'secretsmanager:ID' | 'secretsmanager:ID#KEY' */
  text: string;
}

const FORMS = 'ssm:/PATH/NAME (a parameter, not a folder) or secretsmanager:ID[#KEY] (a secret name or ARN)';

/** SSM's own rule for a hierarchical name: segments of letters, digits, _ . -, at most 15 levels and 1011 characters. */
const SSM_NAME = /^(\/[A-Za-z0-9_.-]+)+$/;
const SSM_NAME_MAX = 1011;
/** Secrets Manager's rule for a secret name: letters, digits and / _ + = . @ -, at most 512 characters. */
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/;

function badTarget(text: string, from: string, why: string): StageSecretsError {
  // the target text is not a value: it may be quoted, shortened so a pasted value cannot fill a screen
  const shown = JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
  return new StageSecretsError('USAGE', `${from} ${shown}: ${why}. A reference is ${FORMS}.`);
}

/** Parses a reference's target text; refuses, naming `from` (e.g. "--ref") and the accepted forms, anything else. */
export function parseReferenceTarget(text: string, from: string): ReferenceTarget {
  if (text.startsWith('ssm:')) {
    const id = text.slice('ssm:'.length);
    if (!id.startsWith('/')) throw badTarget(text, from, 'an SSM parameter is named by its full path, from /');
    if (id.endsWith('/'))
      throw badTarget(text, from, 'a reference names one parameter, not a folder (import --from takes a folder)');
    if (!SSM_NAME.test(id) || id.length > SSM_NAME_MAX)
      throw badTarget(text, from, 'an SSM parameter name holds letters, digits and _ . - between single slashes');
    if (id.split('/').length - 1 > 15) throw badTarget(text, from, 'SSM allows at most 15 levels in a parameter name');
    return { store: 'ssm', id, text: `ssm:${id}` };
  }
  if (text.startsWith('secretsmanager:')) {
    const rest = text.slice('secretsmanager:'.length);
    const hash = rest.indexOf('#');
    const id = hash < 0 ? rest : rest.slice(0, hash);
    const key = hash < 0 ? undefined : rest.slice(hash + 1);
    if (!SECRET_NAME.test(id) && !SECRET_ARN.test(id))
      throw badTarget(
        text,
        from,
        'a secret is named by its name (letters, digits and / _ + = . @ -) or its full ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-SUFFIX)',
      );
    if (key !== undefined && (key.length === 0 || /[\u0000-\u001f\u007f#]/.test(key)))
      throw badTarget(text, from, 'after # comes the name of a top-level key of the secret’s JSON object');
    return {
      store: 'secretsmanager',
      id,
      ...(key !== undefined ? { key } : {}),
      text: key === undefined ? `secretsmanager:${id}` : `secretsmanager:${id}#${key}`,
    };
  }
  throw badTarget(text, from, 'not a reference');
}

export interface ResolveOptions {
  /** inside Lambda: load an SDK package from the function's package (as runtime-store backends' coldStart) */
  load?: (pkg: string) => unknown;
}

/** SSM's limit of names per GetParameters call. */
export const SSM_BATCH = 10;

type SsmSdk = typeof import('@aws-sdk/client-ssm');
type SecretsSdk = typeof import('@aws-sdk/client-secrets-manager');

/**
 * Where a client goes and who it is, from `env` (the same variables the SDK reads from process.env, so a
 * caller's own env wins); the rest from the SDK's chain. In Lambda (`load`) a cold start should fail in
 * seconds, not retry for a minute.
 */
function clientConfig(env: NodeJS.ProcessEnv, service: 'SSM' | 'SECRETS_MANAGER', inLambda: boolean) {
  const endpoint = env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  const credentials =
    env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          accessKeyId: env.AWS_ACCESS_KEY_ID,
          secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
          ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
        }
      : undefined;
  return {
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    ...(credentials ? { credentials } : {}),
    ...(inLambda
      ? {
          maxAttempts: 3,
          requestHandler: { connectionTimeout: 3000, requestTimeout: 3000, throwOnRequestTimeout: true },
        }
      : {}),
  };
}

/** One reference of the stage: the name that holds it, its declared type and its target. */
interface Wanted {
  name: string;
  value: SecretValue;
  target: ReferenceTarget;
}

const listed = (refs: readonly Wanted[]) => refs.map((r) => `${r.name} -> ${r.target.text}`).join(', ');

/** A failure of one or more references: the code, and what to say (names and targets, never a value). */
type Failure = StageSecretsError;

/**
 * The raw texts of SSM parameters by name (decrypted), `missing` for names SSM does not have. 10 names a
 * call. A batch denied as a whole (IAM denies GetParameters when any one name is denied) is asked again
 * name by name, so the error names the denied ones only.
 */
async function readParameters(
  refs: readonly Wanted[],
  env: NodeJS.ProcessEnv,
  options: ResolveOptions,
): Promise<{ found: Map<string, string>; failures: Failure[] }> {
  const found = new Map<string, string>();
  const failures: Failure[] = [];
  const names = [...new Set(refs.map((r) => r.target.id))];
  if (names.length === 0) return { found, failures };
  const sdk = (options.load ? options.load('@aws-sdk/client-ssm') : await import('@aws-sdk/client-ssm')) as SsmSdk;
  const ssm: SSMClient = quietSdkConstruction(() => new sdk.SSMClient(clientConfig(env, 'SSM', !!options.load)));
  const holders = (batch: readonly string[]) => refs.filter((r) => batch.includes(r.target.id));
  const ask = (batch: string[]): Promise<GetParametersCommandOutput> =>
    ssm.send(new sdk.GetParametersCommand({ Names: batch, WithDecryption: true }));
  const failed = (err: unknown, batch: string[]) =>
    awsSourceError(
      err,
      `resolving ${listed(holders(batch))}`,
      `ssm:GetParameters on ${batch.length === 1 ? 'that parameter' : 'these parameters'} (and kms:Decrypt on the key of a SecureString under a customer managed key)`,
    );
  const missing: string[] = [];
  const take = (answer: GetParametersCommandOutput) => {
    for (const p of answer.Parameters ?? []) if (p.Name && p.Value !== undefined) found.set(p.Name, p.Value);
    missing.push(...(answer.InvalidParameters ?? []));
  };
  try {
    const batches: string[][] = [];
    for (let i = 0; i < names.length; i += SSM_BATCH) batches.push(names.slice(i, i + SSM_BATCH));
    await Promise.all(
      batches.map(async (batch) => {
        try {
          take(await ask(batch));
        } catch (err) {
          const whole = failed(err, batch);
          if (whole.code !== 'ACCESS_DENIED' || batch.length === 1) return void failures.push(whole);
          for (const one of batch) {
            try {
              take(await ask([one]));
            } catch (err1) {
              failures.push(failed(err1, [one]));
            }
          }
        }
      }),
    );
  } finally {
    ssm.destroy();
  }
  // a name SSM answered neither way (not expected) counts as missing too
  const absent = names.filter((n) => !found.has(n) && (missing.includes(n) || !failures.length));
  if (absent.length) failures.push(notFound(holders(absent), 'no such SSM parameter'));
  return { found, failures };
}

function notFound(refs: readonly Wanted[], what: string): StageSecretsError {
  return new StageSecretsError(
    'NOT_FOUND',
    `reference target not found (${what}): ${listed(refs)}. Create it there, or point the name elsewhere with: npx --no-install stage-secrets set --stage STAGE NAME --ref TARGET`,
  );
}

/** The SecretString of each distinct secret id, one GetSecretValue each (in parallel). */
async function readSecrets(
  refs: readonly Wanted[],
  env: NodeJS.ProcessEnv,
  options: ResolveOptions,
): Promise<{ found: Map<string, string>; failures: Failure[] }> {
  const found = new Map<string, string>();
  const failures: Failure[] = [];
  const ids = [...new Set(refs.map((r) => r.target.id))];
  if (ids.length === 0) return { found, failures };
  const sdk = (
    options.load ? options.load('@aws-sdk/client-secrets-manager') : await import('@aws-sdk/client-secrets-manager')
  ) as SecretsSdk;
  const client: SecretsManagerClient = quietSdkConstruction(
    () => new sdk.SecretsManagerClient(clientConfig(env, 'SECRETS_MANAGER', !!options.load)),
  );
  try {
    await Promise.all(
      ids.map(async (id) => {
        const holders = refs.filter((r) => r.target.id === id);
        try {
          const answer = await client.send(new sdk.GetSecretValueCommand({ SecretId: id }));
          if (answer.SecretString === undefined) {
            failures.push(
              new StageSecretsError(
                'INVALID_VALUE',
                `${listed(holders)}: the secret holds binary data, not a string; stage-secrets keeps text values only.`,
              ),
            );
          } else found.set(id, answer.SecretString);
        } catch (err) {
          const e = awsSourceError(
            err,
            `resolving ${listed(holders)}`,
            'secretsmanager:GetSecretValue on that secret (and kms:Decrypt on its key, for a customer managed key)',
          );
          failures.push(e.code === 'NOT_FOUND' ? notFound(holders, 'no such Secrets Manager secret') : e);
        }
      }),
    );
  } finally {
    client.destroy();
  }
  return { found, failures };
}

/** The text a reference yields from its secret's string: all of it, or one top-level key of its JSON object. */
function pick(ref: Wanted, secret: string): string {
  const key = ref.target.key;
  if (key === undefined) return secret;
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new StageSecretsError(
      'INVALID_VALUE',
      `${ref.name} -> ${ref.target.text}: the secret is not a JSON object, so it has no key ${JSON.stringify(key)}; reference the whole secret (without #).`,
    );
  }
  if (!Object.hasOwn(parsed, key)) {
    throw new StageSecretsError(
      'NOT_FOUND',
      `${ref.name} -> ${ref.target.text}: the secret's JSON object has no key ${JSON.stringify(key)}.`,
    );
  }
  const inner = (parsed as Record<string, unknown>)[key];
  return typeof inner === 'string' ? inner : JSON.stringify(inner);
}

/** The resolved text, checked against the entry's declared type; the message names the target too. */
function normalized(ref: Wanted, raw: string): string {
  try {
    return normalizeValue(ref.name, ref.value.type, raw);
  } catch (err) {
    if (!(err instanceof StageSecretsError)) throw err;
    throw new StageSecretsError(err.code, `${err.message} (the value comes from ${ref.target.text})`, { cause: err });
  }
}

/** The first failure by weight: an AWS refusal or outage says more about the build than a missing name. */
function firstFailure(failures: readonly Failure[]): Failure {
  const weight = (f: Failure) => (f.code === 'NOT_FOUND' ? 1 : 0);
  return [...failures].sort((a, b) => weight(a) - weight(b))[0]!;
}

/**
 * Replaces each value with `ref: true` by the value its target holds (normalized by the entry's declared
 * type with normalizeValue), batched: SSM GetParameters (10 names per call, WithDecryption), Secrets Manager
 * one GetSecretValue per distinct secret id. Values without `ref` pass through unchanged (same objects).
 * A missing target: StageSecretsError 'NOT_FOUND'; denied: 'ACCESS_DENIED'; unreachable: 'KEY_UNAVAILABLE';
 * each message names the secret name(s) and the target(s), never a value.
 */
export async function resolveReferences(
  values: ReadonlyMap<string, SecretValue>,
  env: NodeJS.ProcessEnv,
  options: ResolveOptions = {},
): Promise<Map<string, SecretValue>> {
  const refs: Wanted[] = [];
  for (const [name, value] of values) {
    if ((value as { ref?: unknown }).ref !== true) continue;
    refs.push({ name, value, target: parseReferenceTarget(value.text, `the reference of ${name}`) });
  }
  const out = new Map(values);
  if (refs.length === 0) return out;
  const [ssm, secrets] = await Promise.all([
    readParameters(
      refs.filter((r) => r.target.store === 'ssm'),
      env,
      options,
    ),
    readSecrets(
      refs.filter((r) => r.target.store === 'secretsmanager'),
      env,
      options,
    ),
  ]);
  const failures = [...ssm.failures, ...secrets.failures];
  if (failures.length) throw firstFailure(failures);
  for (const ref of refs) {
    const raw =
      ref.target.store === 'ssm' ? ssm.found.get(ref.target.id)! : pick(ref, secrets.found.get(ref.target.id)!);
    out.set(ref.name, { type: ref.value.type, text: normalized(ref, raw) });
  }
  return out;
}

const PARTITION_ARN = 'arn:${AWS::Partition}';
const HERE = '${AWS::Region}:${AWS::AccountId}';

/** A target as an IAM resource: its ARN, in the deploying account and region unless it is an ARN already. */
function targetResource(target: ReferenceTarget): unknown {
  if (target.store === 'ssm') return { 'Fn::Sub': `${PARTITION_ARN}:ssm:${HERE}:parameter${target.id}` };
  if (target.id.startsWith('arn:')) return target.id;
  // a secret's ARN ends in - and 6 random characters Secrets Manager adds: ?????? matches exactly those,
  // so the grant reaches this one secret name and no other (a longer name has more than 6 after NAME-)
  return { 'Fn::Sub': `${PARTITION_ARN}:secretsmanager:${HERE}:secret:${target.id}-??????` };
}

/**
 * IAM statements for runtime mode: ssm:GetParameters / secretsmanager:GetSecretValue on exactly these targets'
 * ARNs (Fn::Sub with AWS::Partition, AWS::Region, AWS::AccountId where a target is not an ARN already), and
 * kms:Decrypt on `keys` (the customer managed keys the targets are encrypted under, by ARN), only through
 * SSM and Secrets Manager (kms:ViaService). SecureStrings and secrets under AWS managed keys (aws/ssm,
 * aws/secretsmanager) need no kms statement: those keys' policies allow their service's callers.
 */
export function referenceGrants(
  targets: readonly ReferenceTarget[],
  keys: readonly string[] = [],
): Array<Record<string, unknown>> {
  const statements: IamStatement[] = [];
  const distinct = (list: unknown[]) => [...new Map(list.map((r) => [JSON.stringify(r), r])).values()];
  const ssm = distinct(targets.filter((t) => t.store === 'ssm').map(targetResource));
  const secrets = distinct(targets.filter((t) => t.store === 'secretsmanager').map(targetResource));
  if (ssm.length) statements.push({ Effect: 'Allow', Action: ['ssm:GetParameters'], Resource: ssm });
  if (secrets.length)
    statements.push({ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: secrets });
  const keyArns = [...new Set(keys)];
  for (const key of keyArns) {
    if (!/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(key))
      throw new StageSecretsError(
        'USAGE',
        `${JSON.stringify(key)} is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID): the functions' kms:Decrypt grant for references names keys exactly.`,
      );
  }
  const services = [ssm.length ? 'ssm' : undefined, secrets.length ? 'secretsmanager' : undefined].filter(Boolean);
  if (keyArns.length && services.length) {
    statements.push({
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: keyArns,
      Condition: {
        StringEquals: {
          'kms:ViaService': services.map((s) => ({ 'Fn::Sub': `${s}.\${AWS::Region}.amazonaws.com` })),
        },
      },
    });
  }
  return statements;
}
