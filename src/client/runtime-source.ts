import { requireFromTaskRoot } from '../core/aws-sdk.js';
import { StageSecretsError } from '../core/errors.js';
import type { StageFile } from '../core/format.js';
import { runtimeSecrets, type RuntimeSecrets } from '../core/runtime-registry.js';
import { useLambdaStoreSdks } from '../stages/runtime-store.js';

/**
 * Inside a function deployed in runtime mode, the wrapper has opened the secrets packaged for it: the
 * client reads those (no file, no key, no KMS call) when it is asked for the same stage.
 */
export function packagedSecretsFor(stage: string): RuntimeSecrets | undefined {
  const packaged = runtimeSecrets();
  return packaged && (packaged.deployStage === stage || packaged.stage === stage) ? packaged : undefined;
}

/** updateSecret in a deployed function without a runtime store: its package is read-only, secrets change in the repo. */
export function readOnlyError(packaged: RuntimeSecrets, key: string): StageSecretsError {
  return new StageSecretsError(
    'READ_ONLY',
    `cannot update ${key} here: function ${packaged.function} runs with the secrets sealed into its package (custom.stageSecrets.mode: runtime), which is read-only. ` +
      `Change secrets in the repository with: npx --no-install stage-secrets set --stage ${packaged.stage} ${key}, commit, and deploy again; ` +
      `or, for values the function itself changes, give it a runtime store (custom.stageSecrets.store: s3://BUCKET/PREFIX).`,
  );
}

/** Whether the function was deployed as a preview stage on a fallback stage's file (its bundle records both stages). */
export function isPreviewPackage(packaged: RuntimeSecrets): boolean {
  return packaged.deployStage !== packaged.stage;
}

/**
 * updateSecret in a preview deployment on a fallback stage's file: refused whatever its role may do, so
 * unmerged code never changes the values the fallback stage's own functions read (docs/preview-stages.md).
 */
export function previewReadOnlyError(packaged: RuntimeSecrets, key: string): StageSecretsError {
  const { deployStage: preview, stage } = packaged;
  return new StageSecretsError(
    'READ_ONLY',
    `cannot update ${key} here: stage ${preview} uses stage ${stage}'s secrets through a preview fallback and may read but not update them (function ${packaged.function}), so a preview deployment cannot change the values stage ${stage}'s own functions read. ` +
      `Give stage ${preview} its own stage file (npx --no-install stage-secrets init --stage ${preview}, set its secrets, commit and deploy again), or update ${key} from a deployment of stage ${stage}.`,
  );
}

/** What a runtime store needs of the packaged secrets: the sealed copy and the opener of the wrapper. */
export interface PackagedStage {
  packaged: RuntimeSecrets;
  file: StageFile;
  openEntry: NonNullable<RuntimeSecrets['openEntry']>;
}

/** The packaged stage for a runtime store; a package made before the store existed is refused clearly. */
export function packagedStage(packaged: RuntimeSecrets): PackagedStage {
  if (!packaged.file || !packaged.openEntry) {
    throw new StageSecretsError(
      'USAGE',
      `function ${packaged.function} was packaged by a stage-secrets release without the runtime store: package and deploy it again to use the store.`,
    );
  }
  const open = packaged.openEntry.bind(packaged);
  return {
    packaged,
    file: packaged.file,
    openEntry: (name, entry) => open(name, entry).catch((err: unknown) => Promise.reject(ownError(err))),
  };
}

/**
 * The wrapper's runtime is a bundle of its own, so its errors are another copy of StageSecretsError:
 * turn one into this copy's, so callers (and SecretError) see its code.
 */
function ownError(err: unknown): unknown {
  if (err instanceof StageSecretsError || !(err instanceof Error) || err.name !== 'StageSecretsError') return err;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string'
    ? new StageSecretsError(code as StageSecretsError['code'], err.message, { cause: err })
    : err;
}

/** A name the function did not receive: its package holds no sealed entry (and its role no approval) for it. */
export function notReceivedError(packaged: RuntimeSecrets, key: string): StageSecretsError {
  return new StageSecretsError(
    'NOT_FOUND',
    `cannot update ${key}: function ${packaged.function} did not receive it, and a runtime-mode function updates only the secrets packaged for it. ` +
      `Add ${key} to the function's secrets list in serverless.yml (and custom.stageSecrets.secrets, if the service has one), or update it from a function that receives it.`,
  );
}

let lambdaLoaderSet = false;

/**
 * Inside Lambda the S3 SDK comes from the runtime (NODE_PATH, /var/runtime/node_modules), which an ES
 * module import() does not search: resolve it like a require() from the task root, as the wrapper does
 * for the KMS SDK. A bundler does not follow this require, so the SDK is never bundled by accident.
 */
export function useLambdaS3Sdk(): void {
  if (lambdaLoaderSet) return;
  lambdaLoaderSet = true;
  useLambdaStoreSdks((pkg) => requireFromTaskRoot(pkg, process.env, 'IO', ' for the runtime store'));
}
