import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLogger } from '../../src/core/log.js';
import { applyContract } from '../../src/serverless/contract.js';
import type { ServiceConfig } from '../../src/serverless/types.js';
import type { Workspace } from '../support/cli.js';
import { type GitRepo, gitWorkspace } from '../support/git-repo.js';

/**
 * A name the code reads stays needed after it left every stage: once a secret in git history (or declared
 * in `custom.stageSecrets.required` / a `secrets:` list), it is reported missing wherever it is missing, by
 * `check` and by the plugin's package-time contract. Real git history.
 */

const SERVICE_YML = [
  'service: api',
  'provider:',
  '  name: aws',
  '  runtime: nodejs20.x',
  'custom:',
  '  stageSecrets:',
  '    required: [DECLARED_ONLY]',
  'functions:',
  '  http:',
  '    handler: src/http.main',
  '  listed:',
  '    handler: src/listed.main',
  '    secrets: [LISTED_ONLY]',
  '',
].join('\n');

describe('names from git history and declarations stay needed', () => {
  let ws: Workspace;
  let repo: GitRepo;
  const service = () => path.join(ws.dir, 'services/api');

  beforeAll(async () => {
    ({ ws, repo } = gitWorkspace('history-app'));
    await repo.cli(['init', '--stage', 'dev']);
    await repo.cli(['set', '--stage', 'dev', 'GONE_KEY', 'history-gone-value']);
    await repo.cli(['set', '--stage', 'dev', 'KEPT_KEY', 'history-kept-value']);
    fs.mkdirSync(path.join(service(), 'src'), { recursive: true });
    fs.writeFileSync(path.join(service(), 'serverless.yml'), SERVICE_YML);
    fs.writeFileSync(
      path.join(service(), 'src/http.js'),
      'exports.main = async () => [process.env.GONE_KEY, process.env.KEPT_KEY];\n',
    );
    fs.writeFileSync(path.join(service(), 'src/listed.js'), 'exports.main = async () => 1;\n');
    repo.commitAll('base');
    // a teammate removes a name the code still reads, past rm's refusal
    await repo.cli(['rm', '--stage', 'dev', 'GONE_KEY', '--force'], true);
    repo.commitAll('remove GONE_KEY');
  }, 60_000);

  afterAll(() => {
    setLogger(undefined);
    ws.cleanup();
  });

  it('check: the removed name, the required-only and the listed-only names are missing in dev (exit 1)', async () => {
    const r = await repo.run(['check', '--format', 'json'], true);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as { missing: Array<{ name: string; stage: string; required: boolean }> };
    expect(report.missing.map((m) => `${m.name} ${m.stage} ${m.required}`).sort()).toEqual([
      'DECLARED_ONLY dev true',
      'GONE_KEY dev true',
      'LISTED_ONLY dev true',
    ]);
    const text = await repo.run(['check'], true);
    expect(text.stdout).toContain('GONE_KEY in stage dev, needed by:');
    expect(text.stdout).toContain('api/http (process.env.GONE_KEY, services/api/src/http.js:1)');
  });

  it("the plugin's package-time contract refuses to package a function reading the removed name", async () => {
    setLogger({ notice: () => undefined, warn: () => undefined });
    const config: ServiceConfig = {
      service: 'api',
      provider: { name: 'aws' },
      custom: { stageSecrets: { required: [] } },
      functions: { http: { handler: 'src/http.main' } },
    } as unknown as ServiceConfig;
    const attempt = applyContract({
      service: config,
      serviceDir: service(),
      configFile: path.join(service(), 'serverless.yml'),
      secretsDir: path.join(ws.dir, 'secrets'),
      stage: 'dev',
      stageNames: new Set(['KEPT_KEY']),
      env: repo.env,
      log: { notice: () => undefined, warn: () => undefined },
    });
    await expect(attempt).rejects.toThrow(/function http needs GONE_KEY \(process\.env\.GONE_KEY, src\/http\.js:1\)/);
  });
});
