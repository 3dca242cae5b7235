/**
 * The contract inside the real frameworks (fixtures/sls-contract): packaging stops before anything is
 * written when the stage lacks a name the code reads, `secrets: auto` gives each function exactly the
 * names its code reads (env mode: the template; runtime mode: the sealed file in its package), and a
 * read the function's list withholds is a warning. Run by test/integration/contract-package-*.test.ts.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kmsEnv, startKmsServer } from './kms-server.js';
import { expectNoValues, token } from './plugin-package-suite.js';
import { packageRuntimeService, type RuntimeService } from './runtime-mode-suite.js';
import {
  lambdas,
  packageService,
  prepareService,
  type Framework,
  type FrameworkResult,
  type LambdaInTemplate,
  type SlsService,
} from './sls-service.js';

const FIXTURE = 'sls-contract';
const RUNTIME = (yml: string) => yml.replace('plugins:\n', 'custom:\n  stageSecrets:\n    mode: runtime\n\nplugins:\n');

const allSecrets = () => ({
  API_KEY: token('api'),
  DB_PASSWORD: token('db'),
  QUEUE_URL: token('queue'),
  UNUSED_SECRET: token('unused'),
});

/** A second stage file (prod) that has API_KEY, so API_KEY is a secret of the app while dev lacks it. */
async function addProdWithApiKey(svc: SlsService): Promise<void> {
  for (const args of [
    ['init', '--stage', 'prod', '--local'],
    ['set', '--stage', 'prod', 'API_KEY', token('prod')],
  ]) {
    const r = await svc.ws.run(args, { cwd: svc.dir });
    expect(r.code, r.stderr).toBe(0);
  }
}

function sealedNames(rt: RuntimeService, fn: string): string[] {
  const file = path.join(rt.fns[fn]!.taskRoot, '.stage-secrets-runtime', fn, 'sealed.json');
  return Object.keys(
    (JSON.parse(fs.readFileSync(file, 'utf8')) as { secrets: Record<string, unknown> }).secrets,
  ).sort();
}

function expectRefusal(result: FrameworkResult, template: unknown, svc: SlsService): void {
  expect(result.code).not.toBe(0);
  expect(template).toBeUndefined();
  expect(result.output).toContain('stage-secrets: stage dev lacks a secret the code needs:');
  expect(result.output).toContain('function api needs API_KEY (process.env.API_KEY, src/config.js:3)');
  expect(result.output).toContain('function narrow needs API_KEY (process.env.API_KEY, src/narrow.js:2)');
  expect(result.output).toContain('npx --no-install stage-secrets set --stage dev API_KEY');
  expect(fs.existsSync(path.join(svc.dir, '.stage-secrets-runtime'))).toBe(false);
  expect(fs.existsSync(path.join(svc.dir, '.serverless', 'cloudformation-template-update-stack.json'))).toBe(false);
}

