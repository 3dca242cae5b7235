/**
 * The combination matrix of e2e/matrix.test.ts: an app per identity kind made the way the docs say
 * (`init`, `set`, `git add secrets/`, commit), and per cell a fresh `git clone` of it in which one
 * service is packaged by the real framework through `npx --no-install stage-secrets run` (or the plugin
 * alone), then its template and zips are read and each function is invoked the way Lambda does.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../test/support/cli.js';
import { kmsEnv, type KmsServer } from '../../test/support/kms-server.js';
import { invokeLambda, type LambdaRun } from '../../test/support/lambda-invoke.js';
import { type PackagedFunction, unzipPackagedFunctions } from '../../test/support/runtime-mode-suite.js';
import { FRAMEWORKS, type Framework, lambdas, linkPackage, type Template } from '../../test/support/sls-service.js';

const exec = promisify(execFile);

export type Kind = 'local' | 'aws-kms' | 'age';
export type Mode = 'env' | 'runtime';
export type Packager = 'framework' | 'serverless-esbuild';

export interface Cell {
  kind: Kind;
  mode: Mode;
  packager: Packager;
  framework: Framework;
  /** how the build gets its secrets: under `stage-secrets run`, or the plugin opening the stage itself */
  via: 'run' | 'plugin';
  /** a service opted out of secret envs (seed.yml sls_set_secret_envs: false) */
  optOut?: boolean;
}

export const cellName = (c: Cell): string =>
  `${c.kind} × ${c.mode} × ${c.packager} × ${c.framework.name}${c.optOut ? ' (opted out)' : ''} (${c.via})`;

export const STAGE = 'dev';
export const SERVICE = 'matrix-svc';
/** every name a handler reports: the four secrets, the two references and a plain yaml variable */
export const REPORTED = [
  'API_KEY',
  'MAX_CONN',
  'CONFIG_JSON',
  'TLS_KEY',
  'SHARED_TOKEN',
  'DB_PASSWORD',
  'PLAIN',
] as const;

/** The four secret values, one per type, random per run: a string, a number, JSON and a multi-line PEM. */
export interface Values {
  API_KEY: string;
  MAX_CONN: string;
  CONFIG_JSON: string;
  TLS_KEY: string;
}

export function makeValues(): Values {
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  return {
    API_KEY: `sk_live_${randomBytes(12).toString('hex')}`,
    MAX_CONN: String(randomInt(100_000_000_000, 999_999_999_999)),
    CONFIG_JSON: JSON.stringify({ region: 'eu-west-1', retries: 3, token: randomBytes(9).toString('hex') }),
    TLS_KEY: String(pem),
  };
}

/**
 * The references every kind's app holds, with what they point at in the file's moto: an SSM SecureString
 * under a customer managed moto KMS key, and one key of a Secrets Manager JSON secret.
 */
export interface References {
  /** the values at the targets, by the name that refers to them */
  values: { SHARED_TOKEN: string; DB_PASSWORD: string };
  /** the canonical target texts, by name */
  targets: { SHARED_TOKEN: string; DB_PASSWORD: string };
  /** the moto KMS key (ARN) the parameter is encrypted under: custom.stageSecrets.referenceKeys */
  keyArn: string;
  /** moto's endpoint: the build's and the functions' AWS_ENDPOINT_URL */
  endpoint: string;
}

export const REFERENCE_NAMES = ['SHARED_TOKEN', 'DB_PASSWORD'] as const;

/** The app's origin repository for one identity kind, with what a build of it needs. */
export interface KindApp {
  kind: Kind;
  origin: string;
  /** env a CI build of this kind adds: the key (local), the age key file (age), the KMS endpoint (aws-kms) */
  ciEnv: NodeJS.ProcessEnv;
  /** key material of the kind that must never reach a package (local key text, age secret key) */
  keyTexts: string[];
  /** the wrapped stage keys of the committed header */
  wrappedKeys: string[];
}

