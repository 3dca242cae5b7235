/**
 * Where the plugin gets secrets, and the whole apply step on a service object as the framework holds
 * it: real stage files in a temp folder, opened with a real local key.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_DIGEST_ENV, deployDigest } from '../../../src/core/deploy-digest.js';
import type { SecretEntry, StageFile } from '../../../src/core/format.js';
import { initStage } from '../../../src/stages/init.js';
import { forgetUnwrappedKeys } from '../../../src/stages/open-file.js';
import { setSecrets } from '../../../src/stages/secrets.js';
import { applyStageSecrets } from '../../../src/serverless/apply.js';
import { StageSecretsCache, type ServiceStageOptions } from '../../../src/serverless/service-stage.js';
import { describeSource, type LoadedSecrets } from '../../../src/stages/load.js';
import type { ServiceConfig } from '../../../src/serverless/types.js';
import { resolveSecretVariable } from '../../../src/serverless/variable-source.js';
import { provenRunEnv } from '../../support/run-env.js';
import { makeTempRepo, seedDevStage, type TempRepo } from '../../support/temp-repo.js';

const loadServiceSecrets = (opts: ServiceStageOptions) => new StageSecretsCache().get(opts);

let repo: TempRepo;
let root: string;
let serviceDir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  repo = makeTempRepo('plugin', 'svc');
  ({ root, serviceDir, env } = repo);
  await seedDevStage('svc-app', serviceDir, env);
  const shared = { stage: 'dev', app: 'svc-app', cwd: serviceDir, env, dir: path.join(root, 'shared-secrets') };
  await initStage(shared, [{ type: 'local' }]);
  await setSecrets(shared, [{ name: 'SHARED', type: 'json', value: '{ "a": 1 }' }]);
});

function texts(loaded: LoadedSecrets): Record<string, string> {
  return Object.fromEntries([...loaded.values].map(([name, value]) => [name, value.text]));
}

afterAll(() => {
  forgetUnwrappedKeys();
  repo.cleanup();
});

describe('StageSecretsCache.get (loadSecrets for a service)', () => {
  it('opens the stage file when there is no runner env; values as env text', async () => {
    const loaded = await loadServiceSecrets({ stage: 'dev', app: 'svc-app', serviceDir, env });
    expect(texts(loaded)).toEqual({ API_KEY: 'file-api', RETRIES: '3' });
    expect(loaded.values.get('RETRIES')?.type).toBe('number');
    expect(describeSource(loaded.source)).toMatch(/^the stage file secrets\/dev\.json \(identity local:[0-9a-f]+\)$/);
  });

  it('takes the values stage-secrets run put in the env when it ran for this stage', async () => {
    const runner = provenRunEnv(env, 'dev', path.join(serviceDir, 'secrets/dev.json'), {
      API_KEY: 'runner-api',
      RETRIES: '7',
    });
    try {
      const loaded = await loadServiceSecrets({ stage: 'dev', app: 'svc-app', serviceDir, env: runner.env });
      expect(texts(loaded)).toEqual({ API_KEY: 'runner-api', RETRIES: '7' });
      expect(loaded.source).toEqual({ kind: 'run-env', path: 'secrets/dev.json' });
      expect(describeSource(loaded.source)).toContain('STAGE_SECRETS_KEYS');
    } finally {
      runner.remove();
    }
  });

  it('opens the stage file when the runner env is for another stage, and says so', async () => {
    const runner = { ...env, STAGE_SECRETS_STAGE: 'prod', STAGE_SECRETS_KEYS: 'API_KEY', API_KEY: 'prod-api' };
    const loaded = await loadServiceSecrets({ stage: 'dev', app: 'svc-app', serviceDir, env: runner });
    expect(loaded.values.get('API_KEY')?.text).toBe('file-api');
    expect(loaded.note).toBe(
      'the environment holds secrets of stage prod, but this is stage dev; opening the stage file instead',
    );
  });

  it('a runner env that lost a named variable is not used: the stage file is opened, or without a key the error says why', async () => {
    const runner = provenRunEnv(env, 'dev', path.join(serviceDir, 'secrets/dev.json'), { API_KEY: 'runner-api' });
    try {
      const lost = { ...runner.env, API_KEY: undefined };
      const loaded = await loadServiceSecrets({ stage: 'dev', app: 'svc-app', serviceDir, env: lost });
      expect(texts(loaded)).toEqual({ API_KEY: 'file-api', RETRIES: '3' });
      expect(loaded.note).toContain('lists API_KEY, but the environment has no API_KEY');
      forgetUnwrappedKeys();
      const noKey = { ...lost, XDG_CONFIG_HOME: path.join(root, 'no-keys') };
      await expect(loadServiceSecrets({ stage: 'dev', app: 'svc-app', serviceDir, env: noKey })).rejects.toMatchObject({
        code: 'RUN_ENV_UNVERIFIED',
        message: expect.stringMatching(/lists API_KEY, but the environment has no API_KEY/),
      });
    } finally {
      runner.remove();
    }
  });

  it('refuses a stage file of another app than custom.stageSecrets.app, telling how to share it', async () => {
    await expect(loadServiceSecrets({ stage: 'dev', app: 'other-svc', serviceDir, env })).rejects.toThrow(
      /belongs to app "svc-app", but this is app "other-svc" \(from custom\.stageSecrets\.app\)\. Set custom\.stageSecrets\.app: svc-app \(or remove it\)/,
    );
  });

  it('without custom.stageSecrets.app, takes the app the stage file records', async () => {
    const loaded = await loadServiceSecrets({ stage: 'dev', serviceDir, env });
    expect(loaded.app).toBe('svc-app');
    expect(texts(loaded)).toEqual({ API_KEY: 'file-api', RETRIES: '3' });
  });

  it('reads the folder given relative to the service folder', async () => {
    const loaded = await loadServiceSecrets({
      stage: 'dev',
      app: 'svc-app',
      dir: '../shared-secrets',
      serviceDir,
      env,
    });
    expect(texts(loaded)).toEqual({ SHARED: '{"a":1}' });
  });
});

function service(custom?: Record<string, unknown>): ServiceConfig {
  return {
    service: 'svc-app',
    provider: { environment: { API_KEY: 'yaml', PLAIN: 'p' } },
    functions: { api: { environment: { RETRIES: '9', OWN: 'o' } }, worker: {} },
    custom,
  };
}

function recorder() {
  const notices: string[] = [];
  return { notices, log: { notice: (m: string) => notices.push(m), warn: (m: string) => notices.push(m) } };
}

/** Applies the stage to `svc` as the plugin does, with a cache of its own. */
function apply(svc: ServiceConfig, stage: string, log: ReturnType<typeof recorder>['log'], configFile?: string) {
  return applyStageSecrets({
    service: svc,
    stage,
    serviceDir,
    env,
    cache: new StageSecretsCache(),
    log,
    ...(configFile ? { configFile } : {}),
  });
}

