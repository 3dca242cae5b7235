import { StageSecretsError } from '../core/errors.js';
import { runtimeSecrets, type RuntimeSecrets } from '../core/runtime-registry.js';

/**
 * Inside a function deployed in runtime mode, the wrapper has opened the secrets packaged for it: the
 * client reads those (no file, no key, no KMS call) when it is asked for the same stage.
 */
export function packagedSecretsFor(stage: string): RuntimeSecrets | undefined {
  const packaged = runtimeSecrets();
  return packaged && (packaged.deployStage === stage || packaged.stage === stage) ? packaged : undefined;
}

/** updateSecret in a deployed function: its package is read-only, secrets change in the repo. */
export function readOnlyError(packaged: RuntimeSecrets, key: string): StageSecretsError {
  return new StageSecretsError(
    'READ_ONLY',
    `cannot update ${key} here: function ${packaged.function} runs with the secrets sealed into its package (custom.stageSecrets.mode: runtime), which is read-only. ` +
      `Change secrets in the repository with: stage-secrets set --stage ${packaged.stage} ${key}, commit, and deploy again.`,
  );
}