function serviceYml(mode: Mode, packager: Packager, refs: References): string {
  const esbuild = packager === 'serverless-esbuild';
  const handler = esbuild ? 'src/handler.main' : 'handler.main';
  return [
    `service: ${SERVICE}`,
    'provider:',
    '  name: aws',
    '  runtime: nodejs22.x',
    '  region: us-east-1',
    '  environment:',
    '    API_KEY: from-provider-yaml',
    '    PLAIN: plain-provider-value',
    'plugins:',
    ...(esbuild ? ['  - serverless-esbuild'] : []),
    '  - stage-secrets/plugin',
    'custom:',
    ...(esbuild ? ['  esbuild:', "    exclude: ['@aws-sdk/*']"] : []),
    '  stageSecrets:',
    `    mode: ${mode}`,
    // runtime mode grants kms:Decrypt (through SSM) on the key of the referenced parameter, as docs say
    ...(mode === 'runtime' ? ['    referenceKeys:', `      - ${refs.keyArn}`] : []),
    'functions:',
    '  api:',
    `    handler: ${handler}`,
    '    environment:',
    '      MAX_CONN: from-function-yaml',
    '  narrow:',
    `    handler: ${handler}`,
    '    secrets: [API_KEY]',
    '  none:',
    `    handler: ${handler}`,
    '    secrets: []',
    '',
  ].join('\n');
}

const JS_HANDLER = `const NAMES = ${JSON.stringify(REPORTED)};
module.exports.main = async () => Object.fromEntries(NAMES.map((n) => [n, process.env[n] ?? null]));
`;
const TS_HANDLER = `const NAMES: string[] = ${JSON.stringify(REPORTED)};
export const main = async (): Promise<Record<string, string | null>> =>
  Object.fromEntries(NAMES.map((n) => [n, process.env[n] ?? null]));
`;

/** The service folder of a cell in the app: one per mode × packager, and the opted-out ones. */
export const serviceFolder = (c: Pick<Cell, 'mode' | 'packager' | 'optOut'>): string =>
  `${c.mode}-${c.packager}${c.optOut ? '-opt-out' : ''}`;

/** Writes the app's code: package.json, .gitignore and a service folder per mode × packager (+ opted-out ones). */
function writeAppCode(dir: string, refs: References): void {
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    `${JSON.stringify({ name: 'matrix-app', version: '1.0.0', private: true }, null, 2)}\n`,
  );
  fs.writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\n.serverless/\n.esbuild/\n');
  for (const mode of ['env', 'runtime'] as const) {
    for (const packager of ['framework', 'serverless-esbuild'] as const) {
      for (const optOut of mode === 'env' ? [false, true] : [false]) {
        const svc = path.join(dir, serviceFolder({ mode, packager, optOut }));
        fs.mkdirSync(path.join(svc, 'src'), { recursive: true });
        fs.writeFileSync(path.join(svc, 'serverless.yml'), serviceYml(mode, packager, refs));
        if (packager === 'serverless-esbuild') fs.writeFileSync(path.join(svc, 'src', 'handler.ts'), TS_HANDLER);
        else fs.writeFileSync(path.join(svc, 'handler.js'), JS_HANDLER);
        if (optOut) fs.writeFileSync(path.join(svc, 'seed.yml'), 'sls_set_secret_envs: false\n');
      }
    }
  }
}

/**
 * What `npm ci` gives a checkout of the app: stage-secrets (as installed from the registry), the
 * framework of the cell as `serverless`, serverless-esbuild and esbuild, linked from this repository.
 */
export function installModules(dir: string, framework: Framework): void {
  const modules = path.join(dir, 'node_modules');
  linkPackage(path.join(modules, 'stage-secrets'));
  for (const name of ['serverless-esbuild', 'esbuild', framework.name])
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules', name), path.join(modules, name), 'dir');
  fs.mkdirSync(path.join(modules, '.bin'));
  fs.symlinkSync('../stage-secrets/dist/cli.mjs', path.join(modules, '.bin', 'stage-secrets'));
  fs.symlinkSync(path.relative(path.join(modules, '.bin'), framework.bin), path.join(modules, '.bin', 'serverless'));
}

