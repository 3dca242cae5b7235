/**
 * `stage-secrets check` and `rm` as processes over an app of several services (YAML, JavaScript and
 * TypeScript configs; CommonJS, ES module and TypeScript handlers), with no key at hand.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../support/cli.js';

let ws: Workspace;
/** an env where no stage key is found: what a pull request from a fork has */
let keyless: NodeJS.ProcessEnv;

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(ws.dir, file)), { recursive: true });
  fs.writeFileSync(path.join(ws.dir, file), text);
}

async function cli(args: string[], env?: NodeJS.ProcessEnv) {
  const r = await ws.run(args, { env });
  if (r.code !== 0) throw new Error(`stage-secrets ${args.join(' ')}: ${r.stderr}`);
}

beforeAll(async () => {
  ws = makeWorkspace('shop');
  fs.mkdirSync(path.join(ws.dir, '.git'));
  write('package.json', JSON.stringify({ name: 'shop' }));
  write(
    'services/api/serverless.yml',
    [
      'service: api-svc',
      'provider:',
      '  name: aws',
      '  environment:',
      '    SERVED_BY_YAML: plain',
      '    TOKEN: ${secret:CONFIG_TOKEN}',
      "    WITH_FALLBACK: ${secret:FALLBACK_ONLY, 'x'}",
      'functions:',
      '  http:',
      '    handler: src/http.main',
      '  cron:',
      '    handler: src/cron.main',
      '    secrets: [STRIPE_KEY]',
      '',
    ].join('\n'),
  );
  write(
    'services/api/src/http.ts',
    [
      "import { SecretClient } from 'stage-secrets/client';",
      "import { dbUrl } from './db.js';",
      'type Event = { id: string };',
      "const client = new SecretClient({ stage: 'dev' });",
      'export const main = async (_e: Event) => [dbUrl(), await client.readSecret("STRIPE_KEY"), process.env.SERVED_BY_YAML];',
      '',
    ].join('\n'),
  );
  write('services/api/src/db.ts', 'export const dbUrl = (): string => process.env.DB_URL ?? "";\n');
  write('services/api/src/cron.js', "exports.main = async () => [process.env.STRIPE_KEY, process.env['DB_URL']];\n");
  write(
    'services/jobs/serverless.js',
    [
      "'use strict';",
      'module.exports = {',
      "  service: 'jobs-svc',",
      "  provider: { name: 'aws' },",
      "  custom: { stageSecrets: { required: ['SLACK_HOOK'], optional: ['BETA_FLAG'] } },",
      "  functions: { nightly: { handler: 'nightly.run' } },",
      '};',
      '',
    ].join('\n'),
  );
  write('services/jobs/nightly.mjs', 'export const run = async () => process.env.BETA_FLAG ?? process.env.NODE_ENV;\n');
  write('services/broken/serverless.yml', 'service: broken-svc\nfunctions:\n  f:\n    handler: bad.main\n');
  write('services/broken/bad.js', 'exports.main = () => {\n');

  await cli(['init', '--stage', 'dev']);
  await ws.run(['import', '--stage', 'dev', '-'], {
    input: 'STRIPE_KEY=s1\nDB_URL=d1\nSLACK_HOOK=h1\nCONFIG_TOKEN=t1\nSERVED_BY_YAML=y1\nUNUSED=u1\n',
  });
  await cli(['init', '--stage', 'prod']);
  await ws.run(['import', '--stage', 'prod', '-'], { input: 'STRIPE_KEY=s2\nCONFIG_TOKEN=t2\n' });
  // written by someone without the key: pending approval
  keyless = { XDG_CONFIG_HOME: path.join(ws.dir, '..', 'no-keys') };
  await cli(['set', '--stage', 'prod', 'SLACK_HOOK', 'h2'], keyless);
});
afterAll(() => ws.cleanup());

