/**
 * The package as a user gets it: `npm pack`, then `npm install <tarball>` into a fresh app. The bin,
 * every export and the plugin inside the real `serverless package` must work from that install alone.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, readOnlyLocalKey, REPO_ROOT, type Workspace } from '../support/cli.js';
import { FRAMEWORKS, lambdas, runFramework, type Template } from '../support/sls-service.js';

const exec = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let ws: Workspace;
let app: string;
let bin: string;
let keyEnv: NodeJS.ProcessEnv;

const SERVERLESS_YML = `service: tarball-app
provider:
  name: aws
  runtime: nodejs22.x
  environment:
    LOG_LEVEL: info
plugins:
  - stage-secrets/plugin
functions:
  hello:
    handler: handler.hello
`;

beforeAll(async () => {
  ws = makeWorkspace('tarball-app');
  app = ws.dir;
  fs.mkdirSync(path.join(path.dirname(app), '.git'));
  const packDir = path.join(path.dirname(app), 'pack');
  fs.mkdirSync(packDir);
  // dist/ is built by `npm test`'s pretest; packing again through prepare would only rebuild it
  const { stdout } = await exec(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], {
    cwd: REPO_ROOT,
  });
  const tarball = path.join(packDir, (JSON.parse(stdout) as Array<{ filename: string }>)[0]!.filename);
  fs.writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({ name: 'tarball-app', version: '1.0.0', private: true }),
  );
  fs.writeFileSync(path.join(app, 'serverless.yml'), SERVERLESS_YML);
  fs.writeFileSync(path.join(app, 'handler.js'), 'module.exports.hello = async () => ({ statusCode: 200 });\n');
  await exec(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--save-dev', tarball], {
    cwd: app,
    env: ws.env,
  });
  bin = path.join(app, 'node_modules', '.bin', 'stage-secrets');
  const cli = (args: string[], input?: string) => runCliAt(bin, args, input);
  expect((await cli(['init', '--stage', 'dev', '--local'])).code).toBe(0);
  expect((await cli(['set', '--stage', 'dev', 'API_TOKEN'], 'tok-from-tarball-123')).code).toBe(0);
  keyEnv = { STAGE_SECRETS_KEY_DEV: readOnlyLocalKey(ws) };
}, 240_000);

afterAll(() => ws?.cleanup());

/** Runs the installed bin the way npx would: through its node_modules/.bin link. */
function runCliAt(file: string, args: string[], input?: string, env: NodeJS.ProcessEnv = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    execFile(file, args, { cwd: app, env: { ...ws.env, ...env } }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    }).stdin?.end(input ?? '');
  });
}

describe('installed from the packed tarball', () => {
  it('ships the built files and no sources or tests', () => {
    const root = path.join(app, 'node_modules', 'stage-secrets');
    expect(fs.existsSync(path.join(root, 'dist', 'cli.mjs'))).toBe(true);
    expect(fs.existsSync(path.join(root, 'dist', 'src', 'index.js'))).toBe(true);
    expect(fs.existsSync(path.join(root, 'dist', 'src', 'index.d.ts'))).toBe(true);
    // runtime mode copies one of these into each function's package (the ES module one for serverless-esbuild)
    expect(fs.existsSync(path.join(root, 'dist', 'runtime', 'stage-secrets-runtime.cjs'))).toBe(true);
    expect(fs.existsSync(path.join(root, 'dist', 'runtime', 'stage-secrets-runtime.mjs'))).toBe(true);
    expect(fs.existsSync(path.join(root, 'src'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'test'))).toBe(false);
  });

  it('runs the bin: version, and run with the secret in the env, masked', async () => {
    const version = await runCliAt(bin, ['--version']);
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(pkg.version);
    const run = await runCliAt(
      bin,
      [
        'run',
        '--stage',
        'dev',
        '--',
        process.execPath,
        '-e',
        'console.log("len", process.env.API_TOKEN.length, process.env.API_TOKEN)',
      ],
      undefined,
      keyEnv,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('len 20 ***\n');
  });

  it('imports every export, and the library opens the stage', async () => {
    const script = `
      const lib = await import('stage-secrets');
      const sst = await import('stage-secrets/sst');
      const client = await import('stage-secrets/client');
      const plugin = await import('stage-secrets/plugin');
      const loaded = await lib.loadSecrets({ stage: 'dev' });
      const fromClient = await new client.SecretClient({ stage: 'dev' }).readSecret('API_TOKEN');
      const env = await sst.secretEnv({ stage: 'dev' });
      console.log(JSON.stringify({
        lib: Object.keys(lib).sort(),
        sst: Object.keys(sst).sort(),
        client: Object.keys(client).sort(),
        plugin: typeof plugin.default,
        source: lib.describeSource(loaded.source),
        same: loaded.values.get('API_TOKEN').text === fromClient && env.API_TOKEN === fromClient,
        version: JSON.parse(require('node:fs').readFileSync(require.resolve('stage-secrets/package.json'), 'utf8')).version,
      }));`;
    const file = path.join(app, 'imports.mjs');
    fs.writeFileSync(
      file,
      `import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n${script}\n`,
    );
    const r = await exec(process.execPath, [file], { cwd: app, env: { ...ws.env, ...keyEnv } });
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out.lib).toEqual(
      expect.arrayContaining(['StageSecretsError', 'describeSource', 'listSecrets', 'loadSecrets', 'verifyStage']),
    );
    expect(out.sst).toEqual(['secretEnv', 'secretEnvSync', 'transformFunctionEnv']);
    expect(out.client).toEqual(expect.arrayContaining(['SecretClient', 'SecretError']));
    expect(out.plugin).toBe('function');
    expect(out.source).toMatch(/^the stage file secrets\/dev\.json \(identity local:/);
    expect(out.same).toBe(true);
    expect(out.version).toBe(
      (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version,
    );
  });

  it('loads the plugin from the install in the real serverless package', async () => {
    const fw = FRAMEWORKS.find((f) => f.name === 'serverless')!;
    const env = {
      ...ws.env,
      ...keyEnv,
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'y',
      AWS_REGION: 'us-east-1',
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
    };
    const result = await runFramework(fw, ['package', '--stage', 'dev'], app, env);
    expect(result.code, result.output).toBe(0);
    const template = JSON.parse(
      fs.readFileSync(path.join(app, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8'),
    ) as Template;
    expect(lambdas(template, 'tarball-app', 'dev').hello!.variables).toEqual({
      LOG_LEVEL: 'info',
      API_TOKEN: 'tok-from-tarball-123',
    });
    expect(result.output).not.toContain('tok-from-tarball-123');
  });
});
