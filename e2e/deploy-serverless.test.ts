/**
 * serverless v3 deploys fixtures/sls-deploy (env mode) to moto through serverless-localstack, and the
 * tests read back what AWS would hold: each function's configuration, the plugin's record, `status`
 * through current → stale (after set) → current (after deploy function -f, then a whole deploy), the
 * opt-out of seed.yml, and `remove` leaving nothing. One moto and one service for the file: the deploys
 * build on each other, in order.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_DIGEST_ENV } from '../src/core/deploy-digest.js';
import { REPO_ROOT } from '../test/support/cli.js';
import { runAction } from '../test/support/github-runner.js';
import { FRAMEWORKS, type SlsService } from '../test/support/sls-service.js';
import { awsOf, prepareDeployService, SERVICE, sls, states, status } from './support/deploy.js';
import { startMoto, type Moto } from './support/moto.js';

const fw = FRAMEWORKS.find((f) => f.name === 'serverless')!;
const STAGE = 'dev';
const STACK = `${SERVICE}-${STAGE}`;
const fn = (name: string) => `${SERVICE}-${STAGE}-${name}`;
const token = (label: string) =>
  `${label}-${createHash('sha256').update(`${label}${process.pid}`).digest('hex').slice(0, 12)}`;
const secrets = { API_KEY: token('api'), DB_PASSWORD: token('db') };
const times: Record<string, number> = {};
/** a deploy takes 10-40 s on 2 idle cores; far more when the machine is shared: no deploy near its timeout */
const DEPLOY_TIMEOUT = 600_000;

