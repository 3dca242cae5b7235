/**
 * The CI recipes of the docs run: every block marked `<!-- recipe: KIND -->` in README.md and docs/*.md
 * is executed (test/support/ci-recipes.ts plays GitHub Actions, GitLab CI and Seed) against a fixture
 * app whose `node_modules/.bin` holds the built CLI, and stubs of `serverless`, `kubectl` and `faas-cli`
 * that record the arguments, stdin and secret env vars they got. A recipe whose commands, flags or
 * inputs drift from the CLI or the action fails here.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { seedSetting } from '../../src/serverless/opt-out.js';
import { setSecrets } from '../../src/stages/secrets.js';
import { CLI, makeWorkspace, type Workspace } from '../support/cli.js';
import { bash, docRecipes, runGithubWorkflow, runGitlabPipeline, runSeedBuild } from '../support/ci-recipes.js';

const PROD: Record<string, string> = {
  API_TOKEN: 'prod-token-5f1c9a7e',
  DATABASE_URL: 'postgres://app:db-pw-77c1@db.internal:5432/app',
  TLS_KEY: '-----BEGIN KEY-----\nMIIBfake\nlinetwo\n-----END KEY-----',
};
const DEV: Record<string, string> = { API_TOKEN: 'dev-token-0a2b4c6d' };
const NAMES = [...new Set([...Object.keys(PROD), ...Object.keys(DEV)])];

interface Recorded {
  tool: string;
  argv: string[];
  stdin?: string;
  env: Record<string, string | undefined>;
}

let ws: Workspace;
let app: string;
let records: string;
/** what the runner's env holds: no key file, the stubs on PATH */
let baseEnv: NodeJS.ProcessEnv;
const keys: Record<string, string> = {};

/** A stub program that records its arguments, stdin and the secret env vars, then exits 0. */
function stub(file: string, tool: string, readStdin: boolean): void {
  const script = `#!${process.execPath}
const fs = require('node:fs');
const env = {};
for (const name of ${JSON.stringify([...NAMES, 'STAGE_SECRETS_KEYS', 'STAGE_SECRETS_STAGE'])}) env[name] = process.env[name];
const stdin = ${readStdin} ? fs.readFileSync(0, 'utf8') : undefined;
const dir = process.env.RECIPE_RECORDS;
const n = fs.readdirSync(dir).length;
fs.writeFileSync(dir + '/' + String(n).padStart(3, '0') + '.json', JSON.stringify({ tool: ${JSON.stringify(tool)}, argv: process.argv.slice(2), stdin, env }));
`;
  fs.writeFileSync(file, script, { mode: 0o755 });
}

function takeRecords(): Recorded[] {
  const files = fs.readdirSync(records).sort();
  const all = files.map((f) => JSON.parse(fs.readFileSync(path.join(records, f), 'utf8')) as Recorded);
  for (const f of files) fs.rmSync(path.join(records, f));
  return all;
}

function recipes(kind: string) {
  const found = docRecipes().filter((r) => r.kind === kind);
  expect(found.length, `no recipe marked ${kind}`).toBeGreaterThan(0);
  return found;
}

async function stage(name: string, secrets: Record<string, string>): Promise<void> {
  const config = path.join(ws.dir, '..', `config-${name}`);
  const init = await ws.run(['init', '--stage', name], { env: { XDG_CONFIG_HOME: config } });
  expect(init.code, init.stderr).toBe(0);
  await setSecrets(
    { stage: name, cwd: app, env: { ...ws.env, XDG_CONFIG_HOME: config } },
    Object.entries(secrets).map(([n, value]) => ({ name: n, type: 'string' as const, value })),
  );
  const dir = path.join(config, 'stage-secrets', 'keys');
  keys[name] = fs.readFileSync(path.join(dir, fs.readdirSync(dir)[0]!), 'utf8').trim();
}

