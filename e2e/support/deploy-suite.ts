/**
 * The deploy tests' one describe body: a framework (serverless v3 or osls) deploys fixtures/sls-deploy to
 * moto in env or runtime mode, and the tests read back what AWS would hold. Each function must see exactly
 * what it gets: in env mode its configuration says so; in runtime mode no value is in any configuration or in
 * the template, and the deployed zip, fetched from moto and invoked the way Lambda's Node.js runtime does,
 * opens its secrets with one KMS Decrypt against moto. Then `status` goes current → stale (after set) →
 * current (after a redeploy). One moto and one service per describe: the deploys build on each other, in order.
 * Each e2e/deploy-*.test.ts runs it once, for one framework and mode; what only one of them tries comes through `more`.
 */
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_DIGEST_ENV } from '../../src/core/deploy-digest.js';
import { invokeLambda } from '../../test/support/lambda-invoke.js';
import { expectNoValues, token } from '../../test/support/plugin-package-suite.js';
import { answersOf, digest, filesWithValues, kmsStatements } from '../../test/support/runtime-mode-suite.js';
import type { Framework, SlsService, Template } from '../../test/support/sls-service.js';
import { awsOf, prepareDeployService, SERVICE, sls, states, status } from './deploy.js';
import { countingProxy, startMoto, type CountingProxy, type Moto } from './moto.js';

export type Mode = 'env' | 'runtime';
type FunctionName = 'apiOnly' | 'auto' | 'full';
const FUNCTIONS: FunctionName[] = ['apiOnly', 'auto', 'full'];
/** the names each function gets (fixtures/sls-deploy: all, its list, what auto.js reads) */
const RECEIVES: Record<FunctionName, string[]> = {
  apiOnly: ['API_KEY'],
  auto: ['DB_PASSWORD'],
  full: ['API_KEY', 'DB_PASSWORD'],
};
/** each function's environment in serverless.yml (provider level, then its own) */
const YAML: Record<FunctionName, Record<string, string>> = {
  apiOnly: { API_KEY: 'from-provider-yaml', PLAIN: 'plain-provider-value' },
  auto: { API_KEY: 'from-provider-yaml', PLAIN: 'plain-provider-value' },
  full: { API_KEY: 'from-provider-yaml', PLAIN: 'plain-provider-value', DB_PASSWORD: 'from-function-yaml' },
};
/** the names handler.js and auto.js report, as digests */
const SEEN = ['API_KEY', 'DB_PASSWORD', 'PLAIN', 'NEW_KEY'];

/** What a function's code finds in process.env: the secrets it gets over its yaml. */
function expectedEnv(name: FunctionName, secrets: Record<string, string>): Record<string, string> {
  return { ...YAML[name], ...Object.fromEntries(RECEIVES[name].map((n) => [n, secrets[n]!])) };
}

/** a deploy takes 10-40 s on 2 idle cores; far more when the machine is shared: no deploy near its timeout */
export const DEPLOY_TIMEOUT = 600_000;

/** A runtime-mode stage's KMS identities, with keys made in moto. */
export interface KmsStage {
  /** the `init` options of the first identity; each further one is added with `rewrap` */
  identities: string[][];
  /** the key ARNs the functions' kms:Decrypt statement must name, in order */
  keyArns: string[];
  /** the region the deployed function's Decrypt must be signed for */
  decryptRegion: string;
}

export interface DeployCase {
  fw: Framework;
  mode: Mode;
  stage: string;
  /** runtime mode: makes the stage's keys in moto (createKmsKey of moto.ts) and names them */
  kms?: (moto: Moto) => Promise<KmsStage>;
  /** also `deploy function -f full` between the set and the whole deploy (runtime mode: osls only, see there) */
  deployFunction?: boolean;
  /** also `remove` at the end */
  remove?: boolean;
  /** tests only one case runs, registered at a point of the sequence: while functions are stale, after the update */
  more?: { whileStale?: (ctx: DeployContext) => void; afterUpdate?: (ctx: DeployContext) => void };
}

/** What the tests of a case share; filled in by its beforeAll. */
export interface DeployContext {
  moto: Moto;
  proxy: CountingProxy;
  svc: SlsService;
  aws: ReturnType<typeof awsOf>;
  /** the values sealed now, by name */
  secrets: Record<string, string>;
  /** seconds of each framework run, by step */
  times: Record<string, number>;
  stack: string;
  /** the deployed name of a function of serverless.yml */
  fn(name: string): string;
  /** the framework, run against moto with the case's mode */
  sls(args: string[], extra?: NodeJS.ProcessEnv): Promise<number>;
}

