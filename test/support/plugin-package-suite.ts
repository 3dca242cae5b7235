/**
 * The plugin inside the real frameworks: each fixture is packaged offline once per framework, and the
 * assertions read the generated CloudFormation template. Run by test/integration/plugin-package-*.test.ts,
 * a file per framework of FRAMEWORKS.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  filesContaining,
  lambdas,
  packageService,
  prepareService,
  runFramework,
  type Framework,
  type FrameworkResult,
  type LambdaInTemplate,
  type SlsService,
} from './sls-service.js';
import { provenRunEnv } from './run-env.js';

export const token = (label: string): string => `${label}-${randomBytes(12).toString('hex')}`;

/** Asserts that none of the values shows up in the text. */
export function expectNoValues(text: string, values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values))
    expect(text.includes(value), `value of ${name} leaked`).toBe(false);
}

// serverless v3 opens the stage file for two fixtures and takes the runner env for the third; osls the
// other way round, so each source is seen by each framework.
const SOURCES: Record<
  Framework['name'],
  { overlap: 'stage file' | 'runner env'; perFunction: 'stage file' | 'runner env' }
> = {
  serverless: { overlap: 'stage file', perFunction: 'runner env' },
  osls: { overlap: 'runner env', perFunction: 'stage file' },
};

/**
 * The env `stage-secrets run` gives its child: the values, their names, the stage, the stage file and the
 * MAC under a real run token (removed by `cleanups`). No key.
 */
function runnerEnv(svc: SlsService, values: Record<string, string>, cleanups: Array<() => void>): NodeJS.ProcessEnv {
  const inherited = { ...svc.env };
  for (const key of Object.keys(inherited)) if (key.startsWith('STAGE_SECRETS_KEY_')) delete inherited[key];
  const proven = provenRunEnv(inherited, svc.stage, svc.stageFile, values);
  cleanups.push(proven.remove);
  return proven.env;
}

/**
 * Packages a prepared service with its secrets from `source`. For the runner env, the stage file keeps
 * other values, so the template shows which source was read; `secrets` then takes the runner's values.
 */
async function packageFrom(
  fw: Framework,
  svc: SlsService,
  source: 'stage file' | 'runner env',
  secrets: Record<string, string>,
  service: string,
  cleanups: Array<() => void>,
): Promise<{ result: FrameworkResult; fns: Record<string, LambdaInTemplate> }> {
  if (source === 'runner env') {
    const values = Object.fromEntries(Object.keys(secrets).map((name) => [name, token(`runner-${name}`)]));
    svc.env = runnerEnv(svc, values, cleanups);
    for (const name of Object.keys(secrets)) secrets[name] = svc.env[name]!;
  }
  const packaged = await packageService(fw, svc);
  expect(packaged.result.code, packaged.result.output).toBe(0);
  return { result: packaged.result, fns: lambdas(packaged.template!, service, svc.stage) };
}

/**
 * The plugin's tests inside one framework. Each framework has its own test file, so the two run side by
 * side. (The suite keeps the name describe.each(FRAMEWORKS) gave it: "plugin in 'serverless' '3.40.0'".)
 */
