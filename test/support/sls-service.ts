import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { DEPLOY_DIGEST_ENV } from '../../src/core/deploy-digest.js';
import { makeWorkspace, readOnlyLocalKey, REPO_ROOT, type CliResult, type Workspace } from './cli.js';

const require = createRequire(import.meta.url);

export interface Framework {
  /** npm package name in node_modules */
  name: 'serverless' | 'osls';
  version: string;
  bin: string;
}

function framework(name: Framework['name']): Framework {
  const manifest = path.join(REPO_ROOT, 'node_modules', name, 'package.json');
  const pkg = require(manifest) as { version: string; bin: Record<string, string> };
  return { name, version: pkg.version, bin: path.resolve(path.dirname(manifest), pkg.bin.serverless!) };
}

/** The frameworks the plugin is tested on: serverless v3 and osls, as installed. */
export const FRAMEWORKS: Framework[] = [framework('serverless'), framework('osls')];

export interface SlsService {
  ws: Workspace;
  /** the service folder (a copy of the fixture) */
  dir: string;
  stage: string;
  /** the stage file (what stage-secrets run would name in STAGE_SECRETS_FILE) */
  stageFile: string;
  /** env for the framework: isolated home, dummy AWS credentials, telemetry off, the run's schema cache, the stage key */
  env: NodeJS.ProcessEnv;
}

export interface PrepareOptions {
  stage: string;
  /** secrets to seal into the stage file; none: no stage file */
  secrets?: Record<string, string>;
  /** the secrets folder, as custom.stageSecrets.dir of the fixture says */
  secretsDir?: string;
  /** identity options for init (default --local) and the env they need (AWS settings for --kms) */
  identity?: { args: string[]; env: NodeJS.ProcessEnv };
  /** puts this package into the service's node_modules; default linkPackage (see installPackedPackage) */
  install?: (serviceDir: string, env: NodeJS.ProcessEnv) => Promise<void>;
}

/**
 * This package at `dir` the way npm installs it: its package.json and the built dist/ (what `files`
 * publishes; the rest of it is docs), both linked, so modules still load from the repo's dist/ and find
 * their dependencies in its node_modules. Not a link to the whole repo: the framework's packaging walks
 * every folder under the service, links followed, before it applies `!node_modules/**`, and walking the
 * repo's own node_modules cost about 1.5 s per packaging.
 */
export function linkPackage(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.symlinkSync(path.join(REPO_ROOT, 'package.json'), path.join(dir, 'package.json'), 'file');
  fs.symlinkSync(path.join(REPO_ROOT, 'dist'), path.join(dir, 'dist'), 'dir');
}

function dotenvLine(name: string, value: string): string {
  if (/[\n'"]/.test(value)) throw new Error(`test value of ${name} needs no quoting; keep test values simple`);
  return `${name}='${value}'`;
}

/** The env the frameworks run with in tests: isolated home, dummy AWS credentials, telemetry off, the run's schema cache. */
export function frameworkEnv(ws: Workspace): NodeJS.ProcessEnv {
  return {
    ...ws.env,
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'y',
    AWS_REGION: 'us-east-1',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_SCHEMA_CACHE_BASE_DIR: inject('slsSchemaCacheDir'),
  };
}

/**
 * Copies fixtures/<name> into a temp repo (a .git folder marks its root), installs this package as
 * node_modules/stage-secrets so `plugins: [stage-secrets/plugin]` resolves through the exports map,
 * and seals the given secrets with the real CLI. The local key is then moved from the key folder into
 * STAGE_SECRETS_KEY_<STAGE>, the way CI holds it. Needs the build (dist/).
 */
export async function prepareService(fixture: string, opts: PrepareOptions): Promise<SlsService> {
  const ws = makeWorkspace(fixture);
  fs.mkdirSync(path.join(path.dirname(ws.dir), '.git'));
  fs.cpSync(path.join(REPO_ROOT, 'fixtures', fixture), ws.dir, { recursive: true });
  // the validators the frameworks compile from their config schema are shared by the run (global-setup.ts)
  const env = frameworkEnv(ws);
  try {
    if (opts.install) await opts.install(ws.dir, ws.env);
    else linkPackage(path.join(ws.dir, 'node_modules', 'stage-secrets'));
    if (opts.secrets) {
      const dirArgs = opts.secretsDir ? ['--dir', opts.secretsDir] : [];
      await cliOk(
        ws,
        ['init', '--stage', opts.stage, ...(opts.identity?.args ?? ['--local']), ...dirArgs],
        undefined,
        opts.identity?.env,
      );
      const dotenv = Object.entries(opts.secrets)
        .map(([k, v]) => dotenvLine(k, v))
        .join('\n');
      await cliOk(ws, ['import', '--stage', opts.stage, ...dirArgs, '-'], dotenv, opts.identity?.env);
      if (opts.identity) Object.assign(env, opts.identity.env);
      else {
        env[`STAGE_SECRETS_KEY_${opts.stage.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`] = readOnlyLocalKey(ws);
        fs.rmSync(path.join(ws.config, 'stage-secrets', 'keys'), { recursive: true, force: true });
      }
    }
  } catch (err) {
    ws.cleanup();
    throw err;
  }
  const stageFile = path.join(fs.realpathSync(ws.dir), opts.secretsDir ?? 'secrets', `${opts.stage}.json`);
  return { ws, dir: ws.dir, stage: opts.stage, stageFile, env };
}

const execFileAsync = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** `npm pack` of this repository (its built dist/) into `dir`; returns the tarball. */
export async function packThisPackage(dir: string): Promise<string> {
  // dist/ is built by `npm test`'s pretest; packing through prepare would only rebuild it
  const { stdout } = await execFileAsync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: REPO_ROOT,
  });
  return path.join(dir, (JSON.parse(stdout) as Array<{ filename: string }>)[0]!.filename);
}

