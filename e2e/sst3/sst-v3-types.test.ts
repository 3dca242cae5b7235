import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, REPO_ROOT, type Workspace } from '../../test/support/cli.js';

/*
 * stage-secrets/sst against the real `sst` package, v3 and later (e2e/sst3/package.json), as far as it runs
 * without a cloud: SST deploys through Pulumi, and the Pulumi CLI and provider plugins it downloads from
 * GitHub cannot be fetched here, so no `sst deploy` / `sst diff` runs and no `run()` is executed. Checked:
 * - `sst version` runs (SST_SKIP_DEPENDENCY_CHECK=1 keeps it from downloading Pulumi and Bun first);
 * - `sst install` with SST_NO_BUN=1 (npm instead of a downloaded Bun) bundles the app's sst.config.ts with
 *   SST's esbuild, evaluates its app(), and writes the platform types (.sst/platform, packages from the npm
 *   registry: this step needs it);
 * - `tsc --noEmit` of an sst.config.ts using secretEnv({ app: $app }) and
 *   $transform(sst.aws.Function, transformFunctionEnv(secrets)) against those types, and of the SST v3
 *   example in docs/sst-and-client.md; the @ts-expect-error lines fail the check if the types were missing or `any`;
 * - transformFunctionEnv with real Pulumi Outputs from the @pulumi/pulumi that SST's platform installs.
 * The sst package comes from this suite's install (`npm run test:e2e` runs npm ci --prefix e2e/sst3), or from
 * SST3_NODE_MODULES. stage-secrets itself is the built repo (dist/), linked into the app as a dependency.
 */
const SST3_MODULES = process.env.SST3_NODE_MODULES ?? path.join(REPO_ROOT, 'e2e/sst3/node_modules');
const TSC = path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc');

const SST_CONFIG = `/// <reference path="./.sst/platform/config.d.ts" />
export default $config({
  app(input) {
    return { name: "shop", home: "aws", removal: input?.stage === "prod" ? "retain" : "remove" };
  },
  async run() {
    const { secretEnv, transformFunctionEnv } = await import("stage-secrets/sst");
    const secrets = await secretEnv({ app: $app });
    $transform(sst.aws.Function, transformFunctionEnv(secrets));
    // the docs' way to choose functions
    const withSecrets = transformFunctionEnv(secrets);
    $transform(sst.aws.Function, (args, opts, name) => {
      if (name !== "Public") withSecrets(args, opts, name);
    });

    // @ts-expect-error the secrets must be loaded (awaited) before the synchronous transform is made
    $transform(sst.aws.Function, transformFunctionEnv(secretEnv({ app: $app })));
    // @ts-expect-error a Bucket is no function: its args have no environment to merge into
    $transform(sst.aws.Bucket, transformFunctionEnv(secrets));

    const uploads = new sst.aws.Bucket("Uploads");
    new sst.aws.Function("Orders", {
      handler: "src/orders.handler",
      environment: { LOG_LEVEL: "info", BUCKET: uploads.name },
    });
    // @ts-expect-error SST's FunctionArgs are real types: a handler is a string
    new sst.aws.Function("Broken", { handler: 42 });
  },
});
`;

