/**
 * The plugin as Serverless v4 calls it. v4 cannot run here: its CLI checks a licence or a login online
 * before any command in a service, `package` included (notes/serverless-v4.md). So each test calls the
 * built plugin exactly the way v4's source does, and cites it: github serverless/serverless at commit
 * b9d7ea51c ("v4 source" below), packages/sf-core (the CLI shell) and packages/serverless (the framework).
 * What v3 and osls do is covered by the packaging tests with the real frameworks.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.js';
import { kmsEnv, startKmsServer, type KmsServer } from '../support/kms-server.js';
import { invokeLambda } from '../support/lambda-invoke.js';
import { makeTempRepo, type TempRepo } from '../support/temp-repo.js';
import { initStage } from '../../src/stages/init.js';
import { setSecrets } from '../../src/stages/secrets.js';

type Hook = () => Promise<void>;
interface PluginInstance {
  hooks: Record<string, Hook>;
  configurationVariablesSources: { secret: { resolve(input: unknown): Promise<{ value: unknown } | undefined> } };
}
type PluginClass = new (serverless: unknown, options: Record<string, unknown>, utils: unknown) => PluginInstance;

const digest = (v: string) => createHash('sha256').update(v).digest('hex');
const SECRETS = { API_KEY: `api-${digest('v4').slice(0, 12)}`, DB_PASSWORD: `db-${digest('v4db').slice(0, 12)}` };

let Plugin: PluginClass;
let kms: KmsServer;
let repo: TempRepo;
let awsEnv: NodeJS.ProcessEnv;
const savedEnv = { ...process.env };

beforeAll(async () => {
  // the built plugin, as a service's `plugins:` entry loads it (v4 source: packages/serverless/lib/classes/plugin-manager.js)
  Plugin = (await import(path.join(REPO_ROOT, 'dist/plugin/index.js'))).default as PluginClass;
  kms = await startKmsServer();
  kms.createKey({ alias: 'alias/v4' });
  repo = makeTempRepo('v4', 'svc');
  awsEnv = { ...kmsEnv(kms), XDG_CONFIG_HOME: repo.env.XDG_CONFIG_HOME };
  // the plugin reads the framework's process env, as it does inside serverless (and the SDK reads it too)
  Object.assign(process.env, awsEnv);
  const opts = { stage: 'dev', app: 'v4-svc', cwd: repo.root, env: awsEnv };
  await initStage(opts, [{ type: 'aws-kms', keyId: 'alias/v4' } as never]);
  await setSecrets(opts, [
    { name: 'API_KEY', type: 'string', value: SECRETS.API_KEY },
    { name: 'DB_PASSWORD', type: 'string', value: SECRETS.DB_PASSWORD },
  ]);
});

afterAll(async () => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  await kms?.close();
  repo?.cleanup();
});

class FrameworkError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

interface ServiceShape {
  provider: { environment?: Record<string, string>; [key: string]: unknown };
  functions: Record<string, { handler: string; environment?: Record<string, string> }>;
  [key: string]: unknown;
}

interface Logged {
  notices: string[];
  warnings: string[];
}

/** A service folder with its own files, in the temp repository (the stage is found upward, at its root). */
function serviceFolder(name: string, files: Record<string, string>): string {
  const dir = path.join(repo.root, name);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

/**
 * The Serverless instance as v4 builds it (v4 source: packages/serverless/lib/serverless.js:66-121):
 * `credentialProviders` and the org fields from the shell, `configurationFilename` from sf-core's
 * `serviceConfigFileName: path.parse(this.configFilePath).name` (sf-core/src/lib/runners/framework.js:125),
 * so `serverless`, no extension. `builtInEsbuild` adds v4's own esbuild plugin to the loaded plugins
 * (packages/serverless/lib/plugins/esbuild/index.js:178-213, the only one with `before:esbuild-package`).
 */
function v4Serverless(serviceDir: string, service: Record<string, unknown>, opts: { builtInEsbuild?: boolean } = {}) {
  const esbuildPlugin = {
    hooks: { 'before:package:createDeploymentArtifacts': async () => {}, 'before:esbuild-package': async () => {} },
  };
  return {
    version: '4.41.0',
    credentialProviders: undefined,
    orgId: null,
    orgName: null,
    accessKey: null,
    serviceDir,
    configurationFilename: 'serverless',
    processedInput: { commands: ['package'], options: { stage: 'dev' } },
    service: {
      ...service,
      provider: { name: 'aws', runtime: 'nodejs22.x', ...(service.provider as object) },
    } as unknown as ServiceShape,
    pluginManager: { plugins: opts.builtInEsbuild ? [esbuildPlugin] : [] },
    configSchemaHandler: { defineCustomProperties() {}, defineFunctionProperties() {} },
    classes: { Error: FrameworkError },
    getProvider: () => ({ getStage: () => 'dev' }),
  };
}

function pluginFor(serverless: unknown): { plugin: PluginInstance; logged: Logged } {
  const logged: Logged = { notices: [], warnings: [] };
  // the constructor's third argument (v4 source: packages/serverless/lib/classes/plugin-manager.js, `{ log, progress, writeText }`)
  const log = { notice: (m: string) => logged.notices.push(m), warning: (m: string) => logged.warnings.push(m) };
  const plugin = new Plugin(serverless, { stage: 'dev' }, { log, progress: {}, writeText: () => {} });
  return { plugin, logged };
}

/**
 * How v4 calls a plugin's variable source (v4 source: packages/sf-core/src/lib/resolvers/providers.js:218-226):
 * `resolveFunc({ address: key, params, options: this.options, resolveConfigurationProperty, resolveVariable })`,
 * then `return result?.value`: a `null` goes on to the variable's fallback, and the source's own
 * `eventualErrorMessage` is dropped.
 */
async function resolveAsV4(
  plugin: PluginInstance,
  key: string,
  config: Record<string, unknown>,
  options: Record<string, unknown>,
  resolveVariable?: (v: string) => Promise<unknown>,
): Promise<unknown> {
  const resolveConfigurationProperty = async (keys: string[]) =>
    keys.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], config);
  const result = await plugin.configurationVariablesSources.secret.resolve({
    address: key,
    params: undefined,
    options,
    resolveConfigurationProperty,
    resolveVariable,
  });
  return result?.value;
}

