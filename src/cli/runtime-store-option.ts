import { StageSecretsError } from '../core/errors.js';
import type { OptionSpec } from './command.js';
import type { RuntimeStoreLocation } from '../runtime-store/backend.js';
import { runtimeStoreLocationFrom, runtimeStoreUrlForms, RUNTIME_STORE_ENV } from '../runtime-store/backends.js';

/** `--store s3://BUCKET/PREFIX`, taken by pull and list. */
export const RUNTIME_STORE_OPTION = {
  store: {
    type: 'string',
    value: 'URL',
    help: `runtime store, ${runtimeStoreUrlForms()} (default: $${RUNTIME_STORE_ENV})`,
  },
} as const satisfies OptionSpec;

/** The runtime store from --store, else STAGE_SECRETS_STORE; undefined when neither is set. */
export function runtimeStoreFromOptions(
  values: { store?: string },
  env: NodeJS.ProcessEnv,
): RuntimeStoreLocation | undefined {
  return runtimeStoreLocationFrom(
    values.store === undefined ? undefined : { value: values.store, from: '--store' },
    env,
  );
}

/** The same, for commands that cannot work without a store. */
export function requireRuntimeStore(
  command: string,
  values: { store?: string },
  env: NodeJS.ProcessEnv,
): RuntimeStoreLocation {
  const location = runtimeStoreFromOptions(values, env);
  if (!location) {
    throw new StageSecretsError(
      'USAGE',
      `${command} needs a runtime store: pass --store ${runtimeStoreUrlForms()} or set ${RUNTIME_STORE_ENV}. See: stage-secrets ${command} --help`,
    );
  }
  return location;
}
