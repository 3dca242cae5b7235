/**
 * check and status mark reference names (set --ref), without a key. status compares the digest of the sealed
 * entries a function receives, so a reference whose target changed shows stale like a changed value.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkApp } from '../../../src/contract/check.js';
import { appDeployStatus, functionLogicalId, type DeployReader } from '../../../src/contract/deployed.js';
import { renderStatus } from '../../../src/contract/deployed-render.js';
import { renderCheck } from '../../../src/contract/render.js';
import { deployDigest } from '../../../src/core/deploy-digest.js';
import { forgetUnwrappedKeys } from '../../../src/stages/open-file.js';
import { setSecrets } from '../../../src/stages/secrets.js';
import { Stage } from '../../../src/stages/stage.js';
import { makeTempRepo, seedDevStage, type TempRepo } from '../../support/temp-repo.js';

const CONFIG = `service: api
provider:
  name: aws
  region: eu-west-1
functions:
  pay:
    handler: handler.main
    secrets: [SHARED, API_KEY]
`;

let repo: TempRepo;
const stageOpts = () => ({ stage: 'dev', app: 'shop', cwd: repo.root, env: repo.env });
const stageFile = () => Stage.find(stageOpts(), 'read').read();

beforeAll(async () => {
  repo = makeTempRepo('refs-contract', 'api');
  await seedDevStage('shop', repo.root, repo.env);
  await setSecrets(stageOpts(), [{ name: 'SHARED', type: 'string', value: 'ssm:/org/shared/key', ref: true }]);
  fs.writeFileSync(path.join(repo.serviceDir, 'serverless.yml'), CONFIG);
  fs.writeFileSync(path.join(repo.serviceDir, 'handler.js'), 'exports.main = async () => 1;\n');
});

afterAll(() => {
  forgetUnwrappedKeys();
  repo.cleanup();
});

describe('check', () => {
  it('marks a reference name in the stages where it is one (text, markdown, json)', async () => {
    const report = await checkApp({ cwd: repo.serviceDir, env: repo.env });
    const row = report.rows.find((r) => r.name === 'SHARED')!;
    expect(row.references).toEqual(['dev']);
    expect(report.rows.find((r) => r.name === 'API_KEY')!.references).toBeUndefined();
    expect(renderCheck(report, 'text')).toMatch(/SHARED\s+present \(ref\)/);
    expect(renderCheck(report, 'text')).toMatch(/API_KEY\s+present\s/);
    expect(renderCheck(report, 'markdown')).toContain('present (reference)');
    expect(renderCheck(report, 'text')).not.toContain('ssm:/org/shared/key');
  });
});

describe('status', () => {
  it('marks references, and a changed target shows stale (the digest covers the sealed entry)', async () => {
    const recorded = deployDigest(stageFile(), ['API_KEY', 'SHARED']);
    const reader: DeployReader = {
      async stackFunctions() {
        return new Map([[functionLogicalId('pay'), 'api-dev-pay']]);
      },
      async functionRecord() {
        return { deployed: true, record: recorded };
      },
    };
    const status = () => appDeployStatus({ stage: 'dev', cwd: repo.serviceDir, env: repo.env, reader });
    const before = await status();
    expect(before.functions.map((f) => [f.function, f.state, f.references])).toEqual([['pay', 'current', ['SHARED']]]);
    expect(renderStatus(before, 'text')).toContain('references: SHARED. status compares sealed entries');
    await setSecrets(stageOpts(), [{ name: 'SHARED', type: 'string', value: 'ssm:/org/shared/other', ref: true }]);
    const after = await status();
    expect(after.functions[0]!.state).toBe('stale');
    expect(renderStatus(after, 'text')).not.toContain('ssm:/org/shared');
  });
});
