/**
 * A fallback rule whose pattern matches every stage name (`*`) would let a writer who deletes
 * secrets/prod.json make a prod build run on another stage's secrets, with only a log line to show
 * it: the design requires a pattern so that a missing prod file never falls back. Such rules are
 * refused wherever rules come from, before any stage file is opened.
 */
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../support/cli.js';
import { readSettings } from '../../src/serverless/config.js';
import { locateStage } from '../../src/stages/locate.js';

const report = `console.log('CHILD-STARTED ' + process.env.STAGE_SECRETS_STAGE)`;

describe('a catch-all fallback pattern', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = makeWorkspace('shop');
    fs.mkdirSync(`${ws.dir}/.git`);
    for (const stage of ['dev', 'prod']) {
      const init = await ws.run(['init', '--stage', stage]);
      expect(init.code, init.stderr).toBe(0);
      expect((await ws.run(['set', '--stage', stage, 'API_KEY', `${stage}-value-1234567`])).code).toBe(0);
    }
    fs.rmSync(ws.stageFile('prod')); // the writer's change
  });
  afterAll(() => ws.cleanup());

  for (const pattern of ['*', '**']) {
    it(`run --fallback '${pattern}=dev' for stage prod is refused and starts no child`, async () => {
      const r = await ws.run([
        'run',
        '--stage',
        'prod',
        '--fallback',
        `${pattern}=dev`,
        '--',
        process.execPath,
        '-e',
        report,
      ]);
      expect(r.code).toBe(1);
      expect(r.stdout).not.toContain('CHILD-STARTED');
      expect(r.stderr).toContain(`--fallback: "${pattern}" matches every stage, prod included`);
    });
  }

  it('STAGE_SECRETS_FALLBACKS with a catch-all rule is refused by export (nothing printed)', async () => {
    const r = await ws.run(['export', '--stage', 'prod', '--format', 'json'], {
      env: { STAGE_SECRETS_FALLBACKS: 'pr-*=dev,*=dev' },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('STAGE_SECRETS_FALLBACKS: "*" matches every stage, prod included');
  });

  it('custom.stageSecrets.fallbacks { "*": dev } is refused', () => {
    expect(() => readSettings({ stageSecrets: { fallbacks: { '*': 'dev' } } })).toThrow(
      /custom\.stageSecrets\.fallbacks: "\*" matches every stage, prod included/,
    );
  });

  it('a catch-all rule handed to the loader directly (SST helper, client) does not apply either', () => {
    expect(() =>
      locateStage({ stage: 'prod', cwd: ws.dir, env: {}, fallbacks: [{ pattern: '*', stage: 'dev' }] }, 'read'),
    ).toThrow(
      expect.objectContaining({
        code: 'USAGE',
        message: expect.stringContaining('"*" matches every stage, prod included'),
      }),
    );
  });

  it('a rule with a fixed part still works', async () => {
    const r = await ws.run(['run', '--stage', 'pr-3', '--fallback', 'pr-*=dev', '--', process.execPath, '-e', report]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('CHILD-STARTED pr-3');
  });
});
