import { StageSecretsError } from '../core/errors.js';
import { storeLocationFrom, STORE_ENV, type StoreLocation } from '../store/s3-location.js';

/** `--store s3://BUCKET/PREFIX`, taken by pull and list. */
export const STORE_OPTION = { store: { type: 'string' } } as const;

export const STORE_OPTION_HELP = `      --store URL runtime store, s3://BUCKET/PREFIX (default: $${STORE_ENV})`;

/** The runtime store from --store, else STAGE_SECRETS_STORE; undefined when neither is set. */
export function storeFromOptions(values: { store?: string }, env: NodeJS.ProcessEnv): StoreLocation | undefined {
  return storeLocationFrom(values.store === undefined ? undefined : { value: values.store, source: '--store' }, env);
}

/** The same, for commands that cannot work without a store. */
export function requireStore(command: string, values: { store?: string }, env: NodeJS.ProcessEnv): StoreLocation {
  const location = storeFromOptions(values, env);
  if (!location) {
    throw new StageSecretsError(
      'USAGE',
      `${command} needs a runtime store: pass --store s3://BUCKET/PREFIX or set ${STORE_ENV}. See: stage-secrets ${command} --help`,
    );
  }
  return location;
}
