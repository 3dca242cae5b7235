/**
 * docs/local-development.md on the real serverless v3: a teammate without the stage's key runs
 * `serverless invoke local`. The key error names the way to work without secrets; with it
 * (SLS_SET_SECRET_ENVS=false) the handler runs with serverless.yml's values and the ones they pass; a
 * teammate who holds the dev stage's key gets the secrets.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoValues, token } from '../support/plugin-package-suite.js';
import { FRAMEWORKS, prepareService, runFramework, type SlsService } from '../support/sls-service.js';

const fw = FRAMEWORKS.find((f) => f.name === 'serverless')!;
const REPORT = `'use strict';
exports.main = async () => ({ API_KEY: process.env.API_KEY ?? null, DB_PASSWORD: process.env.DB_PASSWORD ?? null });
`;

describe('local development without the stage key (serverless invoke local)', () => {
  let svc: SlsService;
  let teammate: NodeJS.ProcessEnv;
  const secrets = { API_KEY: token('api'), DB_PASSWORD: token('db') };
  beforeAll(async () => {
    svc = await prepareService('sls-per-function', { stage: 'dev', secrets, secretsDir: 'config/secrets' });
    fs.writeFileSync(path.join(svc.dir, 'handler.js'), REPORT);
    teammate = { ...svc.env };
    delete teammate.STAGE_SECRETS_KEY_DEV;
  }, 240_000);
  afterAll(() => svc?.ws.cleanup());

  const reported = (stdout: string): unknown =>
    JSON.parse(stdout.slice(stdout.indexOf('{'), stdout.lastIndexOf('}') + 1));

  it('without the key: the error names the stage, the opt-out for local work and the doc, never a value', async () => {
    const r = await runFramework(fw, ['invoke', 'local', '-f', 'full', '--stage', 'dev'], svc.dir, teammate);
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/cannot open stage dev/);
    expect(r.output).toMatch(/SLS_SET_SECRET_ENVS=false/);
    expect(r.output).toMatch(/docs\/local-development\.md/);
    expectNoValues(r.output, secrets);
  }, 180_000);

  it('with SLS_SET_SECRET_ENVS=false: the handler runs with the yaml values and stand-ins passed with -e', async () => {
    const r = await runFramework(
      fw,
      ['invoke', 'local', '-f', 'full', '--stage', 'dev', '-e', 'DB_PASSWORD=local-stand-in'],
      svc.dir,
      { ...teammate, SLS_SET_SECRET_ENVS: 'false' },
    );
    expect(r.code, r.output).toBe(0);
    expect(reported(r.stdout)).toEqual({ API_KEY: 'from-provider-yaml', DB_PASSWORD: 'local-stand-in' });
    expect(r.output).toContain('functions get no secrets of stage dev (SLS_SET_SECRET_ENVS=false');
  }, 180_000);

  it("a teammate who holds the dev stage's key gets its secrets", async () => {
    const r = await runFramework(fw, ['invoke', 'local', '-f', 'full', '--stage', 'dev'], svc.dir, svc.env);
    expect(r.code, r.output).toBe(0);
    expect(reported(r.stdout)).toEqual(secrets);
  }, 180_000);
});
