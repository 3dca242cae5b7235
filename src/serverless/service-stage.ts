import * as path from 'node:path';
import { loadSecrets, type LoadedSecrets } from '../stages/load.js';
import { fallbacksFromEnv, type StageFallback } from '../stages/locate.js';
import type { StageOptions } from '../stages/options.js';
import { Stage } from '../stages/stage.js';
import { StageSecretsError, type ErrorCode } from '../core/errors.js';

/** Which stage a service deploys with, as its serverless.yml and the environment say. */
export interface ServiceStageOptions {
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
export function serviceFallbacks(opts: Pick<ServiceStageOptions, 'fallbacks' | 'env'>): StageFallback[] {
  if (opts.fallbacks && Object.keys(opts.fallbacks).length)
    return Object.entries(opts.fallbacks).map(([pattern, stage]) => ({ pattern, stage }));
  return fallbacksFromEnv(opts.env);
}

/** Which stage file a service uses, and the app it must belong to. */
function serviceStageOptions(opts: ServiceStageOptions): StageOptions {
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
            from: 'custom.stageSecrets.app',
            fix: (recorded) =>
              `Set custom.stageSecrets.app: ${recorded} (or remove it) if the service shares that app's secrets, or point custom.stageSecrets.dir at this service's own secrets folder.`,
          },
  };
}

/** A service's stage, and its secrets once they were asked for. */
interface CacheEntry {
  stage: Stage;
  load?: Promise<LoadedSecrets>;
  /** loaded with references left unresolved (runtime mode resolves them at cold start) */
  loadKept?: Promise<LoadedSecrets>;
}

/**
 * Each (stage, app, dir, fallbacks, service folder) found once and loaded once per process: the variable
 * source, the hooks and the package check share one Stage and one decrypt. The secrets are loaded only
 * when asked for: an opted-out service finds its stage (to keep the folder out of its packages) but
 * never opens it.
 */
export class StageSecretsCache {
  private readonly stages = new Map<string, CacheEntry>();

  private entry(opts: ServiceStageOptions): CacheEntry {
    const key = JSON.stringify([
      opts.stage,
      opts.app ?? null,
      opts.dir ?? null,
      serviceFallbacks(opts),
      path.resolve(opts.serviceDir),
    ]);
    let entry = this.stages.get(key);
    if (!entry) {
      entry = { stage: Stage.find(serviceStageOptions(opts), 'read') };
      this.stages.set(key, entry);
    }
    return entry;
  }

  /** The service's stage, found (not read, not opened). */
  stage(opts: ServiceStageOptions): Stage {
    return this.entry(opts).stage;
  }

  /**
   * The stage's secrets for a service, through the one loader every entry point shares. References are
   * resolved with the build's AWS credentials (env mode, at package time), or with `keep` left as sealed
   * targets (runtime mode: the function resolves them at cold start).
   */
  get(opts: ServiceStageOptions, references: 'resolve' | 'keep' = 'resolve'): Promise<LoadedSecrets> {
    const entry = this.entry(opts);
    const load = () =>
      loadSecrets({ ...entry.stage.options, references }, entry.stage).catch((err: unknown) => {
        throw withLocalDevelopmentHint(err);
      });
    if (references === 'keep') {
      entry.loadKept ??= load();
      return entry.loadKept;
    }
    entry.load ??= load();
    return entry.load;
  }
}

/** Failures of key access: no identity here, or the key service refused or could not be reached. */
const NO_KEY_ACCESS: readonly ErrorCode[] = ['KEY_MISSING', 'ACCESS_DENIED', 'KEY_UNAVAILABLE'];

/**
 * A key-access failure with how to work without the key on a developer's machine (invoke local,
 * serverless-offline): a teammate who holds no key of the stage is told the opt-out and the doc.
 */
function withLocalDevelopmentHint(err: unknown): unknown {
  if (!(err instanceof StageSecretsError) || !NO_KEY_ACCESS.includes(err.code)) return err;
  return new StageSecretsError(
    err.code,
    `${err.message}\nWorking on your machine without this stage's key (serverless invoke local, ` +
      `serverless-offline)? Run with SLS_SET_SECRET_ENVS=false: functions get serverless.yml's values and ` +
      `whatever you pass (invoke local -e NAME=VALUE), no secret. Or ask a key holder for access to a dev ` +
      `stage (rewrap --age with your age key). See docs/local-development.md in the stage-secrets package.`,
    { cause: err },
  );
}