export function describePluginPackaging(fw: Framework): void {
  describe(`plugin in '${fw.name}' '${fw.version}'`, () => {
    const cleanups: Array<() => void> = [];
    afterAll(() => cleanups.forEach((c) => c()));

    describe(`fixtures/sls-overlap, secrets from the ${SOURCES[fw.name].overlap}`, () => {
      const secrets = { API_KEY: token('api'), DB_PASSWORD: token('db'), RELEASE_LABEL: token('label') };
      let svc: SlsService;
      let result: FrameworkResult;
      let fns: Record<string, LambdaInTemplate>;

      beforeAll(async () => {
        svc = await prepareService('sls-overlap', { stage: 'qa', secrets });
        cleanups.push(svc.ws.cleanup);
        ({ result, fns } = await packageFrom(fw, svc, SOURCES[fw.name].overlap, secrets, 'overlap-svc', cleanups));
      });

      it('secrets win over provider and function values of serverless.yml', () => {
        expect(Object.keys(fns).sort()).toEqual(['api', 'worker']);
        expect(fns.api!.variables).toMatchObject({
          API_KEY: secrets.API_KEY,
          DB_PASSWORD: secrets.DB_PASSWORD,
          RELEASE_LABEL: secrets.RELEASE_LABEL,
        });
        expect(fns.worker!.variables).toMatchObject({
          API_KEY: secrets.API_KEY,
          DB_PASSWORD: secrets.DB_PASSWORD,
          RELEASE_LABEL: secrets.RELEASE_LABEL,
        });
      });

      it('leaves values that are not secrets as written, intrinsics included', () => {
        expect(fns.api!.variables).toMatchObject({ PLAIN: 'plain-provider-value', FN_ONLY: 'function-only-value' });
        expect(fns.worker!.variables.TOPIC_ARN).toEqual({ Ref: 'NotesTopic' });
        expect(fns.worker!.variables.FN_ONLY).toBeUndefined();
      });

      it('resolves ${secret:NAME} in serverless.yml', () => {
        expect(fns.api!.description).toBe(`release ${secrets.RELEASE_LABEL}`);
      });

      it('logs counts and never a value', () => {
        const origin =
          SOURCES[fw.name].overlap === 'runner env' ? 'the environment of stage-secrets run' : 'the stage file';
        expect(result.output).toContain(`stage-secrets: 3 secrets of stage qa from ${origin}`);
        expect(result.output).toContain('set on 2 of 2 functions');
        expectNoValues(result.output, secrets);
      });

      it('invoke local runs the handler with the secrets in its env', async () => {
        const invoked = await runFramework(fw, ['invoke', 'local', '-f', 'api', '--stage', 'qa'], svc.dir, svc.env);
        expect(invoked.code, invoked.output).toBe(0);
        const digest = (v: string) => createHash('sha256').update(v).digest('hex');
        const reported = JSON.parse(
          invoked.stdout.slice(invoked.stdout.indexOf('{'), invoked.stdout.lastIndexOf('}') + 1),
        ) as Record<string, string | null>;
        expect(reported).toEqual({
          API_KEY: digest(secrets.API_KEY),
          DB_PASSWORD: digest(secrets.DB_PASSWORD),
          RELEASE_LABEL: digest(secrets.RELEASE_LABEL),
          PLAIN: digest('plain-provider-value'),
          FN_ONLY: digest('function-only-value'),
        });
      });

      if (fw.name === 'serverless') {
        it('SLS_SET_SECRET_ENVS=false leaves serverless.yml values and says why', async () => {
          const { result: optedOut, template } = await packageService(fw, svc, { SLS_SET_SECRET_ENVS: 'false' });
          expect(optedOut.code, optedOut.output).toBe(0);
          const plain = lambdas(template!, 'overlap-svc', 'qa');
          expect(plain.api!.variables).toEqual({
            API_KEY: 'from-provider-yaml',
            PLAIN: 'plain-provider-value',
            DB_PASSWORD: 'from-function-yaml',
            FN_ONLY: 'function-only-value',
          });
          expect(optedOut.output).toContain('SLS_SET_SECRET_ENVS=false in the environment');
          // ${secret:...} was asked for explicitly, so it still resolves; nothing else of the stage is in the output
          expect(filesContaining(path.join(svc.dir, '.serverless'), secrets.API_KEY)).toEqual([]);
          expect(filesContaining(path.join(svc.dir, '.serverless'), secrets.DB_PASSWORD)).toEqual([]);
        });
      }
    });

    describe(`fixtures/sls-per-function, secrets from the ${SOURCES[fw.name].perFunction}`, () => {
      const secrets = { API_KEY: token('api'), DB_PASSWORD: token('db'), EXTRA_TOKEN: token('extra') };
      let fns: Record<string, LambdaInTemplate>;
      let result: FrameworkResult;

      beforeAll(async () => {
        const svc = await prepareService('sls-per-function', { stage: 'prod', secrets, secretsDir: 'config/secrets' });
        cleanups.push(svc.ws.cleanup);
        ({ result, fns } = await packageFrom(
          fw,
          svc,
          SOURCES[fw.name].perFunction,
          secrets,
          'per-function-svc',
          cleanups,
        ));
      });

      it('a function without a list gets every secret, over provider and function yaml', () => {
        expect(fns.full!.variables).toEqual({ PLAIN: 'plain-provider-value', ...secrets });
      });

      it('a function with a list gets only the listed secrets; other names keep their yaml values', () => {
        expect(fns.apiOnly!.variables).toEqual({
          API_KEY: secrets.API_KEY,
          PLAIN: 'plain-provider-value',
          DB_PASSWORD: 'from-api-only-yaml',
        });
        expect(fns.none!.variables).toEqual({ API_KEY: 'from-provider-yaml', PLAIN: 'plain-provider-value' });
      });

      it('logs which functions got secrets, without values', () => {
        expect(result.output).toContain('set on 2 of 3 functions (2 functions with a secrets list)');
        expectNoValues(result.output, secrets);
      });
    });

    describe('fixtures/sls-opt-out (seed.yml: sls_set_secret_envs: false)', () => {
      const secrets = { API_KEY: token('api'), DB_PASSWORD: token('db') };
      let svc: SlsService;
      let result: FrameworkResult;
      let fns: Record<string, LambdaInTemplate>;

      beforeAll(async () => {
        // the key is there: a plugin that ignored the opt-out could read and leak every value
        svc = await prepareService('sls-opt-out', { stage: 'dev', secrets });
        cleanups.push(svc.ws.cleanup);
        const packaged = await packageService(fw, svc);
        result = packaged.result;
        expect(result.code, result.output).toBe(0);
        fns = lambdas(packaged.template!, 'opt-out-svc', 'dev');
      });

      it('functions keep the values of serverless.yml', () => {
        expect(fns.api!.variables).toEqual({ API_KEY: 'from-provider-yaml', DB_PASSWORD: 'from-function-yaml' });
      });

      it('no secret value is anywhere in .serverless', () => {
        for (const value of Object.values(secrets))
          expect(filesContaining(path.join(svc.dir, '.serverless'), value)).toEqual([]);
      });

      it('the log says why', () => {
        expect(result.output).toContain('functions get no secrets of stage dev (sls_set_secret_envs: false in');
        expect(result.output).toContain(path.join(svc.dir, 'seed.yml'));
      });
    });

    it("the framework's schema checks custom.stageSecrets and the functions' secrets lists", async () => {
      const svc = await prepareService('sls-per-function', { stage: 'dev' });
      cleanups.push(svc.ws.cleanup);
      const file = path.join(svc.dir, 'serverless.yml');
      const yml = fs
        .readFileSync(file, 'utf8')
        .replace('    secrets: []\n', "    secrets: [API_KEY, 'not a name']\n")
        .replace('    dir: config/secrets\n', "    dir: config/secrets\n    setEnvs: 'no'\n    colour: blue\n");
      fs.writeFileSync(file, yml);
      const { result } = await packageService(fw, svc);
      expect(result.code).not.toBe(0);
      expect(result.output).toContain("at 'custom.stageSecrets': unrecognized property 'colour'");
      expect(result.output).toContain("at 'custom.stageSecrets.setEnvs': must be boolean");
      expect(result.output).toContain("at 'functions.none.secrets.1': must match pattern");
    });

    describe('fixtures/sls-env-limit: over 4 KB', () => {
      const secrets = { BLOB: token('blob').padEnd(4050, 'z'), SMALL: token('small') };
      let result: FrameworkResult;
      let template: unknown;

      beforeAll(async () => {
        const svc = await prepareService('sls-env-limit', { stage: 'dev', secrets });
        cleanups.push(svc.ws.cleanup);
        ({ result, template } = await packageService(fw, svc));
      });

      it('fails before packaging, naming the function and its largest variables', () => {
        expect(result.code).not.toBe(0);
        expect(template).toBeUndefined();
        expect(result.output).toMatch(/function api: environment is \d+ bytes, over Lambda's limit of 4096 bytes/);
        // the plugin's record for `status` counts too (a 46-character digest under a 20-character name)
        expect(result.output).toContain(
          'largest variables: BLOB (4054 bytes), STAGE_SECRETS_DIGEST (66 bytes), SERVICE_NOTE (37 bytes).',
        );
      });

      it('names neither the function that stays under the limit nor any value', () => {
        expect(result.output).not.toContain('function worker');
        expectNoValues(result.output, secrets);
      });
    });
  });
}
