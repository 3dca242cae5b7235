import { closestWord } from '../core/did-you-mean.js';
import { StageSecretsError } from '../core/errors.js';
import { KEY_NAME_PATTERN, STAGE_NAME_PATTERN } from '../core/names.js';
import { catchAllPatternError } from '../stages/locate.js';
import { parseRuntimeStoreUrl, STORE_BACKENDS, runtimeStoreUrlForms } from '../runtime-store/backends.js';

/** Whether a setting is a URL one of the runtime-store backends parses. */
function isStoreUrl(text: string): boolean {
  try {
    parseRuntimeStoreUrl(text, 'custom.stageSecrets.store');
    return true;
  } catch {
    return false;
  }
}

/** How functions get their secrets: in their environment (Seed's way) or sealed in the package. */
export type SecretsMode = 'env' | 'runtime';

/** `custom.stageSecrets` in serverless.yml. */
export interface PluginSettings {
  /** secrets folder, relative to the service folder; default: found upward (see stages/locate) */
  dir?: string;
  /** false: functions get no secrets (the build env still has them) */
  setEnvs?: boolean;
  /** app recorded in the stage file; default: the service name */
  app?: string;
  /** service-level list: the only secrets this service's functions may receive; auto: what each one's code reads */
  secrets?: string[] | 'auto';
  /** names the service needs in every stage it deploys to (packaging fails without them; check reports them) */
  required?: string[];
  /** names the code reads but copes without: never a failure */
  optional?: string[];
  /** stage-name pattern (`pr-*`) → stage whose file is used when the stage has none */
  fallbacks?: Record<string, string>;
  /** env (default): values in each function's environment; runtime: sealed in the package, opened at cold start */
  mode?: SecretsMode;
  /** runtime store for updates made by running functions: s3://BUCKET/PREFIX, ssm://PATH or secretsmanager://PREFIX */
  store?: string;
  /** runtime mode: ARNs of the customer managed KMS keys the referenced SSM parameters and secrets are encrypted under */
  referenceKeys?: string[];
}

const KEYS = [
  'dir',
  'setEnvs',
  'app',
  'secrets',
  'required',
  'optional',
  'fallbacks',
  'mode',
  'store',
  'referenceKeys',
] as const;
const KEY_LIST = KEYS.join(', ');

/** A KMS key by ARN: what referenceKeys holds (an alias or a bare id would need a grant on more than the key). */
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

/** A stage pattern: a stage name where `*` stands for any run of stage-name characters. */
export const STAGE_PATTERN_PATTERN = /^[A-Za-z0-9*][A-Za-z0-9*_-]*$/;

const NAME_LIST_SCHEMA = {
  type: 'array',
  items: { type: 'string', pattern: KEY_NAME_PATTERN.source },
  uniqueItems: true,
};
/**
 * a list of names, or `auto`: the names the function's own code reads (src/contract/). `auto` comes
 * first: serverless v3 validates with coerceTypes: 'array', which would turn it into ['auto'] otherwise.
 */
const SECRETS_LIST_SCHEMA = { anyOf: [{ const: 'auto' }, NAME_LIST_SCHEMA] };

/** JSON schema of `custom.stageSecrets`, given to the framework's config schema handler. */
export const CUSTOM_SCHEMA: Record<string, unknown> = {
  type: 'object',
  properties: {
    stageSecrets: {
      type: 'object',
      properties: {
        dir: { type: 'string', minLength: 1 },
        setEnvs: { type: 'boolean' },
        app: { type: 'string', minLength: 1 },
        secrets: SECRETS_LIST_SCHEMA,
        required: NAME_LIST_SCHEMA,
        optional: NAME_LIST_SCHEMA,
        fallbacks: { type: 'object', additionalProperties: { type: 'string', pattern: STAGE_NAME_PATTERN.source } },
        mode: { enum: ['env', 'runtime'] },
        store: { type: 'string', pattern: `^(${STORE_BACKENDS.map((b) => b.scheme).join('|')})://` },
        referenceKeys: { type: 'array', items: { type: 'string', pattern: KMS_KEY_ARN.source }, uniqueItems: true },
      },
      additionalProperties: false,
    },
  },
};

/** JSON schema of the function property `secrets: [A, B]`. */
export const FUNCTION_SCHEMA: Record<string, unknown> = {
  properties: {
    secrets: SECRETS_LIST_SCHEMA,
  },
};

function usage(message: string): StageSecretsError {
  return new StageSecretsError('USAGE', message);
}

function nameList(what: string, raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.some((n) => typeof n !== 'string' || !KEY_NAME_PATTERN.test(n))) {
    throw usage(`${what} must be a list of secret names, e.g. [API_KEY].`);
  }
  return raw as string[];
}

