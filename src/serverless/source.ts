import * as path from 'node:path';
import { RUNNER_KEYS_VAR, RUNNER_STAGE_VAR, secretsFromRunnerEnv } from '../core/runner-env.js';
import { StageSecretsError } from '../core/errors.js';
import { openStageFile, readStage, type StageOptions } from '../core/stage.js';

export interface SourceOptions {
  stage: string;
  /** app the stage file must belong to: custom.stageSecrets.app, else the service name */
  app: string;
  /** custom.stageSecrets.dir, relative to the service folder */
  dir?: string;
  serviceDir: string;
  env: NodeJS.ProcessEnv;
}

export interface StageSecrets {
  stage: string;
  /** name → the text that goes into env */
  values: Map<string, string>;
  /** where the values came from, for the log (never a value) */
  origin: string;
  /** why the runner env was not used although present, for the log */
  note?: string;
}

/**
 * The stage's secrets: from the env `stage-secrets run` prepared when it ran for this stage, else from
 * the stage file, opened here with whatever identity this machine holds (local key or KMS).
 */
export async function loadStageSecrets(opts: SourceOptions): Promise<StageSecrets> {
  const fromRunner = secretsFromRunnerEnv(opts.stage, opts.env);
  if (fromRunner) {
    return { stage: opts.stage, values: new Map(Object.entries(fromRunner)), origin: `the environment of stage-secrets run (${RUNNER_KEYS_VAR})` };
  }
  let note: string | undefined;
  if (opts.env[RUNNER_KEYS_VAR] !== undefined) {
    const runnerStage = opts.env[RUNNER_STAGE_VAR];
    note = `the environment holds secrets of stage ${runnerStage ?? '(unknown)'}, but this is stage ${opts.stage}; opening the stage file instead`;
  }
  const stageOptions: StageOptions = {
    stage: opts.stage,
    dir: opts.dir === undefined ? undefined : path.resolve(opts.serviceDir, opts.dir),
    cwd: opts.serviceDir,
    env: opts.env,
  };
  const file = readStage(stageOptions);
  const recorded = file.app;
  if (recorded !== opts.app) {
    throw new StageSecretsError(
      'APP_MISMATCH',
      `the stage file of stage ${opts.stage} belongs to app ${JSON.stringify(recorded)}, but this service is app ${JSON.stringify(opts.app)} (service name, or custom.stageSecrets.app). Set custom.stageSecrets.app: ${recorded} if the service shares that app's secrets, or point custom.stageSecrets.dir at this service's own secrets folder.`,
    );
  }
  const opened = await openStageFile(file, opts.env);
  const values = new Map<string, string>();
  for (const [name, value] of opened.decryptAll()) values.set(name, value.text);
  return { stage: opts.stage, values, origin: `the stage file (identity ${opened.identity.id})`, note };
}

/** Loads each (stage, app, dir) once per process: the variable source and the hooks share one decrypt. */
export class StageSecretsCache {
  private readonly loads = new Map<string, Promise<StageSecrets>>();

  get(opts: SourceOptions): Promise<StageSecrets> {
    const key = JSON.stringify([opts.stage, opts.app, opts.dir ?? null, path.resolve(opts.serviceDir)]);
    let load = this.loads.get(key);
    if (!load) {
      load = loadStageSecrets(opts);
      this.loads.set(key, load);
    }
    return load;
  }
}
