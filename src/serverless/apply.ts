import type { Logger } from '../core/log.js';
import { functionSecretList, readSettings } from './config.js';
import { checkLambdaLimits, effectiveEnvironment } from './limits.js';
import { mergeSecrets, type FunctionEnvInput } from './merge.js';
import { decideSetEnvs } from './opt-out.js';
import { logOverrides } from './overrides.js';
import { describeSource } from '../stages/load.js';
import type { ServiceStageOptions, StageSecretsCache } from './service-stage.js';
import { excludeSecretsFolder, type PackageGuard } from './package-guard.js';
import type { Environment, FunctionConfig, ServiceConfig } from './types.js';
import { applyRuntimeMode, checkRuntimeIdentities, type RuntimeModeInput } from './runtime-mode.js';
import { referenceTargets } from './runtime-iam.js';
import { parseRuntimeStoreUrl, RUNTIME_STORE_ENV, type RuntimeStoreLocation } from '../stages/runtime-store.js';
import { StageSecretsError } from '../core/errors.js';
import { applyContract } from './contract.js';
import { DEPLOY_DIGEST_ENV, deployDigest, OPTED_OUT_RECORD } from '../core/deploy-digest.js';
import type { FrameworkFeatures } from './framework.js';

/** Serverless v4 copies the service and its compiled template into .serverless/meta.json (notes/serverless-v4.md). */
export const META_JSON_WARNING =
  'this framework saves the resolved service and its compiled template to .serverless/meta.json after every command, ' +
  'hiding only names that look like passwords or tokens: in env mode that file holds the secret values in plain text. ' +
  'Keep .serverless/ out of git, caches and artifacts (delete it after the build), or set custom.stageSecrets.mode: runtime, which puts no value in the template (docs/runtime-mode.md).';

export interface ApplyInput {
  service: ServiceConfig;
  stage: string;
  serviceDir: string;
  env: NodeJS.ProcessEnv;
  cache: StageSecretsCache;
  log: Logger;
  /** the service's config file as written (serverless.yml ...), to warn about reads of replaced variables */
  configFile?: string;
  /** invoke local: runtime mode sets the local process's env as env mode does (nothing is deployed) */
  localInvoke?: boolean;
  /** what the running framework does differently (framework.ts) */
  framework?: Pick<FrameworkFeatures, 'builtInEsbuild' | 'savesMeta'>;
}

