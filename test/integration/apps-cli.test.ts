/**
 * The CLI in an app with several services: the stage file found upward from any folder of the app,
 * the app fixed at init (serverless.js and `service: ${...}` resolved by the project's own framework),
 * nothing created by a command that fails, and preview stages through --fallback.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { makeWorkspace, REPO_ROOT, type Workspace } from '../support/cli.js';
import { linkPackage } from '../support/sls-service.js';

/** Every file and folder under `dir`, relative, sorted (to show nothing was created). */
function tree(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter((p) => !p.startsWith('.git') && !p.startsWith('node_modules'))
    .sort();
}

const reportEnv = `console.log(JSON.stringify({ stage: process.env.STAGE_SECRETS_STAGE, keys: process.env.STAGE_SECRETS_KEYS, file: process.env.STAGE_SECRETS_FILE, fallbacks: process.env.STAGE_SECRETS_FALLBACKS ?? null }))`;

describe('one app, several services: commands from any folder of the app', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = makeWorkspace('shop');
    fs.mkdirSync(path.join(ws.dir, '.git'));
    fs.mkdirSync(path.join(ws.dir, 'services/api'), { recursive: true });
    fs.writeFileSync(path.join(ws.dir, 'package.json'), JSON.stringify({ name: 'shop' }));
    fs.writeFileSync(path.join(ws.dir, 'services/api/serverless.yml'), 'service: api-svc\n');
    const init = await ws.run(['init', '--stage', 'dev']);
    expect(init.code, init.stderr).toBe(0);
    expect((await ws.run(['set', '--stage', 'dev', 'API_KEY', 'value-1234567'])).code).toBe(0);
  });
  afterAll(() => ws.cleanup());

  it("a service folder finds the root's secrets/, and the app is the file's (not the service name)", async () => {
    const cwd = path.join(ws.dir, 'services/api');
    const list = await ws.run(['list', '--stage', 'dev', '--json'], { cwd });
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as Array<{ name: string }>).map((s) => s.name)).toEqual(['API_KEY']);
    const set = await ws.run(['set', '--stage', 'dev', 'DB_URL', 'postgres://x'], { cwd });
    expect(set.code, set.stderr).toBe(0);
    expect(fs.existsSync(path.join(cwd, 'secrets'))).toBe(false);
    expect(ws.readStage('dev')).toMatchObject({
      app: 'shop',
      secrets: { DB_URL: expect.any(Object) },
    });
  });

  it('init from a service folder adds the stage to the app found above, with its app name', async () => {
    const cwd = path.join(ws.dir, 'services/api');
    const r = await ws.run(['init', '--stage', 'prod'], { cwd });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `created ${ws.stageFile('prod')} for app shop (from the app's other stage files), stage prod`,
    );
    expect(fs.existsSync(path.join(cwd, 'secrets'))).toBe(false);
  });

  it('an explicit --app that differs from the file is refused; init with it creates nothing', async () => {
    const before = tree(ws.dir);
    const list = await ws.run(['list', '--stage', 'dev', '--app', 'api-svc'], {
      cwd: path.join(ws.dir, 'services/api'),
    });
    expect(list.code).toBe(1);
    expect(list.stderr).toContain('belongs to app "shop", but this is app "api-svc" (from --app)');
    const init = await ws.run(['init', '--stage', 'qa', '--app', 'api-svc'], {
      cwd: path.join(ws.dir, 'services/api'),
    });
    expect(init.code).toBe(1);
    expect(init.stderr).toContain('would join the stages of app "shop"');
    expect(tree(ws.dir)).toEqual(before);
  });

  it('run from a service folder names the stage file it opened (STAGE_SECRETS_FILE)', async () => {
    const r = await ws.run(['run', '--stage', 'dev', '--', process.execPath, '-e', reportEnv], {
      cwd: path.join(ws.dir, 'services/api'),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      stage: 'dev',
      keys: 'API_KEY,DB_URL',
      file: fs.realpathSync(ws.stageFile('dev')),
      fallbacks: null,
    });
  });

  describe('preview stages', () => {
    it('run --fallback: a stage without a file uses the matching stage file; the stage stays itself', async () => {
      const r = await ws.run([
        'run',
        '--stage',
        'pr-7',
        '--fallback',
        'feat-*=prod',
        '--fallback',
        'pr-*=dev',
        '--',
        process.execPath,
        '-e',
        reportEnv,
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({
        stage: 'pr-7',
        keys: 'API_KEY,DB_URL',
        file: fs.realpathSync(ws.stageFile('dev')),
        fallbacks: 'feat-*=prod,pr-*=dev',
      });
      expect(r.stderr).toContain(
        "stage-secrets: stage pr-7 has no stage file; using stage dev's secrets/dev.json (fallback pr-* → dev)",
      );
    });

    it('export takes STAGE_SECRETS_FALLBACKS when no --fallback is given', async () => {
      const r = await ws.run(['export', '--stage', 'pr-9', '--format', 'json'], {
        env: { STAGE_SECRETS_FALLBACKS: 'pr-*=dev' },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ API_KEY: 'value-1234567', DB_URL: 'postgres://x' });
      expect(r.stderr).toContain("stage pr-9 has no stage file; using stage dev's secrets/dev.json");
    });

    it('a stage without a file and without a matching fallback stays an error', async () => {
      const r = await ws.run([
        'run',
        '--stage',
        'staging',
        '--fallback',
        'pr-*=dev',
        '--',
        process.execPath,
        '-e',
        '0',
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('no stage file secrets/staging.json for stage staging');
      expect(r.stderr).toContain('stages there: dev, prod');
    });

    it('refuses a --fallback that is not PATTERN=STAGE with a *', async () => {
      const r = await ws.run(['export', '--stage', 'pr-1', '--format', 'json', '--fallback', 'prod=dev']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('--fallback: "prod" is not a stage pattern; a pattern needs a *');
    });
  });
});

describe('a command that fails creates nothing', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = makeWorkspace('empty');
    fs.mkdirSync(path.join(ws.dir, '.git'));
    fs.mkdirSync(path.join(ws.dir, 'svc'));
  });
  afterAll(() => ws.cleanup());

  it('set, import and list without any stage file say where they looked and leave no folder behind', async () => {
    const cwd = path.join(ws.dir, 'svc');
    const set = await ws.run(['set', '--stage', 'dev', 'A', 'b'], { cwd });
    expect(set.code).toBe(1);
    expect(set.stderr).toContain(
      `no secrets/ folder with a stage file in ${cwd} and each folder above it up to the git root ${ws.dir}`,
    );
    expect(
      (await ws.run(['import', '--stage', 'dev', '--dir', 'config/secrets', '-'], { cwd, input: 'A=b\n' })).code,
    ).toBe(1);
    expect((await ws.run(['list', '--stage', 'dev'], { cwd })).code).toBe(1);
    expect(tree(ws.dir)).toEqual(['svc']);
  });

  it('init whose identity fails removes the folders it made', async () => {
    const r = await ws.run(['init', '--stage', 'dev', '--kms', 'alias/x', '--app', 'a', '--dir', 'config/secrets'], {
      cwd: path.join(ws.dir, 'svc'),
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('no AWS region for KMS key alias/x');
    expect(tree(ws.dir)).toEqual(['svc']);
  });
});

describe('init names the app from the resolved serverless config', () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = makeWorkspace('apps');
    // the framework's compiled config schema, shared by the run (test/support/global-setup.ts)
    ws.env.SLS_SCHEMA_CACHE_BASE_DIR = inject('slsSchemaCacheDir');
    fs.mkdirSync(path.join(ws.dir, '.git'));
    // the project's own framework and this package, found upward from each service as an install would put them
    fs.mkdirSync(path.join(ws.dir, 'node_modules/.bin'), { recursive: true });
    fs.symlinkSync(
      path.join(REPO_ROOT, 'node_modules/serverless/bin/serverless.js'),
      path.join(ws.dir, 'node_modules/.bin/serverless'),
    );
    linkPackage(path.join(ws.dir, 'node_modules/stage-secrets'));
    const write = (file: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(ws.dir, file)), { recursive: true });
      fs.writeFileSync(path.join(ws.dir, file), text);
    };
    const provider = "provider: { name: 'aws', runtime: 'nodejs20.x', environment: { K: '${secret:NOT_YET}' } }";
    write(
      'js-svc/serverless.js',
      `module.exports = { service: 'orders-js', ${provider}, plugins: ['stage-secrets/plugin'], functions: {} };\n`,
    );
    write('js-svc/package.json', JSON.stringify({ name: 'not-the-app' }));
    write(
      'var-svc/serverless.yml',
      'service: ${self:custom.name}\ncustom:\n  name: orders-var\nprovider:\n  name: aws\n  runtime: nodejs20.x\n',
    );
    write('ts-svc/serverless.ts', "export default { service: 'orders-ts', provider: { name: 'aws' } };\n");
    write('ts-svc/package.json', JSON.stringify({ name: 'not-the-app' }));
  });
  afterAll(() => ws.cleanup());

  it('serverless.js: the service the framework resolves, not the package.json name (print resolves no secret)', async () => {
    const r = await ws.run(['init', '--stage', 'dev'], { cwd: path.join(ws.dir, 'js-svc'), timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'for app orders-js (from service in serverless.js (resolved by serverless print)), stage dev',
    );
    expect(JSON.parse(fs.readFileSync(path.join(ws.dir, 'js-svc/secrets/dev.json'), 'utf8')).app).toBe('orders-js');
  });

  it('service: ${self:custom.name} in serverless.yml', async () => {
    const r = await ws.run(['init', '--stage', 'dev'], { cwd: path.join(ws.dir, 'var-svc'), timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(ws.dir, 'var-svc/secrets/dev.json'), 'utf8')).app).toBe('orders-var');
  });

  it("a config the framework cannot resolve is refused with the framework's reason, asking for --app; nothing created", async () => {
    const cwd = path.join(ws.dir, 'ts-svc');
    const r = await ws.run(['init', '--stage', 'dev'], { cwd, timeoutMs: 120_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'cannot tell the app name: serverless print could not resolve the service of serverless.ts (',
    );
    expect(r.stderr).toContain('ts-node');
    expect(r.stderr).toContain('Pass --app NAME');
    expect(fs.existsSync(path.join(cwd, 'secrets'))).toBe(false);
    const explicit = await ws.run(['init', '--stage', 'dev', '--app', 'orders-ts'], { cwd });
    expect(explicit.code, explicit.stderr).toBe(0);
  });
});
