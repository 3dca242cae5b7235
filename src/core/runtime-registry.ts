import type { SecretEntry, StageFile } from './format.js';
import type { SecretValue } from './values.js';

/**
 * Where the Lambda wrapper of runtime mode leaves the secrets it opened, for the SecretClient. A
 * process-wide symbol, so a client bundled into another file (each esbuild bundle has its own copy of
 * this module) finds the same registry.
 */
export const RUNTIME_REGISTRY_KEY: unique symbol = Symbol.for('stage-secrets.runtime') as never;

export interface RuntimeSecrets {
  app: string;
  /** the stage of the stage file the entries were sealed in */
  stage: string;
  /** the stage the service was deployed as (differs from `stage` when a fallback stage file was used) */
  deployStage: string;
  /** the serverless.yml function these secrets were packaged for */
  function: string;
  /** name → typed value: what the function may receive */
  values: ReadonlyMap<string, SecretValue>;
  /**
   * The packaged entries as a stage file (sealed values, times, approval tags; no key in plain): what a
   * runtime store's entries are compared with and updates are sealed for. Absent in older packages.
   */
  file?: StageFile;
  /**
   * Opens a newer sealed entry (from the runtime store) of a name this function received, with the stage
   * key the wrapper already unwrapped: no second KMS call. It opens nothing else: another name is
   * NOT_FOUND, an entry sealed for another name, stage or app is INTEGRITY. Absent in older packages.
   */
  openEntry?(name: string, entry: SecretEntry): Promise<SecretValue>;
}

type WithRegistry = typeof globalThis & { [RUNTIME_REGISTRY_KEY]?: RuntimeSecrets };

/** The secrets the runtime wrapper opened in this process; undefined outside a runtime-mode function. */
export function runtimeSecrets(): RuntimeSecrets | undefined {
  return (globalThis as WithRegistry)[RUNTIME_REGISTRY_KEY];
}

export function publishRuntimeSecrets(secrets: RuntimeSecrets): void {
  Object.defineProperty(globalThis, RUNTIME_REGISTRY_KEY, {
    value: Object.freeze(secrets),
    configurable: true,
    enumerable: false,
    writable: false,
  });
}