/**
 * An `install` for prepareService: `npm install --save TARBALL`, so the service has stage-secrets as a
 * real dependency (with its own dependencies next to it) the way a user installs it for its client.
 */
export function installPackedPackage(tarball: string): (serviceDir: string, env: NodeJS.ProcessEnv) => Promise<void> {
  return async (serviceDir, env) => {
    // the user's npm cache, not the workspace's empty home: the packages come from it when they can
    const cache = process.env.npm_config_cache ?? path.join(os.homedir(), '.npm');
    await execFileAsync(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--save', tarball], {
      cwd: serviceDir,
      env: { ...env, npm_config_cache: cache },
    });
  };
}

async function cliOk(ws: Workspace, args: string[], input?: string, env?: NodeJS.ProcessEnv): Promise<void> {
  const result = await ws.run(args, { input, env });
  if (result.code !== 0) throw new Error(`stage-secrets ${args[0]} failed (${result.code}): ${result.stderr}`);
}

export interface FrameworkResult extends CliResult {
  /** stdout and stderr together, for log assertions */
  output: string;
}

/** Runs the real framework CLI in the service folder. */
export function runFramework(
  fw: Framework,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs = 120_000,
): Promise<FrameworkResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fw.bin, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({ code, signal, stdout, stderr, output: `${stdout}\n${stderr}` });
    });
  });
}

/** `package --stage S`, then the packaged template (undefined when packaging failed). */
export async function packageService(
  fw: Framework,
  svc: SlsService,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ result: FrameworkResult; template?: Template }> {
  fs.rmSync(path.join(svc.dir, '.serverless'), { recursive: true, force: true });
  const result = await runFramework(fw, ['package', '--stage', svc.stage], svc.dir, { ...svc.env, ...extraEnv });
  const file = path.join(svc.dir, '.serverless', 'cloudformation-template-update-stack.json');
  const template = result.code === 0 ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Template) : undefined;
  return { result, template };
}

export interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

export interface LambdaInTemplate {
  description?: string;
  /** Environment.Variables without the plugin's deploy record (STAGE_SECRETS_DIGEST), which `digest` holds */
  variables: Record<string, unknown>;
  digest?: unknown;
}

/** The Lambda functions of a template by their serverless.yml name (FunctionName is service-stage-name). */
export function lambdas(template: Template, service: string, stage: string): Record<string, LambdaInTemplate> {
  const out: Record<string, LambdaInTemplate> = {};
  const prefix = `${service}-${stage}-`;
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const props = resource.Properties as {
      FunctionName: string;
      Description?: string;
      Environment?: { Variables?: Record<string, unknown> };
    };
    if (!props.FunctionName.startsWith(prefix)) throw new Error(`unexpected function name ${props.FunctionName}`);
    const { [DEPLOY_DIGEST_ENV]: digest, ...variables } = props.Environment?.Variables ?? {};
    out[props.FunctionName.slice(prefix.length)] = { description: props.Description, variables, digest };
  }
  return out;
}

/** Every file under a folder whose bytes contain the text (zip entries are compressed: checked as stored). */
export function filesContaining(dir: string, text: string): string[] {
  const hits: string[] = [];
  const needle = Buffer.from(text, 'utf8');
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (fs.readFileSync(file).includes(needle)) hits.push(path.relative(dir, file));
  }
  return hits;
}