beforeAll(async () => {
  ws = makeWorkspace('recipe-app');
  app = ws.dir;
  execFileSync('git', ['init', '-q'], { cwd: app });
  fs.writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({
      name: 'recipe-app',
      version: '1.0.0',
      private: true,
      scripts: { test: 'record-env npm-test', migrate: 'record-env npm-migrate' },
    }),
  );
  const bin = path.join(app, 'node_modules', '.bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'stage-secrets'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, {
    mode: 0o755,
  });
  stub(path.join(bin, 'serverless'), 'serverless', false);
  const tools = path.join(ws.dir, '..', 'tools');
  fs.mkdirSync(tools);
  stub(path.join(tools, 'kubectl'), 'kubectl', true);
  stub(path.join(tools, 'faas-cli'), 'faas-cli', false);
  fs.writeFileSync(path.join(tools, 'record-env'), `#!/bin/sh\nexec "${path.join(tools, 'env-recorder')}" "$@"\n`, {
    mode: 0o755,
  });
  stub(path.join(tools, 'env-recorder'), 'script', false);
  records = path.join(ws.dir, '..', 'records');
  fs.mkdirSync(records);
  await stage('prod', PROD);
  await stage('dev', DEV);
  const runnerConfig = path.join(ws.dir, '..', 'runner-config');
  fs.mkdirSync(runnerConfig);
  baseEnv = {
    ...ws.env,
    XDG_CONFIG_HOME: runnerConfig,
    PATH: `${tools}:${ws.env.PATH}`,
    RECIPE_RECORDS: records,
  };
}, 60_000);

afterAll(() => ws?.cleanup());

describe('the docs mark their recipes', () => {
  it('finds each platform', () => {
    const kinds = new Set(docRecipes().map((r) => r.kind));
    for (const kind of ['github-action', 'github-cli', 'gitlab', 'seed', 'openfaas-stack', 'openfaas-deploy']) {
      expect(kinds.has(kind), kind).toBe(true);
    }
    expect([...kinds].sort()).toEqual(
      ['github-action', 'github-cli', 'gitlab', 'openfaas-deploy', 'openfaas-stack', 'seed'].sort(),
    );
  });
});

describe('GitHub Actions', () => {
  it('with the action: each recipe loads its stage, masks first, and later steps get the secrets', async () => {
    for (const recipe of recipes('github-action')) {
      const run = await runGithubWorkflow(recipe.text, app, baseEnv, {
        secrets: { STAGE_SECRETS_KEY_PROD: keys.prod!, STAGE_SECRETS_KEY_DEV: keys.dev! },
        eventNumber: 17,
      });
      const actionOut = run.stdout.find((out) => out.startsWith('::add-mask::'));
      expect(actionOut, recipe.where).toBeDefined();
      const got = takeRecords().filter((r) => r.tool === 'script');
      const all = run.stdout.join('\n');
      if (got.length > 0) {
        // npm test ran with every secret of the stage as a variable
        expect(got[0]!.env, recipe.where).toMatchObject(PROD);
        expect(all).toContain(`loaded ${Object.keys(PROD).sort().join(',')} from secrets/prod.json`);
      } else {
        expect(all, recipe.where).toContain(`files for ${Object.keys(DEV).join(',')}`);
      }
    }
  });

  it('with the CLI: the deploy runs under run, and a later step gets the exported secrets', async () => {
    for (const recipe of recipes('github-cli')) {
      const run = await runGithubWorkflow(recipe.text, app, baseEnv, {
        secrets: { STAGE_SECRETS_KEY_PROD: keys.prod! },
      });
      const got = takeRecords();
      const deploy = got.find((r) => r.tool === 'serverless');
      expect(deploy?.argv, recipe.where).toEqual(['deploy', '--stage', 'prod']);
      expect(deploy!.env).toMatchObject({ ...PROD, STAGE_SECRETS_STAGE: 'prod' });
      const test = got.find((r) => r.tool === 'script');
      expect(test?.env, recipe.where).toMatchObject(PROD);
      expect(run.stdout.join('\n')).toMatch(/^::add-mask::prod-token-5f1c9a7e$/m);
    }
  });
});

