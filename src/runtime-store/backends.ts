// The runtime-store backends (S3, SSM Parameter Store, Secrets Manager), one line each, chosen by the URL's scheme. The client, the plugin, list
// and pull find a store's backend here (see backend.ts, RuntimeStoreBackend).
import { StageSecretsError } from '../core/errors.js';
import type { RuntimeStoreBackend, RuntimeStoreLocation } from './backend.js';
import { s3Backend } from './s3-store.js';
import { secretsManagerBackend } from './secretsmanager-store.js';
import { ssmBackend } from './ssm-store.js';

// biome-ignore format: one line per backend
export const STORE_BACKENDS: readonly RuntimeStoreBackend[] = [
  s3Backend,
  ssmBackend,
  secretsManagerBackend,
];

/** The env var that names the runtime store when no option does. */
export const RUNTIME_STORE_ENV = 'STAGE_SECRETS_STORE';

/** "a, b or c" */
function orList(items: readonly string[]): string {
  return items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

/** The URL forms of every backend, for help and messages: "s3://BUCKET/PREFIX, ssm://PATH or ...". */
export function runtimeStoreUrlForms(): string {
  return orList(STORE_BACKENDS.map((b) => b.urlForm));
}

/** The backend of a location (or of a scheme). */
export function runtimeStoreBackendOf(location: Pick<RuntimeStoreLocation, 'scheme'>): RuntimeStoreBackend {
  const backend = STORE_BACKENDS.find((b) => b.scheme === location.scheme);
  if (!backend) throw new StageSecretsError('USAGE', `no runtime-store backend for ${location.scheme}:// URLs.`);
  return backend;
}

/** Parses a store URL with the backend of its scheme; `from` names where the text came from in errors. */
export function parseRuntimeStoreUrl(text: string, from: string): RuntimeStoreLocation {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text.trim())?.[1]?.toLowerCase();
  const backend = STORE_BACKENDS.find((b) => b.scheme === scheme);
  if (!backend) {
    const schemes = orList(STORE_BACKENDS.map((b) => `${b.scheme}://`));
    throw new StageSecretsError(
      'USAGE',
      `the runtime store is not an ${schemes} URL; give it as ${runtimeStoreUrlForms()} (${from}).`,
    );
  }
  return backend.parse(text, from);
}

/** The store to use: an explicit setting (option, flag, plugin setting) first, else STAGE_SECRETS_STORE. */
export function runtimeStoreLocationFrom(
  setting: { value: string; from: string } | undefined,
  env: NodeJS.ProcessEnv,
): RuntimeStoreLocation | undefined {
  if (setting !== undefined && setting.value.trim() !== '') return parseRuntimeStoreUrl(setting.value, setting.from);
  const fromEnv = env[RUNTIME_STORE_ENV];
  if (fromEnv === undefined || fromEnv.trim() === '') return undefined;
  return parseRuntimeStoreUrl(fromEnv, RUNTIME_STORE_ENV);
}