describe('Serverless v4 calling conventions', () => {
  it('configurationFilename without its extension: the plugin probes the known names and reads serverless.yml', async () => {
    const yml = [
      'service: v4-svc',
      'provider:',
      '  name: aws',
      '  environment:',
      '    API_KEY: from-yaml',
      'functions:',
      '  hello:',
      '    handler: handler.main',
      '    environment:',
      '      COPY: ${self:provider.environment.API_KEY}',
      '',
    ].join('\n');
    const dir = serviceFolder('conf', { 'serverless.yml': yml, 'handler.js': 'exports.main = async () => 1;\n' });
    const sls = v4Serverless(dir, {
      service: 'v4-svc',
      provider: { environment: { API_KEY: 'from-yaml' } },
      functions: { hello: { handler: 'handler.main', environment: { COPY: 'from-yaml' } } },
    });
    const { plugin, logged } = pluginFor(sls);
    await plugin.hooks['before:package:initialize']!();
    // the warning about places that still read the replaced yaml value comes from reading serverless.yml
    expect(logged.warnings.join('\n')).toMatch(
      /serverless\.yml reads provider\.environment\.API_KEY through \$\{self:provider\.environment\.API_KEY\}/,
    );
    expect(sls.service.functions.hello!.environment!.COPY).toBe('from-yaml');
    expect(digest(String(sls.service.provider.environment!.API_KEY))).toBe(digest(SECRETS.API_KEY));
  });

  it('a missing ${secret:NAME} resolves to null (the fallback applies) and the plugin logs the hint v4 would drop', async () => {
    const dir = serviceFolder('vars', { 'serverless.yml': 'service: v4-svc\n' });
    const { plugin, logged } = pluginFor(v4Serverless(dir, { service: 'v4-svc' }));
    const config = { service: 'v4-svc' };
    const stage = async (v: string) => (v === 'sls:stage' ? 'dev' : undefined);
    expect(digest(String(await resolveAsV4(plugin, 'API_KEY', config, {}, stage)))).toBe(digest(SECRETS.API_KEY));
    expect(await resolveAsV4(plugin, 'NOPE', config, {}, stage)).toBeNull();
    expect(logged.warnings.join('\n')).toContain(
      '${secret:NOPE}: stage dev has no secret named NOPE; add it with: npx --no-install stage-secrets set --stage dev NOPE',
    );
  });

  it('without resolveVariable (v4.4.x, serverless/serverless#12883) the stage is --stage, else provider.stage, else dev', async () => {
    const dir = serviceFolder('novar', { 'serverless.yml': 'service: v4-svc\n' });
    const { plugin } = pluginFor(v4Serverless(dir, { service: 'v4-svc' }));
    const viaOption = await resolveAsV4(plugin, 'API_KEY', { service: 'v4-svc' }, { stage: 'dev' });
    expect(digest(String(viaOption))).toBe(digest(SECRETS.API_KEY));
    const viaProvider = await resolveAsV4(plugin, 'API_KEY', { provider: { stage: 'dev' } }, {});
    expect(digest(String(viaProvider))).toBe(digest(SECRETS.API_KEY));
    // no stage given anywhere: the framework's default stage, dev
    expect(digest(String(await resolveAsV4(plugin, 'API_KEY', {}, {})))).toBe(digest(SECRETS.API_KEY));
    // provider.stage names a stage without a file: an error naming it, not another stage's value
    await expect(resolveAsV4(plugin, 'API_KEY', { provider: { stage: 'qa' } }, {})).rejects.toThrow(/qa/);
  });

  it('env mode under the shell that saves .serverless/meta.json: the plugin warns and offers runtime mode', async () => {
    const dir = serviceFolder('meta', {
      'serverless.yml': 'service: v4-svc\n',
      'handler.js': 'exports.main = async () => 1;\n',
    });
    const service = { service: 'v4-svc', functions: { hello: { handler: 'handler.main' } } };
    const v4 = pluginFor(v4Serverless(dir, service));
    await v4.plugin.hooks['before:package:initialize']!();
    // v4 source: packages/sf-core/src/lib/router.js:604-622 saves `service: config` and the compiled template
    expect(v4.logged.warnings.join('\n')).toMatch(/\.serverless\/meta\.json.*plain text.*mode: runtime/s);
    // the same service as v3 or osls build it (no credentialProviders): no such warning
    const {
      credentialProviders: _,
      orgId: __,
      orgName: ___,
      accessKey: ____,
      ...v3Like
    } = v4Serverless(dir, {
      ...service,
      functions: { hello: { handler: 'handler.main' } },
    });
    const v3 = pluginFor({ ...v3Like, configurationFilename: 'serverless.yml' });
    await v3.plugin.hooks['before:package:initialize']!();
    expect(v3.logged.warnings.join('\n')).not.toContain('meta.json');
  });
});

