import type { StoreFs } from '../store/fs-types.js';

/** The app a caller expects the stage file to belong to, and how to say so when it does not. */
export interface ExpectedApp {
  name: string;
  /** where the name came from, e.g. "--app", "service in serverless.yml" */
  source: string;
  /** the next step when the file belongs to app `recorded` instead */
  fix?: (recorded: string) => string;
}

/** Which stage file, and the context to open it in: shared by every use case of this layer. */
export interface StageOptions {
  stage: string;
  /** secrets folder; default STAGE_SECRETS_DIR, else "secrets"; relative to cwd */
  dir?: string;
  /** when given, a stage file of another app is refused */
  app?: string | ExpectedApp;
  /** where relative paths start and messages print paths from; default process.cwd() */
  cwd?: string;
  /** key settings (STAGE_SECRETS_KEY_<S>, AWS_*) and the env of stage-secrets run; default process.env */
  env?: NodeJS.ProcessEnv;
  fs?: StoreFs;
}