export interface Shell {
  code: number;
  output: string;
}

/** Runs a command line through bash, as a user or a CI step types it. */
export function bash(line: string, cwd: string, env: NodeJS.ProcessEnv, input?: string): Promise<Shell> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', line], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => out.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output: Buffer.concat(out).toString('utf8') });
    });
    child.stdin.end(input ?? '');
  });
}

async function bashOk(line: string, cwd: string, env: NodeJS.ProcessEnv, input?: string): Promise<string> {
  const r = await bash(line, cwd, env, input);
  if (r.code !== 0) throw new Error(`${line} failed (${r.code}):\n${r.output}`);
  return r.output;
}

/** A user's or CI machine's env: its own home and config, no inherited AWS or stage-secrets settings. */
export function machineEnv(home: string, schemaCache: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (
      !k.startsWith('STAGE_SECRETS_') &&
      !k.startsWith('AWS_') &&
      !k.startsWith('SOPS_') &&
      k !== 'SLS_SET_SECRET_ENVS'
    )
      env[k] = v;
  }
  fs.mkdirSync(path.join(home, '.config'), { recursive: true });
  return {
    ...env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'y',
    AWS_REGION: 'us-east-1',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    SLS_SCHEMA_CACHE_BASE_DIR: schemaCache,
    GIT_AUTHOR_NAME: 'Dev',
    GIT_AUTHOR_EMAIL: 'dev@example.com',
    GIT_COMMITTER_NAME: 'Dev',
    GIT_COMMITTER_EMAIL: 'dev@example.com',
    GIT_CONFIG_NOSYSTEM: '1',
  };
}

/**
 * The app of one kind, made as the docs say on a developer's machine: `init` with the kind's identity,
 * the four values through `set` (stdin, `--type`, `--from-file`), the two references through `set --ref`,
 * `approve` by the key holder, then `git add secrets/` and a commit. Returns the origin repository and
 * what CI needs to build it (its AWS endpoint is moto's: the build resolves the references there).
 */
