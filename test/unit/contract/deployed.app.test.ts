/**
 * deployStatus over a real app folder: the records come from the plugin's own apply step on the service
 * (what a deploy would hold), the reads of AWS from a map of them. So this holds the plugin's digest and
 * status's recomputed one to the same selection rules: a list, auto, every name.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { appDeployStatus, functionLogicalId, type DeployReader } from '../../../src/contract/deployed.js';
import { DEPLOY_DIGEST_ENV } from '../../../src/core/deploy-digest.js';
import { applyStageSecrets } from '../../../src/serverless/apply.js';
import { StageSecretsCache } from '../../../src/serverless/service-stage.js';
import type { ServiceConfig } from '../../../src/serverless/types.js';
import { forgetUnwrappedKeys } from '../../../src/stages/open-file.js';
import { setSecrets } from '../../../src/stages/secrets.js';
import { makeTempRepo, seedDevStage, type TempRepo } from '../../support/temp-repo.js';

const CONFIG = `service: api
provider:
  name: aws
  region: eu-west-1
functions:
  all:
    handler: handler.main
  one:
    handler: handler.main
    secrets: [API_KEY]
  auto:
    handler: auto.main
    secrets: auto
`;

describe('appDeployStatus', () => {
  let repo: TempRepo;
  /** region/function name → the deployed environment's record */
  const deployed = new Map<string, string | undefined>();
  const reads: string[] = [];
  const reader: DeployReader = {
    async stackFunctions(region, stackName) {
      reads.push(`stack ${region} ${stackName}`);
      if (stackName !== 'api-dev' || deployed.size === 0) return undefined;
      return new Map(['all', 'one', 'auto'].map((f) => [functionLogicalId(f), `api-dev-${f}`]));
    },
    async functionRecord(region, name) {
      const key = `${region}/${name}`;
      return deployed.has(key) ? { deployed: true, record: deployed.get(key) } : { deployed: false };
    },
  };

  /** What a deploy of the service leaves on each function: the plugin's apply step on the config. */
  async function deploy() {
    forgetUnwrappedKeys();
    const service = parse(CONFIG) as ServiceConfig;
    const log = { notice: () => {}, warn: () => {} };
    await applyStageSecrets({
      service,
      stage: 'dev',
      serviceDir: repo.serviceDir,
      env: repo.env,
      cache: new StageSecretsCache(),
      log,
    });
    for (const [name, fn] of Object.entries(service.functions!)) {
      deployed.set(`eu-west-1/api-dev-${name}`, fn!.environment?.[DEPLOY_DIGEST_ENV] as string | undefined);
    }
  }

  const status = () => appDeployStatus({ stage: 'dev', cwd: repo.serviceDir, env: repo.env, reader });
  const states = async () => Object.fromEntries((await status()).functions.map((f) => [f.function, f.state]));

  beforeAll(async () => {
    repo = makeTempRepo('status', 'api');
    await seedDevStage('shop', repo.root, repo.env);
    fs.writeFileSync(path.join(repo.serviceDir, 'serverless.yml'), CONFIG);
    fs.writeFileSync(path.join(repo.serviceDir, 'handler.js'), 'exports.main = async () => 1;\n');
    fs.writeFileSync(path.join(repo.serviceDir, 'auto.js'), 'exports.main = async () => process.env.RETRIES;\n');
  });
  afterAll(() => repo.cleanup());

  it('not deployed before the first deploy, looking in the config region for stack SERVICE-STAGE', async () => {
    expect(await states()).toEqual({ all: 'not deployed', auto: 'not deployed', one: 'not deployed' });
    expect(reads).toContain('stack eu-west-1 api-dev');
  });

  it('current after a deploy, with the names each function gets', async () => {
    await deploy();
    const report = await status();
    expect(report.ok).toBe(true);
    expect(report.app).toBe('shop');
    expect(Object.fromEntries(report.functions.map((f) => [f.function, [f.state, f.receives]]))).toEqual({
      all: ['current', ['API_KEY', 'RETRIES']],
      one: ['current', ['API_KEY']],
      auto: ['current', ['RETRIES']],
    });
  });

  it('a set makes exactly the functions that get the name stale; a deploy makes them current', async () => {
    await setSecrets({ stage: 'dev', cwd: repo.root, env: repo.env }, [
      { name: 'API_KEY', type: 'string', value: 'v2' },
    ]);
    const report = await status();
    expect(report.ok).toBe(false);
    expect(await states()).toEqual({ all: 'stale', one: 'stale', auto: 'current' });
    await deploy();
    expect(await states()).toEqual({ all: 'current', one: 'current', auto: 'current' });
  });

  it('a new name stales the functions that would get it; a function deployed without the plugin is unknown', async () => {
    await setSecrets({ stage: 'dev', cwd: repo.root, env: repo.env }, [
      { name: 'NEW_ONE', type: 'string', value: 'n' },
    ]);
    deployed.set('eu-west-1/api-dev-one', undefined);
    expect(await states()).toEqual({ all: 'stale', one: 'unknown', auto: 'current' });
  });
});
