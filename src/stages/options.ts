import type { StoreFs } from '../store/fs-types.js';
import type { StageFallback } from './locate.js';

/** The app a caller expects the stage file to belong to, and how to say so when it does not. */
export interface ExpectedApp {
  name: string;
  /** where the name came from, e.g. "--app", "custom.stageSecrets.app" */
  from: string;
  /** the next step when the file belongs to app `recorded` instead */
  fix?: (recorded: string) => string;
}

/** Which stage file, and the context to open it in: shared by every use case of this layer. */
export interface StageOptions {
  stage: string;
  /**
   * explicit secrets folder, relative to cwd; default STAGE_SECRETS_DIR, else found upward from cwd
   * (the nearest secrets/ holding a stage file, not past the git root: stages/locate.ts)
   */
  dir?: string;
  /** when given, a stage file of another app is refused (init: the app to record) */
  app?: string | ExpectedApp;
  /** where the search starts, relative paths start and messages print paths from; default process.cwd() */
  cwd?: string;
  /** key settings (STAGE_SECRETS_KEY_<S>, AWS_*) and the env of stage-secrets run; default process.env */
  env?: NodeJS.ProcessEnv;
  /** preview stages: a stage without a file matching a pattern reads another stage's file (loads only) */
  fallbacks?: readonly StageFallback[];
  fs?: StoreFs;
}
