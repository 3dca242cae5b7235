import { StageSecretsError } from '../core/errors.js';
import { KEY_NAME_PATTERN } from '../core/names.js';

/** `custom.stageSecrets` in serverless.yml. */
export interface PluginSettings {
  /** secrets folder, relative to the service folder */
  dir?: string;
  /** false: functions get no secrets (the build env still has them) */
  setEnvs?: boolean;
  /** app recorded in the stage file; default: the service name */
  app?: string;
}

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
      },
      additionalProperties: false,
    },
  },
};

/** JSON schema of the function property `secrets: [A, B]`. */
export const FUNCTION_SCHEMA: Record<string, unknown> = {
  properties: {
    secrets: {
      type: 'array',
      items: { type: 'string', pattern: KEY_NAME_PATTERN.source },
      uniqueItems: true,
    },
  },
};

/**
 * Reads `custom.stageSecrets`. The schema handler only warns by default (configValidationMode: warn),
 * so the shapes the plugin relies on are checked again here, and refused with a clear error.
 */
export function readSettings(custom: Record<string, unknown> | null | undefined): PluginSettings {
  const raw = custom?.stageSecrets;
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new StageSecretsError('USAGE', 'custom.stageSecrets in serverless.yml must be an object (dir, setEnvs, app).');
  }
  const { dir, setEnvs, app } = raw as Record<string, unknown>;
  if (dir !== undefined && (typeof dir !== 'string' || dir.length === 0)) {
    throw new StageSecretsError('USAGE', 'custom.stageSecrets.dir must be a folder path relative to the service folder.');
  }
  if (setEnvs !== undefined && typeof setEnvs !== 'boolean') {
    throw new StageSecretsError('USAGE', 'custom.stageSecrets.setEnvs must be true or false (unquoted).');
  }
  if (app !== undefined && (typeof app !== 'string' || app.length === 0)) {
    throw new StageSecretsError('USAGE', 'custom.stageSecrets.app must be the app name recorded in the stage file.');
  }
  return { dir, setEnvs, app };
}

/** A function's `secrets` list, checked; undefined when the function has none. */
export function functionSecretList(functionName: string, raw: unknown): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw) || raw.some((n) => typeof n !== 'string')) {
    throw new StageSecretsError('USAGE', `function ${functionName}: secrets must be a list of secret names, e.g. secrets: [API_KEY].`);
  }
  return raw as string[];
}