describe('stage-secrets check', () => {
  it('text: the matrix, who needs each missing name (service, function, file:line), what it could not read; exit 1', async () => {
    const r = await ws.run(['check'], { env: keyless });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(
      'secrets secrets, stages dev, prod; 3 services: api-svc (services/api/serverless.yml), ' +
        'broken-svc (services/broken/serverless.yml), jobs-svc (services/jobs/serverless.js)',
    );
    const rows = r.stdout.split('\n').filter((l) => /^[A-Z_]+ +(present|PENDING|MISSING)/.test(l));
    expect(rows.map((l) => l.split(/ {2,}/).slice(0, 3).join(' '))).toEqual([
      'BETA_FLAG MISSING MISSING',
      'CONFIG_TOKEN present present',
      'DB_URL present MISSING',
      'SERVED_BY_YAML present MISSING',
      'SLACK_HOOK present PENDING',
      'STRIPE_KEY present present',
      'UNUSED present MISSING',
    ]);
    expect(r.stdout).toContain(
      [
        '  DB_URL in stage prod, needed by:',
        '    api-svc/http (process.env.DB_URL, services/api/src/db.ts:1)',
        '',
        "read by code but left out by the function's secrets list (the function sees undefined):",
        '  DB_URL: api-svc/cron (services/api/src/cron.js:1)',
      ].join('\n'),
    );
    expect(r.stdout).toContain('  BETA_FLAG in stage dev (optional), needed by:');
    expect(r.stdout).toContain('    jobs-svc/nightly (process.env.BETA_FLAG, services/jobs/nightly.mjs:1)');
    expect(r.stdout).toMatch(/services\/broken\/bad\.js: cannot be parsed: /);
    expect(r.stdout).toContain('1 required name is missing');
    // served by the yaml environment, read through a fallback, or a config variable that is present: no need
    expect(r.stdout).not.toContain('SERVED_BY_YAML in stage');
    expect(r.stdout).not.toContain('FALLBACK_ONLY');
    expect(r.stdout).not.toContain('NODE_ENV');
  });

  it('--stage narrows the check: exit 0 when every required name is there', async () => {
    const r = await ws.run(['check', '--stage', 'dev'], { env: keyless });
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('ok: every needed name is in stage dev');
  });

  it('markdown, for a GitHub step summary', async () => {
    const r = await ws.run(['check', '--format', 'markdown', '--stage', 'prod', '--stage', 'dev'], { env: keyless });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('### stage-secrets check: ❌ 1 required name is missing');
    expect(r.stdout).toContain('| name | dev | prod | needed by |');
    // PR-chosen service and function names: code spans when they hold only safe characters (escapes otherwise)
    expect(r.stdout).toContain('| `DB_URL` | ✅ present | ❌ missing | `api-svc/http` |');
    expect(r.stdout).toContain('| `SLACK_HOOK` | ✅ present | ⏳ pending approval | `jobs-svc` |');
    expect(r.stdout).toContain('- `DB_URL` in stage **prod**, needed by:');
  });

  it('json: the report the Action and the console read', async () => {
    const r = await ws.run(['check', '--format', 'json'], { env: keyless });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as {
      ok: boolean;
      stages: string[];
      missing: Array<{ name: string; stage: string; required: boolean }>;
      rows: Array<{ name: string; cells: Record<string, string> }>;
    };
    expect(report.ok).toBe(false);
    expect(report.stages).toEqual(['dev', 'prod']);
    expect(report.missing.map((m) => `${m.name}/${m.stage}/${m.required}`)).toEqual([
      'BETA_FLAG/dev/false',
      'BETA_FLAG/prod/false',
      'DB_URL/prod/true',
    ]);
    expect(report.rows.find((row) => row.name === 'SLACK_HOOK')!.cells).toEqual({ dev: 'present', prod: 'pending' });
  });

  it('--help, and a bad --format is a usage error', async () => {
    const help = await ws.run(['check', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(
      'Usage: stage-secrets check [--stage S ...] [--format text|markdown|json] [--dir DIR]',
    );
    const bad = await ws.run(['check', '--format', 'html']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--format must be one of text, markdown, json');
  });
});

describe('stage-secrets rm and the contract', () => {
  it('refuses to remove a name some service still needs, naming where; nothing removed', async () => {
    const before = fs.readFileSync(ws.stageFile('dev'), 'utf8');
    const r = await ws.run(['rm', '--stage', 'dev', 'DB_URL', 'UNUSED'], { env: keyless });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not removing DB_URL from stage dev: still needed by');
    expect(r.stderr).toContain('DB_URL: api-svc/http (process.env.DB_URL, services/api/src/db.ts:1)');
    expect(r.stderr).not.toContain('UNUSED:');
    expect(r.stderr).toContain('--force');
    expect(fs.readFileSync(ws.stageFile('dev'), 'utf8')).toBe(before);
  });

  it('a required name of the config is refused too; an unneeded one is removed', async () => {
    const required = await ws.run(['rm', '--stage', 'dev', 'SLACK_HOOK'], { env: keyless });
    expect(required.code).toBe(1);
    expect(required.stderr).toContain('SLACK_HOOK: jobs-svc (required, services/jobs/serverless.js:5)');
    const unused = await ws.run(['rm', '--stage', 'dev', 'UNUSED'], { env: keyless });
    expect(unused.code, unused.stderr).toBe(0);
  });

  it('--force removes it anyway', async () => {
    const r = await ws.run(['rm', '--stage', 'dev', 'DB_URL', '--force'], { env: keyless });
    expect(r.code, r.stderr).toBe(0);
    expect(Object.keys(ws.readStage('dev').secrets)).not.toContain('DB_URL');
  });
});
