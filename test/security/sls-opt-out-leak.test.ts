import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { FRAMEWORKS, lambdas, prepareService, type SlsService } from '../support/sls-service.js';
import { CANARY, expectNoCanary, filesWithCanary } from './support.js';

/**
 * The CI flow with the build opted out through serverless.yml (custom.stageSecrets.setEnvs: false):
 * `stage-secrets run --no-mask -- serverless package`. The build env holds every value, the canary among them,
 * so a plugin that ignored the switch would find them there. Nothing of them may reach the package.
 */
describe('an opted-out service packaged under stage-secrets run', () => {
  const fw = FRAMEWORKS.find((f) => f.name === 'serverless')!;
  let svc: SlsService;
  let output: string;
  let code: number | null;

  beforeAll(async () => {
    svc = await prepareService('sls-opt-out', {
      stage: 'dev',
      secrets: { API_KEY: CANARY, DB_PASSWORD: `${CANARY}-db` },
    });
    fs.rmSync(path.join(svc.dir, 'seed.yml'));
    const yml = path.join(svc.dir, 'serverless.yml');
    fs.writeFileSync(yml, `${fs.readFileSync(yml, 'utf8')}\ncustom:\n  stageSecrets:\n    setEnvs: false\n`);
    // --no-mask: masking would hide a value that reached the log; the check below must see it.
    const r = await runCli(
      ['run', '--stage', 'dev', '--no-mask', '--', process.execPath, fw.bin, 'package', '--stage', 'dev'],
      {
        cwd: svc.dir,
        env: svc.env,
        timeoutMs: 90_000,
      },
    );
    code = r.code;
    output = `${r.stdout}\n${r.stderr}`;
  }, 120_000);
  afterAll(() => svc?.ws.cleanup());

  it('packages, with the functions keeping what serverless.yml says', () => {
    expect(code, output).toBe(0);
    const template = JSON.parse(
      fs.readFileSync(path.join(svc.dir, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8'),
    );
    expect(lambdas(template, 'opt-out-svc', 'dev').api!.variables).toEqual({
      API_KEY: 'from-provider-yaml',
      DB_PASSWORD: 'from-function-yaml',
    });
    expect(output).toContain('custom.stageSecrets.setEnvs is false');
  });

  it('no value in any file of .serverless nor anywhere else in the service folder, nor in the log', () => {
    expect(fs.readdirSync(path.join(svc.dir, '.serverless')).length).toBeGreaterThan(0);
    expect(filesWithCanary(path.join(svc.dir, '.serverless'))).toEqual([]);
    expect(filesWithCanary(svc.dir)).toEqual([]);
    expectNoCanary(output, 'framework output');
  });
});
