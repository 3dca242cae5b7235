import { StageSecretsError } from '../core/errors.js';
import type { OptionSpec } from './command.js';
import type { StoreLocation } from '../runtime-store/backend.js';
import { storeLocationFrom, storeUrlForms, STORE_ENV } from '../runtime-store/backends.js';

/** `--store s3://BUCKET/PREFIX`, taken by pull and list. */
export const STORE_OPTION = {
  store: { type: 'string', value: 'URL', help: `runtime store, ${storeUrlForms()} (default: $${STORE_ENV})` },
} as const satisfies OptionSpec;

/** The runtime store from --store, else STAGE_SECRETS_STORE; undefined when neither is set. */
export function storeFromOptions(values: { store?: string }, env: NodeJS.ProcessEnv): StoreLocation | undefined {
  return storeLocationFrom(values.store === undefined ? undefined : { value: values.store, from: '--store' }, env);
}

/** The same, for commands that cannot work without a store. */
export function requireStore(command: string, values: { store?: string }, env: NodeJS.ProcessEnv): StoreLocation {
  const location = storeFromOptions(values, env);
  if (!location) {
    throw new StageSecretsError(
      'USAGE',
      `${command} needs a runtime store: pass --store ${storeUrlForms()} or set ${STORE_ENV}. See: stage-secrets ${command} --help`,
    );
  }
  return location;
}
