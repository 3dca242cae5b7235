import * as path from 'node:path';
import type { StageFile } from '../core/format.js';
import { loadSecrets, type LoadedSecrets } from '../stages/load.js';
import { fallbacksFromEnv, findSecretsDir, locateStage, type StageFallback } from '../stages/locate.js';
import { readLocated } from '../stages/read.js';
import type { StageOptions } from '../stages/options.js';

export interface SourceOptions {
  stage: string;
  /** custom.stageSecrets.app: when given, a stage file of another app is refused */
  app?: string;
  /** custom.stageSecrets.dir, relative to the service folder; default: found upward from it */
  dir?: string;
  /** custom.stageSecrets.fallbacks; default STAGE_SECRETS_FALLBACKS */
  fallbacks?: Record<string, string>;
  serviceDir: string;
  env: NodeJS.ProcessEnv;
}

/** The service's preview-stage rules: its own, else those of the environment. */
export function serviceFallbacks(opts: Pick<SourceOptions, 'fallbacks' | 'env'>): StageFallback[] {
  if (opts.fallbacks && Object.keys(opts.fallbacks).length)
    return Object.entries(opts.fallbacks).map(([pattern, stage]) => ({ pattern, stage }));
  return fallbacksFromEnv(opts.env);
}

/**
 * The stage's secrets for a service, through the one loader every entry point shares. The stage file is
 * found from the service folder upward (the app's shared secrets/); the app is the one it records.
 */
export function loadServiceSecrets(opts: SourceOptions): Promise<LoadedSecrets> {
  return loadSecrets(serviceStageOptions(opts));
}

/** The secrets folder a service uses (explicit, else found upward), whether or not it has this stage's file. */
export function serviceSecretsDir(opts: SourceOptions): string | undefined {
  const found = findSecretsDir(serviceStageOptions(opts));
  return 'dir' in found ? found.dir : undefined;
}

/** The stage file a service uses, read without a key (no value is opened); undefined when it has none. */
export function readServiceStageFile(opts: SourceOptions): StageFile | undefined {
  const stageOpts = serviceStageOptions(opts);
  try {
    return readLocated(locateStage(stageOpts, 'read'), stageOpts);
  } catch {
    return undefined;
  }
}

/** Which stage file a service uses, and the app it must belong to. */
function serviceStageOptions(opts: SourceOptions): StageOptions {
  return {
    stage: opts.stage,
    dir: opts.dir === undefined ? undefined : path.resolve(opts.serviceDir, opts.dir),
    cwd: opts.serviceDir,
    env: opts.env,
    fallbacks: serviceFallbacks(opts),
    app:
      opts.app === undefined
        ? undefined
        : {
            name: opts.app,
            source: 'custom.stageSecrets.app',
            fix: (recorded) =>
              `Set custom.stageSecrets.app: ${recorded} (or remove it) if the service shares that app's secrets, or point custom.stageSecrets.dir at this service's own secrets folder.`,
          },
  };
}

/** Loads each (stage, app, dir, fallbacks) once per process: the variable source and the hooks share one decrypt. */
export class StageSecretsCache {
  private readonly loads = new Map<string, Promise<LoadedSecrets>>();

  get(opts: SourceOptions): Promise<LoadedSecrets> {
    const key = JSON.stringify([
      opts.stage,
      opts.app ?? null,
      opts.dir ?? null,
      serviceFallbacks(opts),
      path.resolve(opts.serviceDir),
    ]);
    let load = this.loads.get(key);
    if (!load) {
      load = loadServiceSecrets(opts);
      this.loads.set(key, load);
    }
    return load;
  }
}