export async function makeKindApp(
  root: string,
  kind: Kind,
  values: Values,
  refs: References,
  kms: KmsServer,
  schemaCache: string,
): Promise<KindApp> {
  const base = path.join(root, kind);
  const origin = path.join(base, 'app');
  fs.mkdirSync(origin, { recursive: true });
  const env = machineEnv(path.join(base, 'dev-home'), schemaCache);
  writeAppCode(origin, refs);
  await bashOk('git init -q -b main && git add . && git commit -q -m "the app"', origin, env);
  installModules(origin, FRAMEWORKS[0]!);

  let init = '';
  let ciEnv: NodeJS.ProcessEnv = {};
  const keyTexts: string[] = [];
  if (kind === 'local') init = '';
  if (kind === 'aws-kms') {
    kms.createKey({ alias: 'alias/matrix' });
    Object.assign(env, kmsEnv(kms));
    ciEnv = kmsEnv(kms);
    init = ' --kms alias/matrix';
  }
  if (kind === 'age') {
    const keyFile = path.join(base, 'age-key.txt');
    execFileSync('age-keygen', ['-o', keyFile], { stdio: 'pipe' });
    const recipient = execFileSync('age-keygen', ['-y', keyFile], { encoding: 'utf8' }).trim();
    init = ` --age ${recipient}`;
    env.STAGE_SECRETS_AGE_KEY_FILE = keyFile;
    ciEnv = { STAGE_SECRETS_AGE_KEY_FILE: keyFile };
    keyTexts.push(/AGE-SECRET-KEY-1[0-9A-Z]+/.exec(fs.readFileSync(keyFile, 'utf8'))![0]);
  }
  const cli = 'npx --no-install stage-secrets';
  await bashOk(`${cli} init --stage ${STAGE}${init}`, origin, env);
  const pem = path.join(base, 'tls.pem');
  fs.writeFileSync(pem, values.TLS_KEY, { mode: 0o600 }); // --from-file takes the file as is
  await bashOk(`printf %s "$V" | ${cli} set --stage ${STAGE} API_KEY`, origin, { ...env, V: values.API_KEY });
  await bashOk(`printf %s "$V" | ${cli} set --stage ${STAGE} MAX_CONN --type number`, origin, {
    ...env,
    V: values.MAX_CONN,
  });
  await bashOk(`printf %s "$V" | ${cli} set --stage ${STAGE} CONFIG_JSON --type json`, origin, {
    ...env,
    V: values.CONFIG_JSON,
  });
  await bashOk(`${cli} set --stage ${STAGE} TLS_KEY --from-file "$F"`, origin, { ...env, F: pem });
  fs.rmSync(pem);
  await bashOk(`${cli} approve --stage ${STAGE}`, origin, env);
  await bashOk(`git add secrets/ && git commit -q -m "${STAGE} secrets"`, origin, env);
  // later, a key holder adds references to values another team keeps in AWS (set --ref approves them; no AWS call)
  await bashOk(`${cli} set --stage ${STAGE} SHARED_TOKEN --ref "$T"`, origin, { ...env, T: refs.targets.SHARED_TOKEN });
  await bashOk(`${cli} set --stage ${STAGE} DB_PASSWORD --ref "$T"`, origin, { ...env, T: refs.targets.DB_PASSWORD });
  await bashOk(`git add secrets/ && git commit -q -m "${STAGE} references"`, origin, env);

  if (kind === 'local') {
    const keys = path.join(env.XDG_CONFIG_HOME!, 'stage-secrets', 'keys');
    const files = fs.readdirSync(keys);
    if (files.length !== 1) throw new Error(`expected one local key, found ${files.join(', ')}`);
    const key = fs.readFileSync(path.join(keys, files[0]!), 'utf8').trim();
    ciEnv = { [`STAGE_SECRETS_KEY_${STAGE.toUpperCase()}`]: key };
    keyTexts.push(key);
  }
  const header = JSON.parse(fs.readFileSync(path.join(origin, 'secrets', `${STAGE}.json`), 'utf8')) as {
    identities: Array<Record<string, string>>;
  };
  const wrappedKeys = header.identities.flatMap((r) => [r.wrapped, r.ciphertext]).filter((k): k is string => !!k);
  // CI's AWS credentials reach moto for the references (the aws-kms kind's KMS stays at the KMS server)
  ciEnv = { ...ciEnv, AWS_ENDPOINT_URL: refs.endpoint };
  return { kind, origin, ciEnv, keyTexts, wrappedKeys };
}

export interface CellResult {
  cell: Cell;
  /** the clone's service folder */
  serviceDir: string;
  build: Shell;
  seconds: number;
  template?: Template;
  fns: Record<string, PackagedFunction>;
  /** zip entry names per zip (relative to the service) */
  zips: Record<string, string[]>;
  /** the unzipped artifacts (temp folders: removed by the caller) */
  unzipped: string[];
  /** each function invoked the way Lambda does (runtime mode) */
  invoked: Record<string, LambdaRun>;
}

function zipEntries(serviceDir: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const dir = path.join(serviceDir, '.serverless');
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.zip'))) {
    const listing = execFileSync('unzip', ['-Z1', path.join(dir, file)], { encoding: 'utf8' });
    out[file] = listing.split('\n').filter(Boolean);
  }
  return out;
}

/**
 * One cell: a fresh clone of the kind's app, `npm ci` (linked modules), then the CI command in the
 * service folder; the template, zips and (runtime mode) each function invoked as Lambda does.
 */
