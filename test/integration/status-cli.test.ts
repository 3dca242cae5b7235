/**
 * `status` as a process, where no AWS answers: usage errors, and AWS unreachable (exit 3, naming the read
 * it tried). The reads themselves are tested against moto in e2e/deploy-*.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../support/cli.js';

describe('stage-secrets status', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = makeWorkspace('status-app');
    fs.mkdirSync(path.join(ws.dir, '.git'));
    expect((await ws.run(['init', '--stage', 'dev', '--local'])).code).toBe(0);
    fs.mkdirSync(path.join(ws.dir, 'api'));
    fs.writeFileSync(
      path.join(ws.dir, 'api', 'serverless.yml'),
      'service: api\nprovider:\n  name: aws\nfunctions:\n  hello:\n    handler: handler.main\n',
    );
  });
  afterAll(() => ws.cleanup());

  it('refuses a missing --stage, an unknown format and a region that is no region name', async () => {
    const noStage = await ws.run(['status']);
    expect(noStage.code).toBe(1);
    expect(noStage.stderr).toContain('--stage is required');
    const format = await ws.run(['status', '--stage', 'dev', '--format', 'xml']);
    expect(format.code).toBe(1);
    expect(format.stderr).toContain('--format must be one of text, markdown, json');
    const region = await ws.run(['status', '--stage', 'dev', '--region', 'moon']);
    expect(region.code).toBe(1);
    expect(region.stderr).toContain('is not an AWS region name');
  });

  it('a stage without a stage file is named', async () => {
    const r = await ws.run(['status', '--stage', 'prod']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/prod/);
  });

  it('AWS unreachable: exit 3, naming the read it tried, nothing on stdout', async () => {
    const r = await ws.run(['status', '--stage', 'dev'], {
      env: {
        AWS_ACCESS_KEY_ID: 'x',
        AWS_SECRET_ACCESS_KEY: 'y',
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
        AWS_MAX_ATTEMPTS: '1',
      },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('cloudformation:DescribeStackResources on stack api-dev in us-east-1');
    expect(r.stdout).toBe('');
  });
});
