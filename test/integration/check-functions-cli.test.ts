/**
 * `check --functions`, run as the CLI process on an app of three services: per stage, service and
 * function, the names the plugin gives it (no list: every secret; a function's list; the service's
 * custom.stageSecrets.secrets; secrets: auto from the code; opted out), without any key.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../support/cli.js';

function write(ws: Workspace, file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(ws.dir, file)), { recursive: true });
  fs.writeFileSync(path.join(ws.dir, file), text);
}

describe('check --functions: which function gets which names', () => {
  let ws: Workspace;
  let keyless: NodeJS.ProcessEnv;

  beforeAll(async () => {
    ws = makeWorkspace('check-functions');
    fs.mkdirSync(path.join(ws.dir, '.git'));
    const ok = async (args: string[]) => {
      const r = await ws.run(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    };
    for (const stage of ['dev', 'prod']) await ok(['init', '--stage', stage, '--app', 'shop']);
    for (const name of ['API_TOKEN', 'DB_URL', 'RATE']) await ok(['set', '--stage', 'dev', name, 'v']);
    for (const name of ['API_TOKEN', 'DB_URL']) await ok(['set', '--stage', 'prod', name, 'v']);
    const fn = (name: string, extra = '') => `  ${name}:\n    handler: ${name}.main\n${extra}`;
    write(
      ws,
      'api/serverless.yml',
      'service: api\nprovider:\n  name: aws\n  runtime: nodejs20.x\ncustom:\n  stageSecrets:\n    mode: runtime\n' +
        `functions:\n${fn('everything')}${fn('listed', '    secrets: [DB_URL]\n')}${fn('reader', '    secrets: auto\n')}`,
    );
    for (const f of ['everything', 'listed']) write(ws, `api/${f}.js`, 'exports.main = async () => 1;\n');
    write(ws, 'api/reader.js', 'exports.main = async () => process.env.API_TOKEN;\n');
    write(
      ws,
      'worker/serverless.yml',
      'service: worker\nprovider:\n  name: aws\n  runtime: nodejs20.x\ncustom:\n  stageSecrets:\n' +
        `    secrets: [DB_URL, RATE]\nfunctions:\n${fn('job')}`,
    );
    write(ws, 'worker/job.js', 'exports.main = async () => 1;\n');
    write(
      ws,
      'web/serverless.yml',
      `service: web\nprovider:\n  name: aws\n  runtime: nodejs20.x\nfunctions:\n${fn('page')}`,
    );
    write(ws, 'web/seed.yml', 'sls_set_secret_envs: false\n');
    write(ws, 'web/page.js', 'exports.main = async () => 1;\n');
    keyless = { ...ws.env, XDG_CONFIG_HOME: path.join(ws.config, '..', 'no-keys') };
  });
  afterAll(() => ws?.cleanup());

  it('gives per stage, service and function the names it receives, and the rule (JSON)', async () => {
    const r = await ws.run(['check', '--functions', '--format', 'json'], { env: keyless });
    // prod lacks RATE, which worker's custom.stageSecrets.secrets lists: that service cannot be packaged
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as {
      secretsDir: string;
      stages: Array<{
        stage: string;
        services: Array<{
          service: string;
          mode: string;
          optedOut?: string;
          problem?: string;
          functions: Array<{ function: string; names: string[]; rule: string }>;
        }>;
      }>;
    };
    expect(report.secretsDir).toBe('secrets');
    const dev = report.stages.find((s) => s.stage === 'dev')!;
    expect(dev.services.map((s) => [s.service, s.mode])).toEqual([
      ['api', 'runtime'],
      ['web', 'env'],
      ['worker', 'env'],
    ]);
    expect(dev.services[0]!.functions).toEqual([
      { function: 'everything', names: ['API_TOKEN', 'DB_URL', 'RATE'], rule: 'all' },
      { function: 'listed', names: ['DB_URL'], rule: 'function-list' },
      { function: 'reader', names: ['API_TOKEN'], rule: 'auto' },
    ]);
    expect(dev.services[1]!.optedOut).toMatch(/sls_set_secret_envs: false in .*web\/seed\.yml/);
    expect(dev.services[1]!.functions).toEqual([{ function: 'page', names: [], rule: 'opted-out' }]);
    expect(dev.services[2]!.functions).toEqual([{ function: 'job', names: ['DB_URL', 'RATE'], rule: 'service-list' }]);
    const prod = report.stages.find((s) => s.stage === 'prod')!;
    expect(prod.services[0]!.functions[0]).toEqual({
      function: 'everything',
      names: ['API_TOKEN', 'DB_URL'],
      rule: 'all',
    });
    expect(prod.services[2]!.problem).toMatch(/stage prod has no secret named as listed.*RATE/);
  });

  it('prints it as text, and exits 0 for a stage where every service can be packaged', async () => {
    const r = await ws.run(['check', '--functions', '--stage', 'dev'], { env: keyless });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('stage dev');
    expect(lines[1]).toBe('  service api (api/serverless.yml, runtime mode)');
    expect(lines[2]).toMatch(
      /^ {4}everything\s+API_TOKEN, DB_URL, RATE\s+\[every secret of the stage \(no secrets: list\)\]$/,
    );
    expect(lines[3]).toMatch(/^ {4}listed\s+DB_URL\s+\[its secrets: list\]$/);
    expect(lines[4]).toMatch(/^ {4}reader\s+API_TOKEN\s+\[secrets: auto \(the names its code reads\)\]$/);
    expect(lines[5]).toMatch(
      /^ {2}service web \(web\/serverless\.yml, env mode\): opted out \(.*\): its functions get no secrets$/,
    );
    expect(lines[7]).toMatch(/^ {4}job\s+DB_URL, RATE\s+\[custom\.stageSecrets\.secrets\]$/);
  });
});