export function describeContractPackaging(fw: Framework): void {
  describe(`contract at package time in '${fw.name}' '${fw.version}' (fixtures/${FIXTURE})`, () => {
    const cleanups: Array<() => unknown> = [];
    afterAll(async () => {
      for (const c of cleanups) await c();
    });

    describe('env mode, every name in the stage', () => {
      const secrets = allSecrets();
      let result: FrameworkResult;
      let fns: Record<string, LambdaInTemplate>;
      beforeAll(async () => {
        const svc = await prepareService(FIXTURE, { stage: 'dev', secrets });
        cleanups.push(svc.ws.cleanup);
        const packaged = await packageService(fw, svc);
        result = packaged.result;
        expect(result.code, result.output).toBe(0);
        fns = lambdas(packaged.template!, 'contract-svc', 'dev');
      });

      it('secrets: auto gives the function exactly the secret names its code reads', () => {
        expect(fns.worker!.variables).toEqual({ PLAIN: 'plain-provider-value', QUEUE_URL: secrets.QUEUE_URL });
        expect(Object.keys(fns.api!.variables).sort()).toEqual([
          'API_KEY',
          'DB_PASSWORD',
          'PLAIN',
          'QUEUE_URL',
          'UNUSED_SECRET',
        ]);
        expect(fns.narrow!.variables).toEqual({ PLAIN: 'plain-provider-value', API_KEY: secrets.API_KEY });
      });

      it('the log names what each auto function got and warns about the withheld read, without values', () => {
        expect(result.output).toContain('stage-secrets: secrets: auto: worker gets QUEUE_URL');
        expect(result.output).toContain(
          'function narrow reads DB_PASSWORD (src/narrow.js:2), which its secrets list leaves out: it sees undefined there.',
        );
        expectNoValues(result.output, secrets);
      });
    });

    it('env mode: a stage without a name the code reads stops packaging, naming function, name and line', async () => {
      const { API_KEY: _, ...rest } = allSecrets();
      const svc = await prepareService(FIXTURE, { stage: 'dev', secrets: rest });
      cleanups.push(svc.ws.cleanup);
      await addProdWithApiKey(svc);
      const { result, template } = await packageService(fw, svc);
      expectRefusal(result, template, svc);
      expectNoValues(result.output, rest);
    });

    it('env mode: a name the code reads, removed from every stage with rm --force, still stops packaging (git history)', async () => {
      const svc = await prepareService(FIXTURE, { stage: 'dev', secrets: allSecrets() });
      cleanups.push(svc.ws.cleanup);
      // a real repository around the app (prepareService marks the git root with an empty .git)
      const root = path.dirname(svc.ws.dir);
      fs.rmSync(path.join(root, '.git'), { recursive: true, force: true });
      const git = (...args: string[]) => {
        const r = spawnSync('git', args, {
          cwd: root,
          env: { ...svc.ws.env, GIT_CONFIG_NOSYSTEM: '1' },
          encoding: 'utf8',
        });
        expect(r.status, r.stderr).toBe(0);
      };
      git('init', '-q', '-b', 'main');
      git('-c', 'user.name=T', '-c', 'user.email=t@example.com', 'add', '-A', svc.ws.dir);
      git('-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-qm', 'base');
      // QUEUE_URL: read by worker only (secrets: auto), declared nowhere: after this, only history knows it
      const rm = await svc.ws.run(['rm', '--stage', 'dev', 'QUEUE_URL', '--force'], { cwd: svc.dir });
      expect(rm.code, rm.stderr).toBe(0);
      const { result, template } = await packageService(fw, svc);
      expect(result.code).not.toBe(0);
      expect(template).toBeUndefined();
      expect(result.output).toContain('stage-secrets: stage dev lacks a secret the code needs:');
      expect(result.output).toContain('function worker needs QUEUE_URL (process.env.QUEUE_URL, src/worker.js:2)');
    });

    describe('runtime mode, every name in the stage', () => {
      let rt: RuntimeService;
      beforeAll(async () => {
        rt = await packageRuntimeService(fw, FIXTURE, { stage: 'dev', secrets: allSecrets(), edit: RUNTIME });
        cleanups.push(() => rt.cleanup());
      });

      it("secrets: auto: the function's package holds exactly the sealed names its code reads", () => {
        expect(sealedNames(rt, 'worker')).toEqual(['QUEUE_URL']);
        expect(sealedNames(rt, 'narrow')).toEqual(['API_KEY']);
        expect(sealedNames(rt, 'api')).toEqual(['API_KEY', 'DB_PASSWORD', 'QUEUE_URL', 'UNUSED_SECRET']);
        expect(rt.result.output).toContain('stage-secrets: secrets: auto: worker gets QUEUE_URL');
      });

      it('the auto function opens its one secret at cold start', async () => {
        const run = await rt.invoke('worker', [{}]);
        expect(run.initError, run.stderr).toBeUndefined();
        expect(run.invocations[0]!.value).toEqual({ queue: rt.secrets.QUEUE_URL!.length, mode: 'none' });
      });
    });

    it('runtime mode: a stage without a name the code reads stops packaging before a file is written', async () => {
      const kms = await startKmsServer();
      cleanups.push(() => kms.close());
      kms.createKey({ alias: 'alias/contract' });
      const { API_KEY: _, ...rest } = allSecrets();
      const svc = await prepareService(FIXTURE, {
        stage: 'dev',
        secrets: rest,
        identity: { args: ['--kms', 'alias/contract'], env: kmsEnv(kms) },
      });
      cleanups.push(svc.ws.cleanup);
      const file = path.join(svc.dir, 'serverless.yml');
      fs.writeFileSync(file, RUNTIME(fs.readFileSync(file, 'utf8')));
      await addProdWithApiKey(svc);
      const { result, template } = await packageService(fw, svc);
      expectRefusal(result, template, svc);
    });
  });
}
