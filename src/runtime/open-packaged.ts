import { resolveReferences, type ResolveOptions } from '../aws/references.js';
import { requireFromTaskRoot } from '../core/aws-sdk.js';
import { StageSecretsError } from '../core/errors.js';
import type { SecretEntry, StageFile } from '../core/format.js';
import { checkRuntimeBundle, type RuntimeBundle } from '../core/runtime-bundle.js';
import { publishRuntimeSecrets } from '../core/runtime-registry.js';
import type { SecretValue } from '../core/values.js';
import { IDENTITY_KINDS } from '../identities/registry.js';
import { openStageFile } from '../stages/open-file.js';

/** Each runtime kind's cold-start set-up: its SDK from the function's package, its env defaults (timeouts). */
function coldStart(env: NodeJS.ProcessEnv): Record<string, string> {
  const defaults: Record<string, string> = {};
  for (const kind of IDENTITY_KINDS.filter((k) => k.lambdaRuntime)) {
    Object.assign(
      defaults,
      kind.lambda?.coldStart?.((pkg) => requireFromTaskRoot(pkg, env, 'KEY_UNAVAILABLE', '')),
    );
  }
  return defaults;
}

/** References resolve with the SDKs of the function's package (Lambda's Node.js runtime has them), as the KMS kind's. */
function referenceOptions(env: NodeJS.ProcessEnv): ResolveOptions {
  return { load: (pkg) => requireFromTaskRoot(pkg, env, 'KEY_UNAVAILABLE', ' to resolve references') };
}

/** The bundle as the stage file it was cut from: the same opening rules apply (see stages/open-file.ts). */
function asStageFile(bundle: RuntimeBundle): StageFile {
  const secrets: StageFile['secrets'] = {};
  // packages made before entries carried their time: the epoch, so any store value counts as newer
  for (const [name, entry] of Object.entries(bundle.secrets))
    secrets[name] = { ...entry, updated: entry.updated ?? '1970-01-01T00:00:00Z' };
  return {
    version: bundle.version as StageFile['version'],
    app: bundle.app,
    stage: bundle.stage,
    publicKey: bundle.publicKey,
    ...(bundle.policy ? { policy: bundle.policy } : {}),
    ...(bundle.approvalEpoch ? { approvalEpoch: bundle.approvalEpoch } : {}),
    ...(bundle.allowedRefs ? { allowedRefs: bundle.allowedRefs } : {}),
    identities: bundle.identities,
    secrets,
  };
}

function cannotOpen(bundle: Pick<RuntimeBundle, 'function' | 'app' | 'stage'> | undefined, err: unknown): unknown {
  if (!(err instanceof StageSecretsError)) return err;
  const what = bundle
    ? `the secrets packaged for function ${bundle.function} (app ${bundle.app}, stage ${bundle.stage})`
    : 'the packaged secrets';
  return new StageSecretsError(err.code, `stage-secrets: cannot open ${what}: ${err.message}`, { cause: err });
}

/**
 * Cold start of a runtime-mode function: one KMS Decrypt unwraps the stage key, every packaged entry is
 * checked (approval, integrity) and opened, references are resolved under the function's role (one SSM
 * GetParameters per 10 names, one GetSecretValue per secret), the values go into process.env (over what
 * serverless.yml set, as in env mode) and into the registry the SecretClient reads. Errors name the cause,
 * never a value.
 */
export async function openPackagedSecrets(
  raw: unknown,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ReadonlyMap<string, SecretValue>> {
  let bundle: RuntimeBundle | undefined;
  try {
    const kinds = IDENTITY_KINDS.filter((kind) => kind.lambdaRuntime).map((kind) => kind.type);
    bundle = checkRuntimeBundle(raw, kinds);
    const defaults = coldStart(env);
    const file = asStageFile(bundle);
    const keyEnv = { ...defaults, ...env };
    const opened = await openStageFile(file, keyEnv);
    if (opened.pending.length > 0) {
      throw new StageSecretsError(
        'UNAPPROVED',
        `the package holds names no key holder approved: ${opened.pending.join(', ')}. A key holder runs: npx --no-install stage-secrets approve --stage ${bundle.stage} ${opened.pending.join(' ')}, then deploy again.`,
      );
    }
    const values = await resolveReferences(opened.decryptAll(), keyEnv, referenceOptions(keyEnv));
    for (const [name, value] of values) env[name] = value.text;
    // frozen where it is: openEntry checks against this very object, and nothing can change it any more
    deepFreeze(file);
    publishRuntimeSecrets({
      app: bundle.app,
      stage: bundle.stage,
      deployStage: bundle.deployStage,
      function: bundle.function,
      values,
      file,
      openEntry: (name, entry) => openEntryWithKey(file, keyEnv, name, entry),
    });
    return values;
  } catch (err) {
    throw cannotOpen(bundle, err);
  }
}

/**
 * Opens one sealed entry of a packaged name: the packaged file with that entry in place of its own
 * (approval tag kept: it binds the name, not the value), opened as at cold start. The stage key is
 * already unwrapped in this process (stages/open-file.ts keeps it), so this makes no KMS call; the key
 * itself stays in this module and is never handed out. A reference entry is resolved as at cold start, so
 * its target text is never handed out as its value.
 */
async function openEntryWithKey(
  file: StageFile,
  env: NodeJS.ProcessEnv,
  name: string,
  entry: SecretEntry,
): Promise<SecretValue> {
  const own = Object.hasOwn(file.secrets, name) ? file.secrets[name] : undefined;
  if (!own) throw new StageSecretsError('NOT_FOUND', `${name} is not among the secrets packaged for this function.`);
  const { approved: _ignored, ...sealed } = entry;
  const one: StageFile = {
    ...file,
    secrets: { [name]: { ...sealed, ...(own.approved ? { approved: own.approved } : {}) } },
  };
  const opened = await openStageFile(one, env);
  if (opened.pending.length > 0)
    throw new StageSecretsError('UNAPPROVED', `${name} is not approved in stage ${file.stage}.`);
  const value = opened.decrypt(name);
  return (await resolveReferences(new Map([[name, value]]), env, referenceOptions(env))).get(name)!;
}

/**
 * Deep-freezes the file the registry hands out and openEntry checks against (the same object): code that
 * changes what it got cannot change what openEntry checks against. Frozen in place rather than copied: a
 * copy (structuredClone) cost about 7 ms of a cold start at 1,000 secrets. The file is this module's own
 * (asStageFile builds it; its identity records come from the parsed package file, which nothing else holds).
 */
function deepFreeze(value: unknown): void {
  if (!value || typeof value !== 'object') return;
  Object.freeze(value);
  for (const inner of Object.values(value)) deepFreeze(inner);
}