/** The SST v3 example of the docs (docs/sst-and-client.md, linked from the README), type-checked as written. */
function readmeConfig(): string {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'sst-and-client.md'), 'utf8');
  const block = /```ts\n(\/\/ sst\.config\.ts \(SST v3 and later\)\n[\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('docs/sst-and-client.md has no "// sst.config.ts (SST v3 and later)" example');
  return block[1]!;
}

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'ESNext',
    moduleResolution: 'Bundler',
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  },
  include: ['sst.config.ts', 'readme.config.ts'],
};

/** The two parts of @pulumi/pulumi this suite uses. */
interface PulumiOutputs {
  output<T>(value: T): unknown;
  Output: { isInstance(value: unknown): boolean };
}

interface Run {
  code: number | null;
  output: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { cwd: ws.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

let ws: Workspace;
let sstEnv: NodeJS.ProcessEnv;
let install: Run;

function sst(args: string[], timeoutMs = 60_000): Promise<Run> {
  return run(path.join(SST3_MODULES, 'sst/bin/sst.mjs'), args, sstEnv, timeoutMs);
}

beforeAll(async () => {
  if (!fs.existsSync(path.join(SST3_MODULES, 'sst/bin/sst.mjs'))) {
    throw new Error(
      `sst (v3+) is not installed in ${SST3_MODULES}: npm ci --prefix e2e/sst3 (or set SST3_NODE_MODULES)`,
    );
  }
  ws = makeWorkspace('shop');
  fs.writeFileSync(
    path.join(ws.dir, 'package.json'),
    JSON.stringify({
      name: 'shop',
      private: true,
      type: 'module',
      dependencies: { 'stage-secrets': '*' },
      devDependencies: { sst: '*' },
    }),
  );
  fs.writeFileSync(path.join(ws.dir, 'sst.config.ts'), SST_CONFIG);
  fs.writeFileSync(path.join(ws.dir, 'readme.config.ts'), readmeConfig());
  fs.writeFileSync(path.join(ws.dir, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  fs.mkdirSync(path.join(ws.dir, 'src'));
  fs.writeFileSync(path.join(ws.dir, 'src/orders.ts'), 'export const handler = async () => ({ statusCode: 200 });\n');
  fs.mkdirSync(path.join(ws.dir, 'node_modules'));
  fs.symlinkSync(path.join(SST3_MODULES, 'sst'), path.join(ws.dir, 'node_modules/sst'), 'dir');
  fs.symlinkSync(REPO_ROOT, path.join(ws.dir, 'node_modules/stage-secrets'), 'dir');
  sstEnv = {
    ...ws.env,
    SST_SKIP_DEPENDENCY_CHECK: '1',
    SST_NO_BUN: '1',
    SST_TELEMETRY_DISABLED: '1',
    // the workspace has its own HOME; keep npm's cache where it was, so the platform install reuses it
    npm_config_cache: process.env.npm_config_cache ?? path.join(os.homedir(), '.npm'),
  };
  install = await sst(['install', '--stage', 'prod', '--print-logs'], 300_000);
}, 330_000);

afterAll(() => ws?.cleanup());

describe('stage-secrets/sst against the real sst package (v3+)', () => {
  it('sst version runs and reports the installed package version', async () => {
    const version = (
      JSON.parse(fs.readFileSync(path.join(SST3_MODULES, 'sst/package.json'), 'utf8')) as { version: string }
    ).version;
    expect(Number(version.split('.')[0])).toBeGreaterThanOrEqual(3);
    const r = await sst(['version']);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`sst ${version}`);
  });

  it('sst install bundles the config that imports stage-secrets/sst and writes the platform types', () => {
    expect(install.code, install.output).toBe(0);
    expect(install.output).toContain('config evaluated');
    expect(fs.existsSync(path.join(ws.dir, '.sst/platform/config.d.ts'))).toBe(true);
    // SST's esbuild metafile: the helper was resolved and bundled into the config
    expect(fs.readFileSync(path.join(ws.dir, '.sst/esbuild.json'), 'utf8')).toContain('dist/src/sst/index.js');
  });

  it("the sst.config.ts with secretEnv and $transform(sst.aws.Function, transformFunctionEnv(...)) type-checks, and so does docs/sst-and-client.md's example", async () => {
    expect(install.code, install.output).toBe(0);
    expect(readmeConfig()).toContain('$transform(sst.aws.Function, transformFunctionEnv(secrets))');
    const r = await run(TSC, ['-p', 'tsconfig.json'], ws.env, 120_000);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toBe('');
  }, 130_000);

  it('a config without the await is a type error, reported at that line', async () => {
    expect(install.code, install.output).toBe(0);
    const bad = SST_CONFIG.replace(/^ *\/\/ @ts-expect-error the secrets must be loaded.*\n/m, '');
    expect(bad).not.toBe(SST_CONFIG);
    fs.writeFileSync(path.join(ws.dir, 'bad.config.ts'), bad);
    fs.writeFileSync(
      path.join(ws.dir, 'tsconfig.bad.json'),
      JSON.stringify({ ...TSCONFIG, include: ['bad.config.ts'] }),
    );
    const r = await run(TSC, ['-p', 'tsconfig.bad.json'], ws.env, 120_000);
    const line = bad.split('\n').findIndex((l) => l.includes('transformFunctionEnv(secretEnv(')) + 1;
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(
      new RegExp(`bad\\.config\\.ts\\(${line},\\d+\\): error TS2345: Argument of type 'Promise<`),
    );
    expect(r.output.match(/error TS/g)).toHaveLength(1);
  }, 130_000);

  it("merges around real Pulumi Outputs from SST's platform: Output values kept, a whole Output refused", async () => {
    expect(install.code, install.output).toBe(0);
    const requirePlatform = createRequire(path.join(ws.dir, '.sst/platform/package.json'));
    const pulumi = requirePlatform('@pulumi/pulumi') as PulumiOutputs;
    const built = pathToFileURL(path.join(REPO_ROOT, 'dist/src/sst/index.js')).href;
    const { transformFunctionEnv } = (await import(built)) as typeof import('../../src/sst/index.js');
    const transform = transformFunctionEnv({ DB_URL: 'postgres://prod-db/shop' });

    const bucketName = pulumi.output('shop-uploads');
    const args: { environment?: unknown } = { environment: { BUCKET: bucketName, DB_URL: 'postgres://localhost/dev' } };
    transform(args, {}, 'Orders');
    const env = args.environment as Record<string, unknown>;
    expect(env.DB_URL).toBe('postgres://prod-db/shop');
    expect(env.BUCKET).toBe(bucketName);
    expect(pulumi.Output.isInstance(env.BUCKET)).toBe(true);

    const whole = pulumi.output({ LOG_LEVEL: 'info' });
    const refused: { environment?: unknown } = { environment: whole };
    expect(() => transform(refused, {}, 'Reports')).toThrow(/function Reports: it is not a plain object/);
    expect(refused.environment).toBe(whole);
  }, 60_000);
});
