/**
 * osls deploys fixtures/sls-deploy in runtime mode to moto (no plugin: AWS_ENDPOINT_URL), with the stage
 * wrapped by a KMS key created in moto. Read back: no value in any function configuration or in the
 * stack's template; the deployed zip, fetched from GetFunction's Code.Location and invoked the way
 * Lambda's Node.js runtime does, opens its secrets with one KMS Decrypt against moto. `status` goes
 * current → stale (after set) → current (after deploy function -f, then a whole deploy), and `remove`
 * leaves nothing. One moto and one service for the file: the deploys build on each other, in order.
 */
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_DIGEST_ENV } from '../src/core/deploy-digest.js';
import { invokeLambda } from '../test/support/lambda-invoke.js';
import { filesWithValues } from '../test/support/runtime-mode-suite.js';
import { FRAMEWORKS, type SlsService } from '../test/support/sls-service.js';
import { awsOf, prepareDeployService, SERVICE, sls, states, status } from './support/deploy.js';
import { countingProxy, startMoto, type CountingProxy, type Moto } from './support/moto.js';

const fw = FRAMEWORKS.find((f) => f.name === 'osls')!;
const STAGE = 'prod';
const STACK = `${SERVICE}-${STAGE}`;
const fn = (name: string) => `${SERVICE}-${STAGE}-${name}`;
const token = (label: string) =>
  `${label}-${createHash('sha256').update(`${label}${process.pid}`).digest('hex').slice(0, 12)}`;
const digest = (v: string) => createHash('sha256').update(v).digest('hex');
const secrets = { API_KEY: token('api'), DB_PASSWORD: token('db') };
const RUNTIME = { SECRETS_MODE: 'runtime' };
const times: Record<string, number> = {};
/** a deploy takes 10-40 s on 2 idle cores; far more when the machine is shared: no deploy near its timeout */
const DEPLOY_TIMEOUT = 600_000;