/**
 * v4's esbuild step for one function, with the options its source builds (packages/serverless/lib/plugins/esbuild/index.js):
 * defaults `{ bundle: true, minify: false, sourcemap: true }` (:526), `format: 'esm'` only for a package.json
 * "type": "module" (:531-534), then `platform: 'node'`, `external` (AWS SDK v3 for nodejs18.x and later),
 * `entryPoints: [handler file]`, `outfile: .serverless/build/<handler path>.js` (:894-908). The folder
 * .serverless/build stands for the function's zip, which holds the bundle at that path.
 */
async function buildAsV4(serviceDir: string, handler: string): Promise<string> {
  const modulePath = handler.slice(0, handler.lastIndexOf('.'));
  const entry = ['.ts', '.js', '.mjs', '.cjs']
    .map((ext) => path.join(serviceDir, modulePath + ext))
    .find((file) => fs.existsSync(file))!;
  const outDir = path.join(serviceDir, '.serverless', 'build');
  await build({
    bundle: true,
    minify: false,
    sourcemap: true,
    platform: 'node',
    external: ['@aws-sdk/*'],
    entryPoints: [entry],
    outfile: path.join(outDir, `${modulePath}.js`),
    logLevel: 'silent',
  });
  return outDir;
}

const HANDLER = (ext: 'ts' | 'js') =>
  [
    `import { createHash } from 'node:crypto';`,
    `const digest = (v${ext === 'ts' ? ': string | undefined' : ''}) => createHash('sha256').update(v ?? '').digest('hex');`,
    `const atLoad = digest(process.env.API_KEY);`,
    `export const handler = async () => ({ atLoad, db: digest(process.env.DB_PASSWORD) });`,
    '',
  ].join('\n');

