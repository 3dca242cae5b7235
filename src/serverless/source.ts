import * as path from 'node:path';
import { loadSecrets, type LoadedSecrets } from '../stages/load.js';
import type { StageOptions } from '../stages/options.js';

export interface SourceOptions {
  stage: string;
  /** app the stage file must belong to: custom.stageSecrets.app, else the service name */
  app: string;
  /** custom.stageSecrets.dir, relative to the service folder */
  dir?: string;
  serviceDir: string;
  env: NodeJS.ProcessEnv;
}

/** The stage's secrets for a service, through the one loader every entry point shares. */
export function loadServiceSecrets(opts: SourceOptions): Promise<LoadedSecrets> {
  return loadSecrets(serviceStageOptions(opts));
}

/** Which stage file a service uses, and the app it must belong to (runtime mode reads its sealed entries). */
export function serviceStageOptions(opts: SourceOptions): StageOptions {
  return {
    stage: opts.stage,
    dir: opts.dir === undefined ? undefined : path.resolve(opts.serviceDir, opts.dir),
    cwd: opts.serviceDir,
    env: opts.env,
    app: {
      name: opts.app,
      source: 'the service name, or custom.stageSecrets.app',
      fix: (recorded) =>
        `Set custom.stageSecrets.app: ${recorded} if the service shares that app's secrets, or point custom.stageSecrets.dir at this service's own secrets folder.`,
    },
  };
}

/** Loads each (stage, app, dir) once per process: the variable source and the hooks share one decrypt. */
export class StageSecretsCache {
  private readonly loads = new Map<string, Promise<LoadedSecrets>>();

  get(opts: SourceOptions): Promise<LoadedSecrets> {
    const key = JSON.stringify([opts.stage, opts.app, opts.dir ?? null, path.resolve(opts.serviceDir)]);
    let load = this.loads.get(key);
    if (!load) {
      load = loadServiceSecrets(opts);
      this.loads.set(key, load);
    }
    return load;
  }
}