/** A `secrets` setting: a list of names, or auto. */
function secretsSetting(what: string, raw: unknown): string[] | 'auto' {
  if (raw === 'auto') return 'auto';
  try {
    return nameList(what, raw);
  } catch {
    throw usage(`${what} must be a list of secret names, e.g. secrets: [API_KEY], or auto (the names its code reads).`);
  }
}

/**
 * Reads `custom.stageSecrets`. The schema handler only warns by default (configValidationMode: warn),
 * so every key and shape the plugin relies on is checked again here and refused with a clear error:
 * a typo such as `setEnv: false` must not leave every secret set.
 */
export function readSettings(custom: Record<string, unknown> | null | undefined): PluginSettings {
  const raw = custom?.stageSecrets;
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw usage(`custom.stageSecrets in serverless.yml must be an object (keys: ${KEY_LIST}).`);
  }
  const given = raw as Record<string, unknown>;
  const unknown = Object.keys(given).filter((k) => !(KEYS as readonly string[]).includes(k));
  if (unknown.length) {
    const hints = unknown.map((k) => {
      const near = closestWord(k, KEYS);
      return near ? `${k} (did you mean ${near}?)` : k;
    });
    throw usage(
      `custom.stageSecrets has unknown ${unknown.length === 1 ? 'key' : 'keys'} ${hints.join(', ')}; the keys are ${KEY_LIST}.`,
    );
  }
  const { dir, setEnvs, app, secrets, required, optional, fallbacks, mode, store, referenceKeys } = given;
  if (dir !== undefined && (typeof dir !== 'string' || dir.length === 0)) {
    throw usage('custom.stageSecrets.dir must be a folder path relative to the service folder.');
  }
  if (setEnvs !== undefined && typeof setEnvs !== 'boolean') {
    throw usage('custom.stageSecrets.setEnvs must be true or false (unquoted).');
  }
  if (app !== undefined && (typeof app !== 'string' || app.length === 0)) {
    throw usage('custom.stageSecrets.app must be the app name recorded in the stage file.');
  }
  if (mode !== undefined && mode !== 'env' && mode !== 'runtime') {
    throw usage(
      'custom.stageSecrets.mode must be env (values in the environment, the default) or runtime (sealed in the package).',
    );
  }
  if (store !== undefined && (typeof store !== 'string' || !isStoreUrl(store))) {
    throw usage(`custom.stageSecrets.store must be a runtime-store location, ${runtimeStoreUrlForms()}.`);
  }
  if (
    referenceKeys !== undefined &&
    (!Array.isArray(referenceKeys) || referenceKeys.some((k) => typeof k !== 'string' || !KMS_KEY_ARN.test(k)))
  ) {
    throw usage(
      'custom.stageSecrets.referenceKeys must be a list of KMS key ARNs (arn:aws:kms:REGION:ACCOUNT:key/ID), the customer managed keys of the referenced parameters and secrets: runtime mode grants kms:Decrypt on exactly these.',
    );
  }
  let fallbackMap: Record<string, string> | undefined;
  if (fallbacks !== undefined) {
    if (typeof fallbacks !== 'object' || fallbacks === null || Array.isArray(fallbacks)) {
      throw usage(`custom.stageSecrets.fallbacks must map stage patterns to stages, e.g. fallbacks: { "pr-*": dev }.`);
    }
    fallbackMap = {};
    for (const [pattern, target] of Object.entries(fallbacks)) {
      if (!STAGE_PATTERN_PATTERN.test(pattern) || !pattern.includes('*')) {
        throw usage(
          `custom.stageSecrets.fallbacks: ${JSON.stringify(pattern)} is not a stage pattern; a pattern needs a *, e.g. "pr-*".`,
        );
      }
      const catchAll = catchAllPatternError(pattern, 'custom.stageSecrets.fallbacks');
      if (catchAll) throw catchAll;
      if (typeof target !== 'string' || !STAGE_NAME_PATTERN.test(target)) {
        throw usage(`custom.stageSecrets.fallbacks: the stage for ${pattern} must be a stage name, e.g. dev.`);
      }
      fallbackMap[pattern] = target;
    }
  }
  return {
    dir,
    setEnvs,
    app,
    secrets:
      secrets === undefined || secrets === null ? undefined : secretsSetting('custom.stageSecrets.secrets', secrets),
    required:
      required === undefined || required === null ? undefined : nameList('custom.stageSecrets.required', required),
    optional:
      optional === undefined || optional === null ? undefined : nameList('custom.stageSecrets.optional', optional),
    fallbacks: fallbackMap,
    mode,
    store,
    ...(referenceKeys !== undefined ? { referenceKeys } : {}),
  } as PluginSettings;
}

/** A function's `secrets` list (or auto), checked; undefined when the function has none. */
export function functionSecretList(functionName: string, raw: unknown): string[] | 'auto' | undefined {
  if (raw === undefined || raw === null) return undefined;
  return secretsSetting(`function ${functionName}: secrets`, raw);
}
