/**
 * Serverless Framework plugin (v3, osls, and v4's calling conventions): `plugins: [stage-secrets/plugin]`.
 * Only the glue lives here; the work is in src/serverless/.
 */
import { isStageSecretsError } from '../src/core/errors.js';
import { APP_PROBE_VAR } from '../src/core/run-env.js';
import { log as currentLogger, setLogger, type Logger } from '../src/core/log.js';
import { applyStageSecrets } from '../src/serverless/apply.js';
import { CUSTOM_SCHEMA, FUNCTION_SCHEMA } from '../src/serverless/config.js';
import { frameworkFeatures, type FrameworkFeatures } from '../src/serverless/framework.js';
import { checkPackages, type PackageGuard } from '../src/serverless/package-guard.js';
import { removeRuntimeFiles } from '../src/serverless/runtime-mode.js';
import { StageSecretsCache } from '../src/serverless/service-stage.js';
import type { PluginLog, ServerlessLike, VariableResolverInput } from '../src/serverless/types.js';
import { resolveSecretVariable, type VariableResult } from '../src/serverless/variable-source.js';

type Hook = () => Promise<void>;

export default class StageSecretsPlugin {
  readonly hooks: Record<string, Hook>;
  readonly configurationVariablesSources: Record<
    string,
    { resolve(input: VariableResolverInput): Promise<VariableResult> }
  >;
  private readonly serverless: ServerlessLike;
  private readonly logger: Logger;
  private readonly cache = new StageSecretsCache();
  private applied: Promise<void> | undefined;
  private guard: PackageGuard = {};

  constructor(serverless: ServerlessLike, cliOptions: Record<string, unknown>, utils?: { log?: PluginLog }) {
    this.serverless = serverless;
    const log = utils?.log;
    // One logger for the plugin's own lines and for the layers below (stale locks, key file modes).
    setLogger(log && { warn: (m) => log.warning(`stage-secrets: ${m}`), notice: (m) => log.notice(m) });
    this.logger = currentLogger();
    serverless.configSchemaHandler?.defineCustomProperties(CUSTOM_SCHEMA);
    serverless.configSchemaHandler?.defineFunctionProperties('aws', FUNCTION_SCHEMA);

    const apply: Hook = () => this.applyOnce();
    // runtime mode writes per-function files into the service folder; they go once the zips exist
    const cleanUp: Hook = async () => removeRuntimeFiles(this.serviceDir());
    // every packager has written and moved its zips by then (serverless-esbuild in its own after: hooks)
    const check =
      (only?: string[]): Hook =>
      async () => {
        await this.withFrameworkErrors(async () =>
          checkPackages(this.serverless.service, this.serviceDir(), this.guard, only),
        );
      };
    const deployed = typeof cliOptions?.function === 'string' ? [cliOptions.function] : undefined;
    this.hooks = {
      // package and deploy (runtime mode: early enough for serverless-esbuild, which reads the handlers
      // at before:package:createDeploymentArtifacts, whatever the order of plugins)
      'before:package:initialize': apply,
      'after:package:createDeploymentArtifacts': cleanUp,
      'after:deploy:function:packageFunction': cleanUp,
      // before the template and state are written, and before deploy uploads anything
      'before:package:finalize': check(),
      'before:deploy:function:deploy': check(deployed),
      // deploy function -f X: before its first AWS call, so a refusal happens before anything remote
      'before:deploy:function:initialize': apply,
      // invoke local: its own before:invoke:local:loadEnvVars hook runs ahead of any plugin's, so go earlier
      initialize: async () => {
        if (serverless.processedInput?.commands?.join(' ') === 'invoke local') await apply();
      },
    };
    this.configurationVariablesSources = {
      secret: {
        resolve: (input) => {
          // init only wants the service name: print runs before the stage has a file, and prints nothing secret
          if (process.env[APP_PROBE_VAR] === '1' && serverless.processedInput?.commands?.join(' ') === 'print') {
            return Promise.resolve({ value: `(secret ${input.address ?? ''} not resolved for stage-secrets init)` });
          }
          return this.withFrameworkErrors(() =>
            resolveSecretVariable(input, { cache: this.cache, env: process.env, serviceDir: this.serviceDir() }),
          );
        },
      },
    };
  }

  private serviceDir(): string {
    return (
      this.serverless.serviceDir ??
      this.serverless.config?.serviceDir ??
      this.serverless.config?.servicePath ??
      process.cwd()
    );
  }

  /** What this framework does differently (v4: the config file's name without extension, its esbuild, meta.json). */
  private features(): FrameworkFeatures {
    return frameworkFeatures(this.serverless, this.serviceDir());
  }

  private applyOnce(): Promise<void> {
    this.applied ??= this.withFrameworkErrors(async () => {
      const { configFile, builtInEsbuild, savesMeta } = this.features();
      ({ guard: this.guard } = await applyStageSecrets({
        service: this.serverless.service,
        stage: this.serverless.getProvider('aws').getStage(),
        serviceDir: this.serviceDir(),
        env: process.env,
        cache: this.cache,
        log: this.logger,
        configFile,
        framework: { builtInEsbuild, savesMeta },
        localInvoke: this.serverless.processedInput?.commands?.join(' ') === 'invoke local',
      }));
    });
    return this.applied;
  }

  /** Our errors become the framework's user errors: shown as a plain message, no stack, non-zero exit. */
  private async withFrameworkErrors<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (isStageSecretsError(err))
        throw new this.serverless.classes.Error(`stage-secrets: ${err.message}`, `STAGE_SECRETS_${err.code}`);
      throw err;
    }
  }
}
