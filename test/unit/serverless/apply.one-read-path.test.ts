/**
 * The plugin's load goes through one Stage (src/stages/stage.ts): the stage file is found once (one
 * entry into the locate step, src/stages/locate.ts), read once and opened at most once, however many
 * parts of the plugin ask (the ${secret:NAME} variable source, the hooks, the package check). The locate
 * step and the opener are the real ones, wrapped to count the calls made into them from outside.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { applyStageSecrets } from '../../../src/serverless/apply.js';
import { StageSecretsCache } from '../../../src/serverless/service-stage.js';
import type { ServiceConfig, VariableResolverInput } from '../../../src/serverless/types.js';
import { resolveSecretVariable } from '../../../src/serverless/variable-source.js';
import * as locate from '../../../src/stages/locate.js';
import * as openFile from '../../../src/stages/open-file.js';
import { StageStore } from '../../../src/store/stage-store.js';
import { provenRunEnv } from '../../support/run-env.js';
import { makeTempRepo, seedDevStage, type TempRepo } from '../../support/temp-repo.js';

vi.mock('../../../src/stages/locate.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/stages/locate.js')>();
  return {
    ...real,
    findStage: vi.fn(real.findStage),
    locateStage: vi.fn(real.locateStage),
    findSecretsDir: vi.fn(real.findSecretsDir),
  };
});
vi.mock('../../../src/stages/open-file.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/stages/open-file.js')>();
  return { ...real, openStageFile: vi.fn(real.openStageFile) };
});

/** Calls into the locate step from outside it (its own inner calls do not go through the mock). */
function locateEntries(): number {
  return [locate.findStage, locate.locateStage, locate.findSecretsDir]
    .map((fn) => vi.mocked(fn).mock.calls.length)
    .reduce((a, b) => a + b, 0);
}

let repo: TempRepo;
let root: string;
let serviceDir: string;
let env: NodeJS.ProcessEnv;
let reads: ReturnType<typeof vi.spyOn>;

beforeAll(async () => {
  repo = makeTempRepo('one-read', path.join('services', 'api'));
  ({ root, serviceDir, env } = repo);
  // the app's secrets/ at the repository root, found upward from the service folder
  await seedDevStage('shop', root, env);
});

afterAll(() => {
  openFile.forgetUnwrappedKeys();
  repo.cleanup();
});

beforeEach(() => {
  openFile.forgetUnwrappedKeys();
  vi.clearAllMocks();
  reads?.mockRestore();
  reads = vi.spyOn(StageStore.prototype, 'read');
});

function service(custom?: Record<string, unknown>): ServiceConfig {
  return {
    service: 'api',
    provider: { environment: { PLAIN: 'p' } },
    functions: { handler: { environment: { OWN: 'o' } }, worker: {} },
    custom,
  };
}

const quiet = { notice: () => {}, warn: () => {} };

/** What the framework's resolver hands the variable source for ${secret:NAME} of the dev stage. */
function variable(name: string, custom?: Record<string, unknown>): VariableResolverInput {
  return {
    address: name,
    options: { stage: 'dev' },
    serviceDir,
    resolveVariable: async () => 'dev',
    resolveConfigurationProperty: async () => custom?.stageSecrets,
  } as unknown as VariableResolverInput;
}

describe("the plugin's load enters the locate step once", () => {
  it('a variable source and the hooks of one deploy: found once, read once, opened once', async () => {
    const cache = new StageSecretsCache();
    const input = { stage: 'dev', serviceDir, env, cache, log: quiet };
    await expect(resolveSecretVariable(variable('API_KEY'), { cache, env, serviceDir })).resolves.toEqual({
      value: 'file-api',
    });
    const svc = service();
    const summary = await applyStageSecrets({ ...input, service: svc });
    expect(svc.provider.environment).toEqual({ API_KEY: 'file-api', PLAIN: 'p', RETRIES: '3' });
    expect(summary.guard.secretsDir).toBe(path.join(root, 'secrets'));
    expect(locateEntries()).toBe(1);
    expect(reads).toHaveBeenCalledTimes(1);
    expect(vi.mocked(openFile.openStageFile)).toHaveBeenCalledTimes(1);
  });

  it('opted out (sls_set_secret_envs: false): found once, read once without a key, never opened', async () => {
    fs.writeFileSync(path.join(serviceDir, 'seed.yml'), 'sls_set_secret_envs: false\n');
    try {
      const svc = service();
      const summary = await applyStageSecrets({
        service: svc,
        stage: 'dev',
        serviceDir,
        env,
        cache: new StageSecretsCache(),
        log: quiet,
      });
      expect(summary.setEnvs).toBe(false);
      expect(svc.provider.environment).toEqual({ PLAIN: 'p' });
      // the package check still knows the stage's entries and folder
      expect(Object.keys(summary.guard.stageFile?.secrets ?? {}).sort()).toEqual(['API_KEY', 'RETRIES']);
      expect(summary.guard.secretsDir).toBe(path.join(root, 'secrets'));
      expect(locateEntries()).toBe(1);
      expect(reads).toHaveBeenCalledTimes(1);
      expect(vi.mocked(openFile.openStageFile)).not.toHaveBeenCalled();
    } finally {
      fs.rmSync(path.join(serviceDir, 'seed.yml'));
    }
  });

  it("under stage-secrets run: run's env is checked against the one stage found; nothing is opened", async () => {
    const runner = provenRunEnv(env, 'dev', path.join(root, 'secrets', 'dev.json'), {
      API_KEY: 'runner-api',
      RETRIES: '7',
    });
    try {
      const svc = service();
      await applyStageSecrets({
        service: svc,
        stage: 'dev',
        serviceDir,
        env: runner.env,
        cache: new StageSecretsCache(),
        log: quiet,
      });
      expect(svc.provider.environment).toEqual({ API_KEY: 'runner-api', PLAIN: 'p', RETRIES: '7' });
      expect(locateEntries()).toBe(1);
      expect(reads).toHaveBeenCalledTimes(1);
      expect(vi.mocked(openFile.openStageFile)).not.toHaveBeenCalled();
    } finally {
      runner.remove();
    }
  });
});
