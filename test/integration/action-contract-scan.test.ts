/**
 * Issue 31 item 6, as the attacker runs it: a pull request plants `node_modules/esbuild` (and every other
 * module a parser could be resolved as) in the workspace, each recording the environment of any process
 * that loads it. The action's committed bundle, copied where the runner checks an action out (no
 * node_modules beside it), runs with `check: true`, a stage key, a GitHub token and AWS credentials in its
 * environment. No planted module may run at all, the TypeScript service is still scanned, and the check
 * runs ahead of opening the stage (it fails a stage that lacks a needed name even with no key at hand).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, readOnlyLocalKey, REPO_ROOT, type Workspace } from '../support/cli.js';
import { parseFileCommands, runAction } from '../support/github-runner.js';

const PLANTED = ['esbuild', 'acorn', 'acorn-walk', '@sveltejs/acorn-typescript', 'typescript', 'yaml', 'ts-node'];
const TOKENS = {
  GITHUB_TOKEN: 'ghs_planted0token0for0the0test0000000000',
  ACTIONS_RUNTIME_TOKEN: 'runtime-token-for-the-test',
  AWS_ACCESS_KEY_ID: 'AKIAPLANTEDTEST00000',
  AWS_SECRET_ACCESS_KEY: 'planted/secret/access/key/for/the/test00',
};

let ws: Workspace;
let actionDir: string;
let bundle: string;
let records: string;
let env: NodeJS.ProcessEnv;

/** A module that, when loaded, appends what its process holds to the record file, then exports nothing useful. */
function plant(name: string): void {
  const dir = path.join(ws.dir, 'node_modules', ...name.split('/'));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '99.0.0', main: 'index.js' }));
  fs.writeFileSync(
    path.join(dir, 'index.js'),
    [
      "const fs = require('node:fs');",
      `fs.appendFileSync(${JSON.stringify(records)}, JSON.stringify({ module: ${JSON.stringify(name)}, pid: process.pid, env: Object.keys(process.env) }) + '\\n');`,
      'module.exports = {};',
    ].join('\n'),
  );
}

function recorded(): Array<{ module: string; env: string[] }> {
  if (!fs.existsSync(records)) return [];
  return fs
    .readFileSync(records, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { module: string; env: string[] });
}

beforeAll(async () => {
  ws = makeWorkspace('scan-app');
  fs.mkdirSync(path.join(ws.dir, '.git'));
  records = path.join(ws.dir, '..', 'planted-records.jsonl');
  // where the runner checks out an action: _actions/<owner>/<repo>/<ref>/, with no node_modules anywhere above
  actionDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-actions-'));
  bundle = path.join(actionDir, 'stage-secrets', 'v1', 'action', 'index.mjs');
  fs.mkdirSync(path.dirname(bundle), { recursive: true });
  fs.copyFileSync(path.join(REPO_ROOT, 'action', 'index.mjs'), bundle);

  expect((await ws.run(['init', '--stage', 'ci'])).code).toBe(0);
  expect((await ws.run(['set', '--stage', 'ci', 'API_TOKEN', 'tok-5b1e77c0a9'])).code).toBe(0);
  const ciKey = readOnlyLocalKey(ws);
  expect((await ws.run(['init', '--stage', 'prod'])).code).toBe(0);
  expect((await ws.run(['set', '--stage', 'prod', 'PAYMENT_KEY', 'pk-prod-1234'])).code).toBe(0);

  const service = path.join(ws.dir, 'svc');
  fs.mkdirSync(path.join(service, 'src'), { recursive: true });
  fs.writeFileSync(
    path.join(service, 'serverless.ts'),
    [
      "import type { AWS } from '@serverless/typescript';",
      'const config: AWS = {',
      "  service: 'api',",
      "  provider: { name: 'aws', runtime: 'nodejs22.x' },",
      "  functions: { hello: { handler: 'src/handler.main' } },",
      '};',
      'module.exports = config;',
    ].join('\n'),
  );
  fs.writeFileSync(
    path.join(service, 'src', 'handler.ts'),
    "import type { Handler } from 'aws-lambda';\nexport const main: Handler = async () => process.env.API_TOKEN as string;\n",
  );
  fs.writeFileSync(path.join(service, 'package.json'), JSON.stringify({ name: 'api', dependencies: { esbuild: '*' } }));
  for (const name of PLANTED) plant(name);
  // the same modules in the service's own node_modules, where a resolution from the service would look
  fs.cpSync(path.join(ws.dir, 'node_modules'), path.join(service, 'node_modules'), { recursive: true });

  const emptyConfig = path.join(ws.dir, '..', 'runner-config');
  fs.mkdirSync(emptyConfig);
  env = { ...ws.env, XDG_CONFIG_HOME: emptyConfig, STAGE_SECRETS_KEY_CI: ciKey, ...TOKENS };
});

afterAll(() => {
  ws?.cleanup();
  if (actionDir) fs.rmSync(actionDir, { recursive: true, force: true });
});

describe('the action with check: true and a planted node_modules/esbuild', () => {
  it('loads no module of the workspace, in any process, and still scans the TypeScript service', async () => {
    fs.rmSync(records, { force: true });
    const r = await runAction(bundle, { cwd: ws.dir, env, inputs: { stage: 'ci', export: 'env', check: 'true' } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // nothing planted ran: not in the step's process (key and tokens), not in the scan's
    const seen = recorded().map((x) => ({
      module: x.module,
      key: x.env.includes('STAGE_SECRETS_KEY_CI'),
      token: x.env.includes('GITHUB_TOKEN'),
    }));
    expect(seen, 'a planted module ran (key/token: whether its process held them)').toEqual([]);
    expect(r.stdout).toMatch(/contract check ran ahead of opening the stage, in a separate process with no key, token/);
    expect(parseFileCommands(r.envFile).get('API_TOKEN')).toBe('tok-5b1e77c0a9');
    // the scan read the TypeScript handler without the workspace's esbuild: API_TOKEN is needed by hello
    expect(r.summary).toMatch(/API_TOKEN[^\n]*present[^\n]*hello/);
  });

  it('the check runs before the stage is opened: with no key at hand a lacking stage still fails on the check', async () => {
    fs.writeFileSync(
      path.join(ws.dir, 'svc', 'src', 'handler.ts'),
      'export const main = async () => [process.env.API_TOKEN, process.env.PAYMENT_KEY];\n',
    );
    try {
      fs.rmSync(records, { force: true });
      const r = await runAction(bundle, {
        cwd: ws.dir,
        env: { ...env, STAGE_SECRETS_KEY_CI: undefined },
        inputs: { stage: 'ci', export: 'env', check: 'true' },
      });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^::error::stage-secrets: stage ci lacks a name the app needs: PAYMENT_KEY/m);
      expect(r.envFile + r.outputFile).toBe('');
      expect(r.summary).toContain('PAYMENT_KEY');
      expect(recorded()).toEqual([]);
    } finally {
      fs.writeFileSync(
        path.join(ws.dir, 'svc', 'src', 'handler.ts'),
        'export const main = async () => process.env.API_TOKEN as string;\n',
      );
    }
  });
});