export async function buildCell(
  root: string,
  app: KindApp,
  cell: Cell,
  schemaCache: string,
  kms: KmsServer,
  refs: References,
) {
  const base = path.join(root, 'cells', cellName(cell).replace(/[^a-z0-9-]+/gi, '_'));
  fs.mkdirSync(base, { recursive: true });
  const clone = path.join(base, 'clone');
  const env = { ...machineEnv(path.join(base, 'ci-home'), schemaCache), ...app.ciEnv };
  await exec('git', ['clone', '-q', app.origin, clone], { env });
  installModules(clone, cell.framework);
  const serviceDir = path.join(clone, serviceFolder(cell));
  const packageLine = `serverless package --stage ${STAGE}`;
  const line =
    cell.via === 'run'
      ? `npx --no-install stage-secrets run --stage ${STAGE} -- ${packageLine}`
      : `npx --no-install ${packageLine}`;
  const started = process.hrtime.bigint();
  const build = await bash(line, serviceDir, env);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const result: CellResult = { cell, serviceDir, build, seconds, fns: {}, zips: {}, unzipped: [], invoked: {} };
  if (build.code !== 0) return result;
  const templateFile = path.join(serviceDir, '.serverless', 'cloudformation-template-update-stack.json');
  result.template = JSON.parse(fs.readFileSync(templateFile, 'utf8')) as Template;
  const { fns, unzipped } = unzipPackagedFunctions(serviceDir, result.template);
  result.fns = fns;
  result.unzipped = [...unzipped.values()];
  result.zips = zipEntries(serviceDir);
  if (cell.mode === 'runtime') {
    for (const [name, fn] of Object.entries(result.fns)) {
      result.invoked[name] = await invokeLambda({
        taskRoot: fn.taskRoot,
        handler: fn.handler,
        functionName: fn.functionName,
        variables: fn.variables,
        // the stage key at the KMS server, the references' SSM and Secrets Manager at moto
        aws: kmsEnv(kms, { AWS_ENDPOINT_URL: refs.endpoint }),
        events: [{}],
      });
    }
  }
  return result;
}

/** The functions' template environments by serverless.yml name. */
export const templateEnvs = (r: CellResult): Record<string, Record<string, unknown>> =>
  Object.fromEntries(Object.entries(lambdas(r.template!, SERVICE, STAGE)).map(([n, f]) => [n, f.variables]));

/** Runs the jobs, at most `limit` at a time, in order of the list; results in the same order. */
export async function pool<T, R>(items: T[], limit: number, job: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await job(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export const tempRoot = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-matrix-'));

/** What the keyless commands and a key holder's `list` print in a fresh clone of a kind's app. */
export interface CloneViews {
  check: Shell;
  functions: Shell;
  listKeyless: Shell;
  listWithKey: Shell;
}

/**
 * A fresh clone of the kind's app, as a reviewer (no key) and CI (the kind's key) see it: `check`,
 * `check --functions` and `list` without a key, `list --show-refs` with the key CI has.
 */
export async function cloneViews(root: string, app: KindApp, schemaCache: string): Promise<CloneViews> {
  const base = path.join(root, 'views', app.kind);
  fs.mkdirSync(base, { recursive: true });
  const clone = path.join(base, 'clone');
  const keyless = machineEnv(path.join(base, 'home'), schemaCache);
  await exec('git', ['clone', '-q', app.origin, clone], { env: keyless });
  installModules(clone, FRAMEWORKS[0]!);
  const cli = 'npx --no-install stage-secrets';
  return {
    check: await bash(`${cli} check --stage ${STAGE}`, clone, keyless),
    functions: await bash(`${cli} check --functions --stage ${STAGE}`, clone, keyless),
    listKeyless: await bash(`${cli} list --stage ${STAGE}`, clone, keyless),
    listWithKey: await bash(`${cli} list --stage ${STAGE} --show-refs`, clone, { ...keyless, ...app.ciEnv }),
  };
}
