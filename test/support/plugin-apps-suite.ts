/**
 * Seed's model in the real frameworks: one app (fixtures/sls-app) with a shared secrets/ at the
 * repository root and two services (svc-a/serverless.yml, svc-b/serverless.js), plus a second app
 * nested in the same tree (other-app/, with its own secrets/ and svc-c). Packaged offline from each
 * service folder, under `stage-secrets run` started at the root and in a service, and across apps.
 * Run by test/integration/plugin-apps-*.test.ts, a file per framework.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, REPO_ROOT, type CliResult, type Workspace } from './cli.js';
import { expectNoValues, token } from './plugin-package-suite.js';
import {
  filesContaining,
  frameworkEnv,
  lambdas,
  linkPackage,
  runFramework,
  type Framework,
  type FrameworkResult,
  type Template,
} from './sls-service.js';

export interface PreparedApp {
  ws: Workspace;
  /** the repository root (app "shop") */
  root: string;
  env: NodeJS.ProcessEnv;
  shop: Record<string, string>;
  other: Record<string, string>;
}

async function cli(ws: Workspace, args: string[], cwd: string, input?: string): Promise<CliResult> {
  const r = await ws.run(args, { cwd, input });
  if (r.code !== 0) throw new Error(`stage-secrets ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r;
}

/** The fixture in a temp git repository, both apps initialised from their own folders with local keys (key files: two apps, one stage name). */
export async function prepareApp(): Promise<PreparedApp> {
  const ws = makeWorkspace('sls-app');
  const root = ws.dir;
  fs.cpSync(path.join(REPO_ROOT, 'fixtures', 'sls-app'), root, { recursive: true });
  fs.mkdirSync(path.join(root, '.git'));
  linkPackage(path.join(root, 'node_modules', 'stage-secrets'));
  const shop = {
    A_ONLY_SECRET: token('a'),
    B_ONLY_SECRET: token('b'),
    SHARED_TOKEN: token('shared'),
    DYNAMODB_TABLE: token('table'),
  };
  const other = { OTHER_ONLY_SECRET: token('other') };
  const dotenv = (values: Record<string, string>) =>
    Object.entries(values)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n');
  // the app's name comes from the root package.json; the second app needs its own folder (--dir) and gets the folder name
  const init = await cli(ws, ['init', '--stage', 'dev'], root);
  expect(init.stderr).toContain('created secrets/dev.json for app shop (from name in package.json)');
  await cli(ws, ['import', '--stage', 'dev', '-'], path.join(root, 'svc-a'), dotenv(shop)); // a subfolder finds ../secrets
  await cli(ws, ['init', '--stage', 'dev', '--dir', 'secrets'], path.join(root, 'other-app'));
  await cli(ws, ['import', '--stage', 'dev', '-'], path.join(root, 'other-app', 'svc-c'), dotenv(other));
  return { ws, root, env: frameworkEnv(ws), shop, other };
}

function template(dir: string): Template {
  return JSON.parse(
    fs.readFileSync(path.join(dir, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
}

/** `serverless package` in a service folder; the Lambda variables by function name when it worked. */
async function packaged(
  fw: Framework,
  app: PreparedApp,
  service: string,
  stage = 'dev',
  extraEnv: NodeJS.ProcessEnv = {},
) {
  const dir = path.join(app.root, service);
  fs.rmSync(path.join(dir, '.serverless'), { recursive: true, force: true });
  const result = await runFramework(fw, ['package', '--stage', stage], dir, { ...app.env, ...extraEnv });
  const name = path.basename(service);
  return { result, dir, fns: result.code === 0 ? lambdas(template(dir), name, stage) : undefined };
}

/** `stage-secrets run` started in `from`, running `cd service && serverless package` under it. */
async function packagedUnderRun(
  fw: Framework,
  app: PreparedApp,
  from: string,
  service: string,
  runArgs: string[] = ['--stage', 'dev'],
  stage = 'dev',
) {
  const dir = path.join(app.root, service);
  fs.rmSync(path.join(dir, '.serverless'), { recursive: true, force: true });
  const script = `cd "${dir}" && "${process.execPath}" "${fw.bin}" package --stage ${stage}`;
  const result = await app.ws.run(['run', ...runArgs, '--', 'sh', '-c', script], {
    cwd: path.join(app.root, from),
    env: app.env,
    timeoutMs: 120_000,
  });
  const output = `${result.stdout}\n${result.stderr}`;
  return { result, output, fns: result.code === 0 ? lambdas(template(dir), path.basename(service), stage) : undefined };
}

export function describeAppPackaging(fw: Framework): void {
  describe(`several services in one app, in '${fw.name}' '${fw.version}'`, () => {
    let app: PreparedApp;
    beforeAll(async () => {
      app = await prepareApp();
    });
    afterAll(() => app?.ws.cleanup());

    describe('svc-a (serverless.yml) packaged in its folder', () => {
      let result: FrameworkResult;
      let fns: Record<string, { variables: Record<string, unknown> }>;
      let dir: string;
      beforeAll(async () => {
        const p = await packaged(fw, app, 'svc-a');
        expect(p.result.code, p.result.output).toBe(0);
        ({ result, dir } = p);
        fns = p.fns!;
      });

      it("gets every secret of the app's shared stage file, with no stage-secrets settings", () => {
        expect(fns.api!.variables).toEqual({ ...app.shop, PLAIN: 'plain-a', WITH_FALLBACK: 'fallback-a' });
        expect(result.output).toContain(
          `4 secrets of stage dev from the stage file ${path.join(fs.realpathSync(app.root), 'secrets', 'dev.json')}`,
        );
        expect(result.output).toContain(', app shop, set on 1 of 1 function');
      });

      it("${secret:NOPE, 'fallback-a'} takes the framework's fallback", () => {
        expect(fns.api!.variables.WITH_FALLBACK).toBe('fallback-a');
      });

      it('names the yaml variable a secret replaced and warns about the places that still read the yaml value', () => {
        expect(result.output).toContain(
          'stage-secrets: secrets replace the serverless.yml values of provider.environment.DYNAMODB_TABLE',
        );
        expect(result.output).toMatch(
          /serverless\.yml reads provider\.environment\.DYNAMODB_TABLE through \$\{self:provider\.environment\.DYNAMODB_TABLE\} \(lines 20, 44\), but a secret replaces it/,
        );
        const table = Object.values(template(dir).Resources).find((r) => r.Type === 'AWS::DynamoDB::Table')!;
        expect(table.Properties.TableName).toBe('svc-a-dev');
        expectNoValues(result.output, { ...app.shop, ...app.other });
      });
    });

    it('svc-b (serverless.js) gets only what custom.stageSecrets.secrets lists', async () => {
      const { result, fns } = await packaged(fw, app, 'svc-b');
      expect(result.code, result.output).toBe(0);
      expect(fns!.worker!.variables).toEqual({
        PLAIN: 'plain-b',
        B_ONLY_SECRET: app.shop.B_ONLY_SECRET,
        SHARED_TOKEN: app.shop.SHARED_TOKEN,
      });
      expect(result.output).toContain('app shop (custom.stageSecrets.secrets: 2 names), set on 1 of 1 function');
      expect(filesContaining(path.join(app.root, 'svc-b', '.serverless'), app.shop.A_ONLY_SECRET)).toEqual([]);
    });

    it("svc-c of the second app gets its own app's secrets, never the root app's", async () => {
      const { result, fns } = await packaged(fw, app, 'other-app/svc-c');
      expect(result.code, result.output).toBe(0);
      expect(fns!.job!.variables).toEqual({ PLAIN: 'plain-c', ...app.other });
      expect(result.output).toContain(', app other-app, set on');
    });

    it('under run started at the repository root, a service takes the run env', async () => {
      const { result, output, fns } = await packagedUnderRun(fw, app, '.', 'svc-a');
      expect(result.code, output).toBe(0);
      expect(output).toContain('4 secrets of stage dev from the environment of stage-secrets run');
      expect(fns!.api!.variables).toMatchObject(app.shop);
    });

    it('under run started in the service folder, the same', async () => {
      const { result, output, fns } = await packagedUnderRun(fw, app, 'svc-b', 'svc-b');
      expect(result.code, output).toBe(0);
      expect(output).toContain('secrets of stage dev from the environment of stage-secrets run');
      expect(fns!.worker!.variables).toEqual({
        PLAIN: 'plain-b',
        B_ONLY_SECRET: app.shop.B_ONLY_SECRET,
        SHARED_TOKEN: app.shop.SHARED_TOKEN,
      });
    });

    it('under run of the second app, a service of the first is refused, naming both files (no template)', async () => {
      const { result, output, fns } = await packagedUnderRun(fw, app, 'other-app/svc-c', 'svc-a');
      expect(result.code).not.toBe(0);
      expect(fns).toBeUndefined();
      const real = fs.realpathSync(app.root);
      expect(output).toContain(
        `stage-secrets run opened ${path.join(real, 'other-app', 'secrets', 'dev.json')}, but from ${path.join(app.root, 'svc-a')} the stage file for stage dev is ${path.join(real, 'secrets', 'dev.json')}`,
      );
      expect(
        fs.existsSync(path.join(app.root, 'svc-a', '.serverless', 'cloudformation-template-update-stack.json')),
      ).toBe(false);
    });

    it('a preview stage pr-7 packages through custom.stageSecrets.fallbacks, and the log says which file', async () => {
      const { result, fns } = await packaged(fw, app, 'svc-a', 'pr-7');
      expect(result.code, result.output).toBe(0);
      expect(fns!.api!.variables).toMatchObject(app.shop);
      expect(result.output).toContain("stage-secrets: stage pr-7 has no stage file; using stage dev's");
      expect(result.output).toContain('(fallback pr-* → dev)');
    });

    if (fw.name === 'osls') {
      it('under run --fallback, a service without fallbacks of its own follows run (STAGE_SECRETS_FALLBACKS)', async () => {
        const { result, output, fns } = await packagedUnderRun(
          fw,
          app,
          '.',
          'svc-b',
          ['--stage', 'pr-7', '--fallback', 'pr-*=dev'],
          'pr-7',
        );
        expect(result.code, output).toBe(0);
        expect(output).toContain(
          "stage-secrets: stage pr-7 has no stage file; using stage dev's secrets/dev.json (fallback pr-* → dev)",
        );
        expect(fns!.worker!.variables).toMatchObject({ B_ONLY_SECRET: app.shop.B_ONLY_SECRET });
      });

      it('a stage with no file and no matching fallback stays an error', async () => {
        const { result } = await packaged(fw, app, 'other-app/svc-c', 'pr-7');
        expect(result.code).not.toBe(0);
        expect(result.output).toContain('no stage file');
        expect(result.output).toContain('for stage pr-7');
      });
    }

    if (fw.name === 'serverless') {
      it('${secret:NOPE} without a fallback fails with our message', async () => {
        const file = path.join(app.root, 'svc-c-copy', 'serverless.yml');
        fs.cpSync(path.join(app.root, 'other-app', 'svc-c'), path.dirname(file), { recursive: true });
        fs.appendFileSync(file, '    environment:\n      MISSING: ${secret:NOPE}\n');
        const { result } = await packaged(fw, app, 'svc-c-copy');
        expect(result.code).not.toBe(0);
        expect(result.output).toContain(
          'stage dev has no secret named NOPE; add it with: npx --no-install stage-secrets set --stage dev NOPE',
        );
      });

      it('a typo in custom.stageSecrets (setEnv: false) is refused by the plugin, not just warned about', async () => {
        const file = path.join(app.root, 'svc-typo', 'serverless.yml');
        fs.cpSync(path.join(app.root, 'other-app', 'svc-c'), path.dirname(file), { recursive: true });
        fs.appendFileSync(file, '\ncustom:\n  stageSecrets:\n    setEnv: false\n');
        const { result } = await packaged(fw, app, 'svc-typo');
        expect(result.code).not.toBe(0);
        expect(result.output).toContain('custom.stageSecrets has unknown key setEnv (did you mean setEnvs?)');
        expect(
          fs.existsSync(path.join(app.root, 'svc-typo', '.serverless', 'cloudformation-template-update-stack.json')),
        ).toBe(false);
        expectNoValues(result.output, { ...app.shop, ...app.other });
      });
    }
  });
}