export interface ApplySummary {
  setEnvs: boolean;
  secrets: number;
  functionsWithSecrets: number;
  functions: number;
  /** what the check of the packages after packaging needs (package-guard.ts) */
  guard: PackageGuard;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * The plugin's one step: decide whether functions get secrets, load them, merge them over
 * serverless.yml, refuse what Lambda would refuse, then write the environments back into the service.
 */
export async function applyStageSecrets(input: ApplyInput): Promise<ApplySummary> {
  const settings = readSettings(input.service.custom);
  const { app, dir, fallbacks } = settings;
  const which = { stage: input.stage, app, dir, fallbacks, serviceDir: input.serviceDir, env: input.env };
  const stage = input.cache.stage(which);
  const secretsDir = stage.secretsDir;
  const summary = await applySettings(input, settings, which, secretsDir);
  // last, after runtime mode's patterns: the stage files stay out of every package, opted out or not
  excludeSecretsFolder(input.service, input.serviceDir, secretsDir);
  // opted out, the stage file was not opened: read it without a key, so its entries are recognised anyway
  const stageFile = summary.guard.stageFile ?? (summary.setEnvs ? undefined : stage.readIfPresent());
  return { ...summary, guard: { ...summary.guard, secretsDir, stageFile } };
}

async function applySettings(
  input: ApplyInput,
  settings: ReturnType<typeof readSettings>,
  which: ServiceStageOptions,
  secretsDir: string | undefined,
): Promise<ApplySummary> {
  const { service, stage } = input;
  const store = storeSetting(settings.store, settings.mode, input.localInvoke);
  const functions: Record<string, FunctionConfig> = {};
  const lists: Record<string, string[] | 'auto' | undefined> = {};
  for (const [name, fn] of Object.entries(service.functions ?? {})) {
    if (!fn) continue;
    functions[name] = fn;
    lists[name] = functionSecretList(name, fn.secrets);
  }
  const functionCount = Object.keys(functions).length;

  const decision = decideSetEnvs({ env: input.env, setEnvs: settings.setEnvs, serviceDir: input.serviceDir });
  if (!decision.setEnvs) {
    checkYamlEnvironments(service, functions, () => ({ [DEPLOY_DIGEST_ENV]: OPTED_OUT_RECORD }));
    recordDeploy(functions, () => OPTED_OUT_RECORD);
    input.log.notice(
      `stage-secrets: functions get no secrets of stage ${stage} (${decision.reason}); the build environment is unchanged`,
    );
    return { setEnvs: false, secrets: 0, functionsWithSecrets: 0, functions: functionCount, guard: {} };
  }

  // runtime mode packages sealed entries: its references are resolved at cold start, not here
  const runtime = settings.mode === 'runtime' && !input.localInvoke;
  if (runtime) {
    // with references, runtime mode opens the stage file even under run (for their targets): a stage no
    // function can open is named as such first, not as a missing key
    const written = input.cache.stage(which).readIfPresent();
    if (written && Object.values(written.secrets).some((e) => e.ref === true)) checkRuntimeIdentities(written, stage);
  }
  const loaded = await input.cache.get(which, runtime ? 'keep' : 'resolve');
  if (loaded.note) input.log.notice(`stage-secrets: ${loaded.note}`);
  if (loaded.fallback) input.log.notice(`stage-secrets: ${loaded.fallback}`);
  const texts = new Map([...loaded.values].map(([name, value]) => [name, value.text]));
  // before anything is written: a function whose stage lacks a name its code needs stops here
  const auto = await applyContract({
    service,
    serviceDir: input.serviceDir,
    configFile: input.configFile,
    secretsDir,
    stage,
    stageNames: new Set(texts.keys()),
    env: input.env,
    log: input.log,
  });
  const envInputs: Record<string, FunctionEnvInput> = {};
  for (const [name, fn] of Object.entries(functions)) {
    const own = lists[name];
    envInputs[name] = { environment: fn.environment, secrets: auto[name] ?? (own === 'auto' ? [] : own) };
  }
  const serviceSecrets = settings.secrets === 'auto' ? undefined : settings.secrets;
  const merged = mergeSecrets({
    stage,
    providerEnvironment: service.provider.environment,
    functions: envInputs,
    secrets: texts,
    serviceSecrets,
  });
  // one digest per set of names: functions that receive the same names (most do) share it
  const digests = new Map<string, string>();
  const digestOf = (name: string) => {
    const names = [...new Set(merged.received[name] ?? [])].sort();
    const key = names.join('\n'); // a secret name holds no newline
    let digest = digests.get(key);
    if (digest === undefined) {
      digest = deployDigest(loaded.stageFile, names);
      digests.set(key, digest);
    }
    return digest;
  };
  if (settings.mode === 'runtime' && !input.localInvoke) {
    logOverrides(merged.replaced, input.configFile, input.log);
    // opened here with the key (the same cached opening, no second unwrap): this very file, every name
    // approved, so each bundle gets a tag that spares the cold start one HMAC per name. Run's env: no key, no tag.
    const opened = loaded.source.kind === 'stage-file' ? await input.cache.stage(which).open() : undefined;
    const keyHolder =
      opened && opened.file === loaded.stageFile && opened.pending.length === 0
        ? { approvals: opened.approvals, open: opened.open }
        : undefined;
    const summary = applyRuntime({
      ...input,
      functions,
      file: loaded.stageFile,
      keyHolder,
      received: merged.received,
      secrets: loaded.values.size,
      store,
      digestOf,
      builtInEsbuild: input.framework?.builtInEsbuild,
      references: referenceTargets(loaded.values),
      referenceKeys: settings.referenceKeys,
    });
    recordDeploy(functions, digestOf);
    return { ...summary, guard: { stageFile: loaded.stageFile, packaged: merged.received } };
  }

  for (const name of Object.keys(functions)) {
    merged.functionEnvironments[name] = { ...merged.functionEnvironments[name], [DEPLOY_DIGEST_ENV]: digestOf(name) };
  }
  const effective: Record<string, Environment> = {};
  for (const name of Object.keys(functions)) {
    effective[name] = effectiveEnvironment(merged.providerEnvironment, merged.functionEnvironments[name]);
  }
  checkLambdaLimits({ functions: effective, secretNames: loaded.values.keys() });

  if (merged.providerEnvironment) service.provider.environment = merged.providerEnvironment;
  for (const [name, fn] of Object.entries(functions)) {
    const env = merged.functionEnvironments[name];
    if (env) fn.environment = env;
  }

  const receiving = receivingCount(merged.received);
  const listed = Object.values(envInputs).filter((fn) => fn.secrets !== undefined).length;
  const narrowed = serviceSecrets ? ` (custom.stageSecrets.secrets: ${plural(serviceSecrets.length, 'name')})` : '';
  input.log.notice(
    `stage-secrets: ${plural(loaded.values.size, 'secret')} of stage ${stage} from ${describeSource(loaded.source)}` +
      `${loaded.app ? `, app ${loaded.app}` : ''}${narrowed}, set on ` +
      `${receiving} of ${plural(functionCount, 'function')}` +
      (listed ? ` (${plural(listed, 'function')} with a secrets list)` : ''),
  );
  logOverrides(merged.replaced, input.configFile, input.log);
  if (input.framework?.savesMeta && receiving > 0 && !input.localInvoke) input.log.warn(META_JSON_WARNING);
  return {
    setEnvs: true,
    secrets: loaded.values.size,
    functionsWithSecrets: receiving,
    functions: functionCount,
    guard: { stageFile: loaded.stageFile },
  };
}

/** Each function's record for `status` (src/core/deploy-digest.ts): no value, only a digest of sealed entries. */
function recordDeploy(functions: Record<string, FunctionConfig>, record: (name: string) => string): void {
  for (const [name, fn] of Object.entries(functions)) {
    fn.environment = { ...fn.environment, [DEPLOY_DIGEST_ENV]: record(name) };
  }
}

/** How many functions receive at least one secret. */
function receivingCount(received: Record<string, string[]>): number {
  return Object.values(received).filter((names) => names.length > 0).length;
}

/**
 * Lambda's limits for functions whose environment holds no secret (opted out, or runtime mode): the
 * yaml values, plus what `extra` adds to a function (runtime mode's store location).
 */
function checkYamlEnvironments(
  service: ServiceConfig,
  functions: Record<string, FunctionConfig>,
  extra: (name: string) => Environment = () => ({}),
): void {
  checkLambdaLimits({
    functions: Object.fromEntries(
      Object.entries(functions).map(([name, fn]) => [
        name,
        { ...effectiveEnvironment(service.provider.environment, fn.environment), ...extra(name) },
      ]),
    ),
    secretNames: [],
  });
}

/** Runtime mode: the selection above goes sealed into each function's package; no environment changes. */
function applyRuntime(
  input: ApplyInput & Omit<RuntimeModeInput, 'log'> & { secrets: number; digestOf: (name: string) => string },
): Omit<ApplySummary, 'guard'> {
  const { service, stage, functions, store } = input;
  // a function that receives secrets gets the store's location too: check it fits before anything is written
  checkYamlEnvironments(service, functions, (name) => ({
    ...(store && (input.received[name] ?? []).length > 0 ? { [RUNTIME_STORE_ENV]: store.url } : {}),
    [DEPLOY_DIGEST_ENV]: input.digestOf(name),
  }));
  const result = applyRuntimeMode({ ...input, log: input.log });
  const receiving = receivingCount(input.received);
  const count = Object.keys(functions).length;
  input.log.notice(
    `stage-secrets: runtime mode: ${plural(input.secrets, 'secret')} of stage ${stage} sealed into the packages of ${receiving} of ${plural(count, 'function')} ` +
      `(opened at cold start with ${result.opensWith}; no value in the template or the environment)` +
      (result.madeIndividual
        ? '; functions receive different secrets, so each is packaged on its own (package.individually)'
        : ''),
  );
  if (result.storeFolder && result.storeAccess === 'read-write') {
    input.log.notice(
      `stage-secrets: runtime store: functions with secrets get ${RUNTIME_STORE_ENV} and may read and update ${result.storeFolder} (${result.storeGrant})`,
    );
  } else if (result.storeFolder) {
    input.log.notice(
      `stage-secrets: runtime store: functions with secrets get ${RUNTIME_STORE_ENV} and may read ${result.storeFolder} but not update it (${result.storeGrant}): ` +
        `stage ${stage} uses the stage file of ${result.fileStage} through a preview fallback, so its functions read ${result.fileStage}'s newest values, and their updateSecret fails with READ_ONLY. ` +
        `To update secrets from stage ${stage}, give it its own stage file: npx --no-install stage-secrets init --stage ${stage}`,
    );
  }
  return { setEnvs: true, secrets: input.secrets, functionsWithSecrets: receiving, functions: count };
}

/**
 * custom.stageSecrets.store, parsed. Only runtime mode can use it: in env mode the values are fixed in
 * each function's configuration at deploy time, and a function has no sealed stage to update or to
 * compare the store's values with. (invoke local runs in env mode and ignores it.)
 */
function storeSetting(
  store: string | undefined,
  mode: string | undefined,
  localInvoke: boolean | undefined,
): RuntimeStoreLocation | undefined {
  if (store === undefined) return undefined;
  if (mode !== 'runtime') {
    throw new StageSecretsError(
      'USAGE',
      `custom.stageSecrets.store is set, but the runtime store works only with mode: runtime (in env mode the values are fixed in each function's environment at deploy time, and a function has nothing to update). Add mode: runtime to custom.stageSecrets, or remove store.`,
    );
  }
  return localInvoke ? undefined : parseRuntimeStoreUrl(store, 'custom.stageSecrets.store');
}