describe(`deploys to moto with ${fw.name} ${fw.version} (runtime mode, fixtures/sls-deploy)`, {
  timeout: DEPLOY_TIMEOUT,
}, () => {
  let moto: Moto;
  let proxy: CountingProxy;
  let svc: SlsService;
  let aws: ReturnType<typeof awsOf>;
  const codeDirs: string[] = [];

  /** The deployed function, fetched from moto and invoked as Lambda would, KMS through the counting proxy. */
  async function invokeDeployed(name: string) {
    const taskRoot = await aws.code(fn(name), proxy.uploadedZips);
    codeDirs.push(taskRoot);
    const variables = await aws.variables(fn(name));
    proxy.targets.length = 0;
    const run = await invokeLambda({
      taskRoot,
      handler: (await aws.handler(fn(name)))!,
      functionName: fn(name),
      variables,
      aws: { ...moto.env, AWS_ENDPOINT_URL: undefined, AWS_ENDPOINT_URL_KMS: proxy.url },
      events: [{}, {}],
    });
    return { run, taskRoot, decrypts: proxy.targets.filter((t) => t.endsWith('.Decrypt')).length };
  }

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await countingProxy(moto);
    aws = awsOf(moto);
    const kms = new KMSClient({
      region: 'us-east-1',
      endpoint: moto.url,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const key = await kms.send(new CreateKeyCommand({ Description: 'stage-secrets deploy test' }));
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/deploy-prod', TargetKeyId: key.KeyMetadata!.KeyId! }));
    kms.destroy();
    svc = await prepareDeployService(fw, {
      stage: STAGE,
      secrets,
      identity: { args: ['--kms', 'alias/deploy-prod'], env: moto.env },
    });
    times.create = (await sls(fw, moto, svc, ['deploy'], RUNTIME)).seconds;
  }, DEPLOY_TIMEOUT);

  afterAll(async () => {
    aws?.destroy();
    await proxy?.close();
    await moto?.stop();
    svc?.ws.cleanup();
    for (const dir of codeDirs) fs.rmSync(dir, { recursive: true, force: true });
    console.log(`deploy times (${fw.name}, runtime mode, s): ${JSON.stringify(times)}`);
  });

  it('no value in any function configuration or in the template; each handler is the wrapper', async () => {
    expect(await aws.functionNames()).toEqual([fn('apiOnly'), fn('auto'), fn('full')]);
    for (const name of ['full', 'apiOnly', 'auto']) {
      const variables = await aws.variables(fn(name));
      expect(variables[DEPLOY_DIGEST_ENV]).toMatch(/^v1\./);
      for (const value of Object.values(secrets)) expect(JSON.stringify(variables)).not.toContain(value);
      expect(await aws.handler(fn(name))).toBe(`.stage-secrets-runtime/${name}/wrapper.handler`);
    }
    expect(await aws.variables(fn('full'))).toMatchObject({
      API_KEY: 'from-provider-yaml',
      DB_PASSWORD: 'from-function-yaml',
    });
    const template = await aws.template(STACK);
    expect(template).toContain('kms:Decrypt');
    for (const value of Object.values(secrets)) expect(template).not.toContain(value);
  });

  it('the deployed zip, invoked as Lambda does, opens its secrets with one KMS Decrypt against moto; lists narrow', async () => {
    const full = await invokeDeployed('full');
    expect(full.run.initError).toBeUndefined();
    expect(filesWithValues([full.taskRoot], secrets)).toEqual([]);
    const [cold, warm] = full.run.invocations.map((i) => i.value as { atLoad: Record<string, string | null> });
    expect(cold!.atLoad).toMatchObject({ API_KEY: digest(secrets.API_KEY), DB_PASSWORD: digest(secrets.DB_PASSWORD) });
    expect(warm!.atLoad).toEqual(cold!.atLoad);
    expect(full.decrypts).toBe(1);
    const apiOnly = await invokeDeployed('apiOnly');
    const answer = apiOnly.run.invocations[0]!.value as { atLoad: Record<string, string | null> };
    expect(answer.atLoad).toMatchObject({ API_KEY: digest(secrets.API_KEY), DB_PASSWORD: null });
    expect(apiOnly.decrypts).toBe(1);
    for (const out of [full.run.logs, full.run.stderr, apiOnly.run.logs, apiOnly.run.stderr]) {
      for (const value of Object.values(secrets)) expect(out).not.toContain(value);
    }
  });

  it('status: current, then stale after set (exit 1), for the functions that get the name', async () => {
    expect(states((await status(svc, moto)).rows)).toEqual({ apiOnly: 'current', auto: 'current', full: 'current' });
    secrets.API_KEY = token('api-2');
    const set = await svc.ws.run(['set', '--stage', STAGE, 'API_KEY'], { input: secrets.API_KEY, cwd: svc.dir });
    expect(set.code, set.stderr).toBe(0);
    const s = await status(svc, moto);
    expect(s.code).toBe(1);
    expect(states(s.rows)).toEqual({ apiOnly: 'stale', auto: 'current', full: 'stale' });
  });

  it(
    'deploy function -f full: its new code opens the new value and it is current; apiOnly stays stale',
    async () => {
      // through the proxy, which keeps the zip osls uploads (moto serves no code uploaded that way)
      const viaProxy = { ...RUNTIME, AWS_ENDPOINT_URL: proxy.url };
      times.deployFunction = (await sls(fw, moto, svc, ['deploy', 'function', '-f', 'full'], viaProxy)).seconds;
      expect(proxy.uploadedZips).toHaveLength(1);
      const full = await invokeDeployed('full');
      expect((full.run.invocations[0]!.value as { atLoad: Record<string, string> }).atLoad.API_KEY).toBe(
        digest(secrets.API_KEY),
      );
      expect(states((await status(svc, moto)).rows)).toEqual({ apiOnly: 'stale', auto: 'current', full: 'current' });
    },
    DEPLOY_TIMEOUT,
  );

  it(
    'a whole deploy: every function current, apiOnly opens the new value',
    async () => {
      times.update = (await sls(fw, moto, svc, ['deploy'], RUNTIME)).seconds;
      const s = await status(svc, moto);
      expect(s.code).toBe(0);
      expect(states(s.rows)).toEqual({ apiOnly: 'current', auto: 'current', full: 'current' });
      const apiOnly = await invokeDeployed('apiOnly');
      expect((apiOnly.run.invocations[0]!.value as { atLoad: Record<string, string> }).atLoad.API_KEY).toBe(
        digest(secrets.API_KEY),
      );
    },
    DEPLOY_TIMEOUT,
  );

  it(
    'remove leaves nothing: no stack, no function; status says not deployed',
    async () => {
      times.remove = (await sls(fw, moto, svc, ['remove'], RUNTIME)).seconds;
      expect(await aws.functionNames()).toEqual([]);
      await expect(aws.stackResources(STACK)).rejects.toThrow(/does not exist/);
      expect(states((await status(svc, moto)).rows)).toEqual({
        apiOnly: 'not deployed',
        auto: 'not deployed',
        full: 'not deployed',
      });
    },
    DEPLOY_TIMEOUT,
  );
});
