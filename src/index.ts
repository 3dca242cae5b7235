/**
 * stage-secrets as a library: open a stage and read its secrets from a program.
 * The Serverless plugin, the SST helper and the client have their own entry points
 * (stage-secrets/plugin, stage-secrets/sst, stage-secrets/client).
 */
export { StageSecretsError, isStageSecretsError, type ErrorCode } from './core/errors.js';
export { RUN_FILE_VAR, RUN_KEYS_VAR, RUN_MAC_VAR, RUN_STAGE_VAR, RUN_TOKEN_VAR } from './core/run-env.js';
export { SECRET_TYPES, toTyped, type SecretType, type SecretValue } from './core/values.js';
export {
  describeSource,
  loadSecrets,
  type LoadedSecrets,
  type LoadOptions,
  type SecretsSource,
} from './stages/load.js';
export { listSecrets, type SecretInfo } from './stages/list.js';
export { locateStage, type LocatedStage, type StageFallback } from './stages/locate.js';
export type { ExpectedApp, StageOptions } from './stages/options.js';
export { verifyStage, type VerifyReport } from './stages/verify.js';