describe('GitLab CI', () => {
  it('each job runs its script with the masked CI/CD variable as the key', () => {
    for (const recipe of recipes('gitlab')) {
      const doc = parseYaml(recipe.text) as Record<string, { rules?: Array<{ if: string }> }>;
      const results = runGitlabPipeline(recipe.text, app, baseEnv, {
        variables: { STAGE_SECRETS_KEY_PROD: keys.prod! },
        branch: 'main',
        defaultBranch: 'main',
      });
      expect(Object.keys(results).length, recipe.where).toBeGreaterThan(0);
      const deploy = takeRecords().find((r) => r.tool === 'serverless');
      expect(deploy?.argv).toEqual(['deploy', '--stage', 'prod']);
      expect(deploy!.env).toMatchObject(PROD);
      // the rule names only variables GitLab predefines
      for (const job of Object.values(doc)) {
        for (const rule of job.rules ?? []) {
          for (const v of rule.if.match(/\$[A-Z_]+/g) ?? []) expect(v).toMatch(/^\$CI_/);
        }
      }
    }
  });
});

describe('Seed', () => {
  it('the hooks run around Seed’s own deploy, and sls_set_secret_envs reads as the plugin reads it', () => {
    for (const recipe of recipes('seed')) {
      expect(seedSetting(recipe.text, 'seed.yml'), recipe.where).toBe(true);
      const results = runSeedBuild(recipe.text, app, baseEnv, {
        app: 'recipe-app',
        service: 'api',
        stage: 'prod',
        stageEnv: { STAGE_SECRETS_KEY_PROD: keys.prod! },
      });
      expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
      const got = takeRecords();
      expect(got.map((r) => r.tool)).toEqual(['script', 'serverless', 'script']);
      expect(got[0]!.argv).toEqual(['npm-test']);
      expect(got[0]!.env).toMatchObject(PROD);
      expect(got[2]!.argv).toEqual(['npm-migrate']);
      expect(got[2]!.env).toMatchObject(PROD);
      // verify's report went to the build log, no value in it
      const log = results.map((r) => r.stdout + r.stderr).join('\n');
      for (const value of Object.values(PROD)) expect(log).not.toContain(value);
    }
  });
});

describe('OpenFaaS', () => {
  it('the Secret piped to kubectl holds the stage, and every function of the stack lists it', () => {
    const [stack] = recipes('openfaas-stack');
    const functions = (parseYaml(stack!.text) as { functions: Record<string, { secrets?: string[] }> }).functions;
    fs.writeFileSync(path.join(app, 'stack.yml'), stack!.text);
    try {
      for (const recipe of recipes('openfaas-deploy')) {
        const r = bash(recipe.text, app, { ...baseEnv, STAGE_SECRETS_KEY_PROD: keys.prod! });
        expect(r.code, r.stderr).toBe(0);
        const got = takeRecords();
        const kubectl = got.find((g) => g.tool === 'kubectl')!;
        expect(kubectl.argv).toEqual(['apply', '-n', 'openfaas-fn', '-f', '-']);
        const manifest = parseYaml(kubectl.stdin!) as {
          kind: string;
          metadata: { name: string };
          data: Record<string, string>;
        };
        expect(manifest.kind).toBe('Secret');
        const decoded = Object.fromEntries(
          Object.entries(manifest.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
        );
        expect(decoded).toEqual(PROD);
        for (const [name, fn] of Object.entries(functions)) expect(fn.secrets, name).toContain(manifest.metadata.name);
        expect(got.find((g) => g.tool === 'faas-cli')?.argv).toEqual(['deploy', '-f', 'stack.yml']);
      }
    } finally {
      fs.rmSync(path.join(app, 'stack.yml'));
    }
  });
});
