/**
 * The action bundle with a KMS identity: AWS credentials in the step env, as
 * aws-actions/configure-aws-credentials leaves them for later steps, and no local key. The bundle carries
 * its own copy of the AWS SDK's KMS client (the runner installs nothing), which talks HTTP to the local
 * KMS server of test/support.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, REPO_ROOT, type Workspace } from '../support/cli.js';
import { parseFileCommands, runAction } from '../support/github-runner.js';
import { kmsEnv, startKmsServer, type KmsServer } from '../support/kms-server.js';

let kms: KmsServer;
let ws: Workspace;
/** a copy of the bundle outside the repository: no node_modules to fall back on */
let bundle: string;

beforeAll(async () => {
  kms = await startKmsServer();
  kms.createKey({ alias: 'alias/ci' });
  ws = makeWorkspace('action-kms-app');
  bundle = path.join(ws.dir, '..', 'action', 'index.mjs');
  fs.mkdirSync(path.dirname(bundle));
  fs.copyFileSync(path.join(REPO_ROOT, 'action', 'index.mjs'), bundle);
  const init = await ws.run(['init', '--stage', 'prod', '--kms', 'alias/ci'], { env: kmsEnv(kms) });
  expect(init.code, init.stderr).toBe(0);
  const set = await ws.run(['set', '--stage', 'prod', 'DB_PASSWORD'], { env: kmsEnv(kms), input: 'kms-held-pw-1' });
  expect(set.code, set.stderr).toBe(0);
});

afterAll(async () => {
  await kms?.close();
  ws?.cleanup();
});

describe('the action with AWS credentials from an earlier step', () => {
  it('opens the stage with one kms:Decrypt and exports the secret', async () => {
    kms.resetCalls();
    const r = await runAction(bundle, {
      cwd: ws.dir,
      env: kmsEnv(kms, ws.env),
      inputs: { stage: 'prod', export: 'env', mask: 'true' },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('::add-mask::kms-held-pw-1');
    expect(parseFileCommands(r.envFile)).toEqual(new Map([['DB_PASSWORD', 'kms-held-pw-1']]));
    expect(kms.calls('Decrypt')).toBe(1);
  });

  it('access denied: exit 3, the tool message', async () => {
    kms.deny('Decrypt');
    try {
      const r = await runAction(bundle, {
        cwd: ws.dir,
        env: kmsEnv(kms, ws.env),
        inputs: { stage: 'prod', export: 'env', mask: 'true' },
      });
      expect(r.code).toBe(3);
      expect(r.stdout).toMatch(/^::error::stage-secrets: /m);
      expect(r.envFile).toBe('');
      expect(r.stdout + r.stderr).not.toContain('kms-held-pw-1');
    } finally {
      kms.allowAll();
    }
  });
});