describe(`deploys to moto with ${fw.name} ${fw.version} (env mode, fixtures/sls-deploy)`, {
  timeout: DEPLOY_TIMEOUT,
}, () => {
  let moto: Moto;
  let svc: SlsService;
  let aws: ReturnType<typeof awsOf>;

  beforeAll(async () => {
    moto = await startMoto();
    aws = awsOf(moto);
    svc = await prepareDeployService(fw, { stage: STAGE, secrets });
    times.create = (await sls(fw, moto, svc, ['deploy'])).seconds;
  }, DEPLOY_TIMEOUT);

  afterAll(async () => {
    aws?.destroy();
    await moto?.stop();
    svc?.ws.cleanup();
    console.log(`deploy times (${fw.name}, s): ${JSON.stringify(times)}`);
  });

  it('every function holds the secrets it gets, over the yaml at provider and function level; lists and auto narrow exactly', async () => {
    expect(await aws.functionNames()).toEqual([fn('apiOnly'), fn('auto'), fn('full')]);
    const full = await aws.variables(fn('full'));
    const apiOnly = await aws.variables(fn('apiOnly'));
    const auto = await aws.variables(fn('auto'));
    expect(full).toEqual({
      API_KEY: secrets.API_KEY,
      DB_PASSWORD: secrets.DB_PASSWORD,
      PLAIN: 'plain-provider-value',
      [DEPLOY_DIGEST_ENV]: expect.stringMatching(/^v1\./),
    });
    expect(apiOnly).toEqual({
      API_KEY: secrets.API_KEY,
      PLAIN: 'plain-provider-value',
      [DEPLOY_DIGEST_ENV]: expect.stringMatching(/^v1\./),
    });
    // auto.js reads DB_PASSWORD only: API_KEY keeps the provider's yaml value
    expect(auto).toEqual({
      API_KEY: 'from-provider-yaml',
      DB_PASSWORD: secrets.DB_PASSWORD,
      PLAIN: 'plain-provider-value',
      [DEPLOY_DIGEST_ENV]: expect.stringMatching(/^v1\./),
    });
    // three selections, three records
    expect(new Set([full, apiOnly, auto].map((v) => v[DEPLOY_DIGEST_ENV])).size).toBe(3);
    const resources = await aws.stackResources(STACK);
    expect(
      resources
        .filter((r) => r.ResourceType === 'AWS::Lambda::Function')
        .map((r) => r.LogicalResourceId)
        .sort(),
    ).toEqual(['ApiOnlyLambdaFunction', 'AutoLambdaFunction', 'FullLambdaFunction']);
  });

  it('status: every function current (exit 0), names and counts only, never a value', async () => {
    const s = await status(svc, moto);
    expect(s.code).toBe(0);
    expect(states(s.rows)).toEqual({ apiOnly: 'current', auto: 'current', full: 'current' });
    expect(s.rows.full!.receives).toEqual(['API_KEY', 'DB_PASSWORD']);
    expect(s.rows.auto!.receives).toEqual(['DB_PASSWORD']);
    const text = await status(svc, moto, ['--format', 'text']);
    const markdown = await status(svc, moto, ['--format', 'markdown']);
    for (const out of [s.stdout, text.stdout, markdown.stdout, s.stderr]) {
      for (const value of Object.values(secrets)) expect(out).not.toContain(value);
    }
    expect(text.stdout).toMatch(/deploy-svc\s+full\s+current\s+2/);
    expect(markdown.stdout).toContain('| deploy\\-svc | full | current | 2 |');
  });

  it('a secret changed: the functions that get it are stale (exit 1), the others current', async () => {
    secrets.API_KEY = token('api-2');
    const set = await svc.ws.run(['set', '--stage', STAGE, 'API_KEY'], { input: secrets.API_KEY, cwd: svc.dir });
    expect(set.code, set.stderr).toBe(0);
    const s = await status(svc, moto);
    expect(s.code).toBe(1);
    expect(states(s.rows)).toEqual({ apiOnly: 'stale', auto: 'current', full: 'stale' });
    const text = await status(svc, moto, ['--format', 'text']);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('1 current, 2 stale, 0 not deployed');
  });

  it("the Action's status input writes the table to the step summary; stale does not fail the step", async () => {
    const run = await runAction(path.join(REPO_ROOT, 'action', 'index.mjs'), {
      cwd: svc.dir,
      env: { ...svc.env, ...moto.env },
      inputs: { stage: STAGE, status: 'true', export: 'none' },
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.summary).toContain('### stage-secrets status: stage dev');
    expect(run.summary).toContain('| deploy\\-svc | full | **stale** | 2 |');
    expect(run.summary).toContain('| deploy\\-svc | auto | current | 1 |');
    // the values reach stdout only as the runner's masking commands
    const printed = run.stdout
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n');
    for (const value of Object.values(secrets)) expect(run.summary + printed).not.toContain(value);
  });

  it(
    'deploy function -f full: that function holds the new value and is current; the other stays stale',
    async () => {
      times.deployFunction = (await sls(fw, moto, svc, ['deploy', 'function', '-f', 'full'])).seconds;
      expect((await aws.variables(fn('full'))).API_KEY).toBe(secrets.API_KEY);
      expect((await aws.variables(fn('apiOnly'))).API_KEY).not.toBe(secrets.API_KEY);
      expect(states((await status(svc, moto)).rows)).toEqual({ apiOnly: 'stale', auto: 'current', full: 'current' });
    },
    DEPLOY_TIMEOUT,
  );

  it(
    'a whole deploy updates the stack: every function current again',
    async () => {
      times.update = (await sls(fw, moto, svc, ['deploy'])).seconds;
      expect((await aws.variables(fn('apiOnly'))).API_KEY).toBe(secrets.API_KEY);
      const s = await status(svc, moto);
      expect(s.code).toBe(0);
      expect(states(s.rows)).toEqual({ apiOnly: 'current', auto: 'current', full: 'current' });
    },
    DEPLOY_TIMEOUT,
  );

  it(
    'sls_set_secret_envs: false in seed.yml: a deploy leaves no secret in any function, only the yaml',
    async () => {
      fs.writeFileSync(path.join(svc.dir, 'seed.yml'), 'sls_set_secret_envs: false\n');
      try {
        times.optOutUpdate = (await sls(fw, moto, svc, ['deploy'])).seconds;
        const record = { [DEPLOY_DIGEST_ENV]: 'off' };
        expect(await aws.variables(fn('full'))).toEqual({
          API_KEY: 'from-provider-yaml',
          PLAIN: 'plain-provider-value',
          DB_PASSWORD: 'from-function-yaml',
          ...record,
        });
        for (const name of ['apiOnly', 'auto']) {
          expect(await aws.variables(fn(name))).toEqual({
            API_KEY: 'from-provider-yaml',
            PLAIN: 'plain-provider-value',
            ...record,
          });
        }
        const template = await aws.template(STACK);
        for (const value of Object.values(secrets)) expect(template).not.toContain(value);
        const s = await status(svc, moto);
        expect(s.code).toBe(0);
        expect(s.rows.full).toMatchObject({ state: 'current', note: expect.stringMatching(/opted out/) });
      } finally {
        fs.rmSync(path.join(svc.dir, 'seed.yml'));
      }
    },
    DEPLOY_TIMEOUT,
  );

  it(
    'remove leaves nothing: no stack, no function; status says not deployed',
    async () => {
      times.remove = (await sls(fw, moto, svc, ['remove'])).seconds;
      expect(await aws.functionNames()).toEqual([]);
      await expect(aws.stackResources(STACK)).rejects.toThrow(/does not exist/);
      const s = await status(svc, moto);
      expect(s.code).toBe(0);
      expect(states(s.rows)).toEqual({ apiOnly: 'not deployed', auto: 'not deployed', full: 'not deployed' });
    },
    DEPLOY_TIMEOUT,
  );
});