describe('applyStageSecrets', () => {
  it('records per function the digest of the names it receives: shared by functions with the same names, not by others', async () => {
    const svc: ServiceConfig = {
      service: 'svc-app',
      provider: {},
      functions: { one: { secrets: ['API_KEY'] }, two: { secrets: ['API_KEY'] }, all: {} },
    };
    await apply(svc, 'dev', recorder().log);
    const file = JSON.parse(fs.readFileSync(path.join(serviceDir, 'secrets', 'dev.json'), 'utf8')) as StageFile;
    const entries = Object.fromEntries(
      ['API_KEY', 'RETRIES'].map((n) => [
        n,
        JSON.parse(fs.readFileSync(path.join(serviceDir, 'secrets', 'dev', `${n}.json`), 'utf8')) as SecretEntry,
      ]),
    );
    const digestOf = (fn: string) => svc.functions![fn]!.environment?.[DEPLOY_DIGEST_ENV];
    expect(digestOf('one')).toBe(deployDigest({ ...file, secrets: entries }, ['API_KEY']));
    expect(digestOf('two')).toBe(digestOf('one'));
    expect(digestOf('all')).toBe(deployDigest({ ...file, secrets: entries }, ['API_KEY', 'RETRIES']));
    expect(digestOf('all')).not.toBe(digestOf('one'));
  });

  it('writes the merged environments back into the service and logs counts', async () => {
    const svc = service();
    const { notices, log } = recorder();
    const summary = await apply(svc, 'dev', log);
    expect(svc.provider.environment).toEqual({ API_KEY: 'file-api', PLAIN: 'p', RETRIES: '3' });
    // each function records, for `status`, the digest of the sealed entries it received (no value)
    const file = JSON.parse(fs.readFileSync(path.join(serviceDir, 'secrets', 'dev.json'), 'utf8')) as StageFile;
    const entries = Object.fromEntries(
      ['API_KEY', 'RETRIES'].map((n) => [
        n,
        JSON.parse(fs.readFileSync(path.join(serviceDir, 'secrets', 'dev', `${n}.json`), 'utf8')) as SecretEntry,
      ]),
    );
    const digest = deployDigest({ ...file, secrets: entries }, ['API_KEY', 'RETRIES']);
    expect(svc.functions!.api!.environment).toEqual({ RETRIES: '3', OWN: 'o', [DEPLOY_DIGEST_ENV]: digest });
    expect(svc.functions!.worker!.environment).toEqual({ [DEPLOY_DIGEST_ENV]: digest });
    expect(JSON.stringify(svc.functions)).not.toContain('file-api');
    expect(summary).toMatchObject({ setEnvs: true, secrets: 2, functionsWithSecrets: 2, functions: 2 });
    // the package guard knows the secrets folder, so no stage file goes into a package
    expect(summary.guard?.secretsDir).toBe(path.join(serviceDir, 'secrets'));
    expect((svc as { package?: { patterns?: string[] } }).package?.patterns).toEqual(['!secrets/**']);
    expect(notices).toEqual([
      expect.stringMatching(
        /^stage-secrets: 2 secrets of stage dev from the stage file .*, app svc-app, set on 2 of 2 functions$/,
      ),
      'stage-secrets: secrets replace the serverless.yml values of provider.environment.API_KEY, functions.api.environment.RETRIES',
    ]);
  });

  it('warns, by name and line, about config reads of a variable a secret replaced; a service not named like the app still gets its secrets', async () => {
    const configFile = path.join(root, 'svc', 'serverless.yml');
    fs.writeFileSync(
      configFile,
      'service: other-name\nresources:\n  Description: ${self:provider.environment.API_KEY}\n',
    );
    const svc = { ...service(), service: 'other-name' };
    const { notices, log } = recorder();
    await apply(svc, 'dev', log, configFile);
    expect(notices[0]).toContain(', app svc-app, set on 2 of 2 functions');
    expect(notices).toContain(
      'serverless.yml reads provider.environment.API_KEY through ${self:provider.environment.API_KEY} (line 3), but a secret replaces it: those places keep the value written in serverless.yml, while the functions get the secret. Use ${secret:API_KEY} there if they should see the secret, or remove API_KEY from the stage (or from this service with custom.stageSecrets.secrets).',
    );
    expect(notices.join('\n')).not.toContain('file-api');
    fs.rmSync(configFile);
  });

  it('with custom.stageSecrets.setEnvs: false changes nothing and needs no key', async () => {
    const svc = service({ stageSecrets: { setEnvs: false } });
    const before = structuredClone(svc);
    const { notices, log } = recorder();
    const summary = await apply(svc, 'nokey', log);
    // no secret in any environment, only the opt-out record for `status`; the secrets folder is kept out of the package
    for (const fn of Object.values(before.functions!))
      fn!.environment = { ...fn!.environment, [DEPLOY_DIGEST_ENV]: 'off' };
    expect({ ...svc, package: undefined } as object).toEqual({ ...before, package: undefined });
    expect((svc as { package?: { patterns?: string[] } }).package?.patterns).toEqual(['!secrets/**']);
    expect(summary.setEnvs).toBe(false);
    expect(notices).toEqual([
      'stage-secrets: functions get no secrets of stage nokey (custom.stageSecrets.setEnvs is false in serverless.yml); the build environment is unchanged',
    ]);
  });

  it('refuses a custom.stageSecrets the plugin cannot read', async () => {
    const { log } = recorder();
    await expect(apply(service({ stageSecrets: { setEnvs: 'no' } }), 'dev', log)).rejects.toThrow(
      'custom.stageSecrets.setEnvs must be true or false',
    );
  });
});

describe('${secret:NAME}', () => {
  const config: Record<string, unknown> = { service: 'svc-app' };
  const resolver = (address: string, stage?: string) => ({
    address,
    options: { stage },
    serviceDir,
    isSourceFulfilled: false,
    resolveVariable: async (v: string) => (v === 'sls:stage' ? 'dev' : undefined),
    resolveConfigurationProperty: async (keys: string[]) =>
      keys.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], config),
  });

  it('resolves the secret of the stage the resolver names', async () => {
    const value = await resolveSecretVariable(resolver('RETRIES'), { cache: new StageSecretsCache(), env, serviceDir });
    expect(value).toEqual({ value: '3' });
  });

  it("a missing name resolves to null, so the framework's fallback applies; its error names the secret and how to add it", async () => {
    expect(
      await resolveSecretVariable(resolver('NOPE', 'dev'), { cache: new StageSecretsCache(), env, serviceDir }),
    ).toEqual({
      value: null,
      eventualErrorMessage: expect.stringContaining(
        '${secret:NOPE}: stage dev has no secret named NOPE; add it with: npx --no-install stage-secrets set --stage dev NOPE',
      ),
    });
  });
});