describe("runtime mode with v4's built-in esbuild", () => {
  async function packageAndInvoke(name: string, files: Record<string, string>, service: Record<string, unknown>) {
    const dir = serviceFolder(name, {
      'serverless.yml': 'service: v4-svc\n',
      'package.json': '{"name":"v4-svc"}\n',
      ...files,
    });
    const sls = v4Serverless(
      dir,
      { service: 'v4-svc', custom: { stageSecrets: { mode: 'runtime' } }, ...service },
      { builtInEsbuild: true },
    );
    const { plugin, logged } = pluginFor(sls);
    await plugin.hooks['before:package:initialize']!();
    const fn = sls.service.functions.hello!;
    // v4's esbuild runs at before:package:createDeploymentArtifacts, after the plugin's handler change
    const taskRoot = await buildAsV4(dir, fn.handler);
    await plugin.hooks['after:package:createDeploymentArtifacts']!();
    kms.resetCalls();
    const run = await invokeLambda({
      taskRoot,
      handler: fn.handler,
      functionName: 'v4-svc-dev-hello',
      aws: kmsEnv(kms),
      events: [{}, {}],
    });
    return { run, logged, dir, handler: fn.handler };
  }

  it('a TypeScript handler (bundled without a build setting): the wrapper is bundled too and opens the secrets', async () => {
    const { run, handler, dir } = await packageAndInvoke(
      'ts-zero-config',
      { 'src/hello.ts': HANDLER('ts') },
      { functions: { hello: { handler: 'src/hello.handler' } } },
    );
    expect(handler).toBe('.stage-secrets-runtime/hello/wrapper.handler');
    expect(run.initError).toBeUndefined();
    expect(run.invocations.map((i) => i.value)).toEqual([
      { atLoad: digest(SECRETS.API_KEY), db: digest(SECRETS.DB_PASSWORD) },
      { atLoad: digest(SECRETS.API_KEY), db: digest(SECRETS.DB_PASSWORD) },
    ]);
    expect(kms.calls('Decrypt')).toBe(1);
    // the generated files are gone once the zips exist; the bundle holds sealed entries, never a value
    expect(fs.existsSync(path.join(dir, '.stage-secrets-runtime'))).toBe(false);
    const bundle = fs.readFileSync(path.join(dir, '.serverless/build/.stage-secrets-runtime/hello/wrapper.js'), 'utf8');
    expect(bundle).not.toContain(SECRETS.API_KEY);
  });

  it('a JavaScript handler under build.esbuild (CommonJS output): no top-level await, the secrets open', async () => {
    const { run } = await packageAndInvoke(
      'js-build-esbuild',
      { 'src/hello.js': HANDLER('js') },
      { build: { esbuild: { bundle: true } }, functions: { hello: { handler: 'src/hello.handler' } } },
    );
    expect(run.initError).toBeUndefined();
    expect(run.invocations[0]!.value).toEqual({ atLoad: digest(SECRETS.API_KEY), db: digest(SECRETS.DB_PASSWORD) });
    expect(kms.calls('Decrypt')).toBe(1);
  });

  it('a service where v4 bundles some wrapped functions and zips others is refused, naming both and the fix', async () => {
    const dir = serviceFolder('mixed', {
      'serverless.yml': 'service: v4-svc\n',
      'src/hello.ts': HANDLER('ts'),
      'src/plain.js': 'exports.main = async () => 1;\n',
    });
    const sls = v4Serverless(
      dir,
      {
        service: 'v4-svc',
        custom: { stageSecrets: { mode: 'runtime' } },
        functions: { hello: { handler: 'src/hello.handler' }, plain: { handler: 'src/plain.main' } },
      },
      { builtInEsbuild: true },
    );
    const { plugin } = pluginFor(sls);
    await expect(plugin.hooks['before:package:initialize']!()).rejects.toThrow(
      /bundles function hello \(TypeScript handlers\) but not plain.*build: \{ esbuild: true \}/,
    );
    expect(fs.existsSync(path.join(dir, '.stage-secrets-runtime'))).toBe(false);
  });
});