export function describeDeploy(c: DeployCase): void {
  const runtime = c.mode === 'runtime';
  const ctx = {
    secrets: { API_KEY: token('api'), DB_PASSWORD: token('db') },
    times: {},
    stack: `${SERVICE}-${c.stage}`,
    fn: (name: string) => `${SERVICE}-${c.stage}-${name}`,
  } as Partial<DeployContext> as DeployContext;
  let kms: KmsStage | undefined;
  const codeDirs: string[] = [];
  /** values a set replaced, by a label */
  const replaced: Record<string, string> = {};
  /** the values sealed now and before: none may show up in a package, log or template */
  const everSealed = (): Record<string, string> => ({ ...replaced, ...ctx.secrets });

  /** The deployed function, fetched from moto and invoked as Lambda would, KMS through the counting proxy. */
  async function invokeDeployed(name: FunctionName) {
    const taskRoot = await ctx.aws.code(ctx.fn(name), ctx.proxy.uploadedZips);
    codeDirs.push(taskRoot);
    ctx.proxy.targets.length = 0;
    ctx.proxy.regions.length = 0;
    const run = await invokeLambda({
      taskRoot,
      handler: (await ctx.aws.handler(ctx.fn(name)))!,
      functionName: ctx.fn(name),
      variables: await ctx.aws.variables(ctx.fn(name)),
      aws: { ...ctx.moto.env, AWS_ENDPOINT_URL: undefined, AWS_ENDPOINT_URL_KMS: ctx.proxy.url },
      events: [{}, {}],
    });
    const decrypts = ctx.proxy.regions.filter((_, i) => ctx.proxy.targets[i]!.endsWith('.Decrypt'));
    return { run, taskRoot, decrypts };
  }

  /**
   * Each named function sees exactly the secrets it gets, over its yaml. Env mode: its configuration holds
   * them. Runtime mode: its configuration holds the yaml only, and its deployed code opens them.
   */
  async function expectHolds(names: FunctionName[]): Promise<void> {
    for (const name of names) {
      const { [DEPLOY_DIGEST_ENV]: record, ...variables } = await ctx.aws.variables(ctx.fn(name));
      expect(record, name).toMatch(/^v1\./);
      expect(variables, name).toEqual(runtime ? YAML[name] : expectedEnv(name, ctx.secrets));
      if (!runtime) continue;
      expect(await ctx.aws.handler(ctx.fn(name))).toBe(`.stage-secrets-runtime/${name}/wrapper.handler`);
      const { run, taskRoot, decrypts } = await invokeDeployed(name);
      expect(filesWithValues([taskRoot], everSealed())).toEqual([]);
      expectNoValues(run.logs + run.stderr, everSealed());
      const want = expectedEnv(name, ctx.secrets);
      const seen = Object.fromEntries(SEEN.map((n) => [n, want[n] === undefined ? null : digest(want[n])]));
      const [cold, warm] = answersOf<{ atLoad?: unknown; now: unknown }>(run, everSealed());
      expect(cold!.now, name).toEqual(seen);
      // handler.js reads at module load: the wrapper set the secrets before it loaded
      if (cold!.atLoad !== undefined) expect(cold!.atLoad, name).toEqual(seen);
      expect(warm!.now).toEqual(seen);
      expect(decrypts, `${name}: one Decrypt per cold start, signed for the key's region`).toEqual([
        kms!.decryptRegion,
      ]);
    }
  }

  describe(`deploys to moto with ${c.fw.name} ${c.fw.version} (${c.mode} mode, fixtures/sls-deploy)`, {
    timeout: DEPLOY_TIMEOUT,
  }, () => {
    beforeAll(async () => {
      ctx.moto = await startMoto();
      ctx.proxy = await countingProxy(ctx.moto);
      ctx.aws = awsOf(ctx.moto);
      kms = await c.kms?.(ctx.moto);
      const [first, ...more] = kms?.identities ?? [];
      ctx.svc = await prepareDeployService(c.fw, {
        stage: c.stage,
        secrets: ctx.secrets,
        ...(first ? { identity: { args: first, env: ctx.moto.env } } : {}),
      });
      for (const args of more) {
        const add = await ctx.svc.ws.run(['rewrap', '--stage', c.stage, ...args], {
          env: ctx.moto.env,
          cwd: ctx.svc.dir,
        });
        expect(add.code, add.stderr).toBe(0);
      }
      const modeEnv = { SECRETS_MODE: c.mode };
      ctx.sls = async (args, extra = {}) =>
        (await sls(c.fw, ctx.moto, ctx.svc, args, { ...modeEnv, ...extra })).seconds;
      ctx.times.create = await ctx.sls(['deploy']);
    }, DEPLOY_TIMEOUT);

    afterAll(async () => {
      ctx.aws?.destroy();
      await ctx.proxy?.close();
      await ctx.moto?.stop();
      ctx.svc?.ws.cleanup();
      for (const dir of codeDirs) fs.rmSync(dir, { recursive: true, force: true });
      console.log(`deploy times (${c.fw.name}, ${c.mode} mode, s): ${JSON.stringify(ctx.times)}`);
    });

    it(`every function holds exactly the secrets it gets, over the yaml (${runtime ? 'opened by its deployed code' : 'in its configuration'})`, async () => {
      expect(await ctx.aws.functionNames()).toEqual(FUNCTIONS.map(ctx.fn));
      const resources = await ctx.aws.stackResources(ctx.stack);
      expect(
        resources
          .filter((r) => r.ResourceType === 'AWS::Lambda::Function')
          .map((r) => r.LogicalResourceId)
          .sort(),
      ).toEqual(['ApiOnlyLambdaFunction', 'AutoLambdaFunction', 'FullLambdaFunction']);
      await expectHolds(FUNCTIONS);
      // three selections, three records
      const records = await Promise.all(
        FUNCTIONS.map(async (n) => (await ctx.aws.variables(ctx.fn(n)))[DEPLOY_DIGEST_ENV]),
      );
      expect(new Set(records).size).toBe(3);
      if (runtime) expectNoValues(await ctx.aws.template(ctx.stack), everSealed());
    });

    if (runtime) {
      it('the role may kms:Decrypt with the stage key, only under the encryption context {app, stage}', async () => {
        const template = JSON.parse(await ctx.aws.template(ctx.stack)) as Template;
        const app = ctx.svc.ws.readStage(c.stage).app;
        expect(kmsStatements(template)).toEqual([
          {
            Effect: 'Allow',
            Action: ['kms:Decrypt'],
            Resource: kms!.keyArns,
            Condition: { StringEquals: { 'kms:EncryptionContext:app': app, 'kms:EncryptionContext:stage': c.stage } },
          },
        ]);
      });
    }

    it('status: every function current (exit 0), names and counts only, never a value', async () => {
      const s = await status(ctx.svc, ctx.moto);
      expect(s.code).toBe(0);
      expect(states(s.rows)).toEqual({ apiOnly: 'current', auto: 'current', full: 'current' });
      for (const name of FUNCTIONS) expect(s.rows[name]!.receives).toEqual(RECEIVES[name]);
      const text = await status(ctx.svc, ctx.moto, ['--format', 'text']);
      const markdown = await status(ctx.svc, ctx.moto, ['--format', 'markdown']);
      expectNoValues(s.stdout + s.stderr + text.stdout + markdown.stdout, ctx.secrets);
      expect(text.stdout).toMatch(/deploy-svc\s+full\s+current\s+2/);
      expect(markdown.stdout).toContain('| deploy\\-svc | full | current | 2 |');
    });

    it('a secret changed: the functions that get it are stale (exit 1), the others current', async () => {
      replaced['API_KEY before set'] = ctx.secrets.API_KEY!;
      ctx.secrets.API_KEY = token('api-2');
      const set = await ctx.svc.ws.run(['set', '--stage', c.stage, 'API_KEY'], {
        input: ctx.secrets.API_KEY,
        cwd: ctx.svc.dir,
      });
      expect(set.code, set.stderr).toBe(0);
      const s = await status(ctx.svc, ctx.moto);
      expect(s.code).toBe(1);
      expect(states(s.rows)).toEqual({ apiOnly: 'stale', auto: 'current', full: 'stale' });
      const text = await status(ctx.svc, ctx.moto, ['--format', 'text']);
      expect(text.code).toBe(1);
      expect(text.stdout).toContain('1 current, 2 stale, 0 not deployed');
    });

    c.more?.whileStale?.(ctx);

    if (c.deployFunction) {
      it(
        'deploy function -f full: that function holds the new value and is current; apiOnly stays stale',
        async () => {
          // osls in runtime mode goes through the proxy, which keeps the zip it uploads (moto serves no code
          // uploaded that way); serverless v3 would need the proxy at a localhost URL (see notes)
          const viaProxy = runtime ? { AWS_ENDPOINT_URL: ctx.proxy.url } : {};
          ctx.times.deployFunction = await ctx.sls(['deploy', 'function', '-f', 'full'], viaProxy);
          if (runtime) expect(ctx.proxy.uploadedZips).toHaveLength(1);
          await expectHolds(['full']);
          if (!runtime) expect((await ctx.aws.variables(ctx.fn('apiOnly'))).API_KEY).not.toBe(ctx.secrets.API_KEY);
          expect(states((await status(ctx.svc, ctx.moto)).rows)).toEqual({
            apiOnly: 'stale',
            auto: 'current',
            full: 'current',
          });
        },
        DEPLOY_TIMEOUT,
      );
    }

    it(
      'a whole deploy updates the stack: every function holds the new value and is current again',
      async () => {
        ctx.times.update = await ctx.sls(['deploy']);
        await expectHolds(FUNCTIONS);
        if (runtime) expectNoValues(await ctx.aws.template(ctx.stack), everSealed());
        const s = await status(ctx.svc, ctx.moto);
        expect(s.code).toBe(0);
        expect(states(s.rows)).toEqual({ apiOnly: 'current', auto: 'current', full: 'current' });
      },
      DEPLOY_TIMEOUT,
    );

    c.more?.afterUpdate?.(ctx);

    if (c.remove) {
      it(
        'remove leaves nothing: no stack, no function; status says not deployed',
        async () => {
          ctx.times.remove = await ctx.sls(['remove']);
          expect(await ctx.aws.functionNames()).toEqual([]);
          await expect(ctx.aws.stackResources(ctx.stack)).rejects.toThrow(/does not exist/);
          const s = await status(ctx.svc, ctx.moto);
          expect(s.code).toBe(0);
          expect(states(s.rows)).toEqual({ apiOnly: 'not deployed', auto: 'not deployed', full: 'not deployed' });
        },
        DEPLOY_TIMEOUT,
      );
    }
  });
}
