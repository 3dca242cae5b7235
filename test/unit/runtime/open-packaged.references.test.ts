/**
 * Runtime mode carries reference entries as sealed, with the header's tagged allowed prefixes: at cold start
 * a reference outside them is refused, and a list a writer widened fails its tag, before any value is set.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_BUNDLE_FORMAT, type RuntimeBundle } from '../../../src/core/runtime-bundle.js';
import { openPackagedSecrets } from '../../../src/runtime/open-packaged.js';
import { setAllowedRefs } from '../../../src/stages/approve.js';
import { initStage } from '../../../src/stages/init.js';
import { forgetUnwrappedKeys } from '../../../src/stages/open-file.js';
import { setSecrets } from '../../../src/stages/secrets.js';
import { Stage } from '../../../src/stages/stage.js';
import { kmsEnv, startKmsServer, type KmsServer } from '../../support/kms-server.js';

let kms: KmsServer;
let root: string;
const saved = { ...process.env };
let bundle: RuntimeBundle;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  kms = await startKmsServer();
  for (const name of Object.keys(process.env))
    if (name.startsWith('AWS_') || name.startsWith('STAGE_SECRETS_')) delete process.env[name];
  Object.assign(process.env, kmsEnv(kms));
  kms.createKey({ alias: 'alias/rt-refs' });
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-packaged-refs-'));
  env = { ...process.env, XDG_CONFIG_HOME: path.join(root, 'cfg') };
  const opts = { stage: 'prod', app: 'shop', dir: path.join(root, 'secrets'), env };
  await initStage(opts, [{ type: 'aws-kms', keyId: 'alias/rt-refs' }]);
  await setSecrets(opts, [
    { name: 'API_KEY', type: 'string', value: 'k-1' },
    { name: 'SHARED', type: 'string', value: 'secretsmanager:other/key', ref: true },
  ]);
  await setAllowedRefs(opts, ['ssm:/org/shared/']);
  const file = Stage.find(opts).read();
  expect(file.secrets.SHARED!.ref).toBe(true);
  bundle = JSON.parse(
    JSON.stringify({
      format: RUNTIME_BUNDLE_FORMAT,
      version: file.version,
      app: file.app,
      stage: file.stage,
      deployStage: 'prod',
      function: 'api',
      publicKey: file.publicKey,
      allowedRefs: file.allowedRefs,
      identities: file.identities,
      secrets: file.secrets,
    }),
  );
});

afterAll(async () => {
  forgetUnwrappedKeys();
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
  await kms.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('openPackagedSecrets and references', () => {
  it('refuses a packaged reference outside the allowed prefixes, setting nothing', async () => {
    const target: NodeJS.ProcessEnv = { ...env };
    const err = await openPackagedSecrets(structuredClone(bundle), target).catch((e: unknown) => e);
    expect((err as Error).message).toContain('SHARED -> secretsmanager:other/key');
    expect(target.API_KEY).toBeUndefined();
  });

  it('refuses a widened list (its tag fails)', async () => {
    const widened = structuredClone(bundle);
    widened.allowedRefs!.prefixes = ['secretsmanager:', 'ssm:/org/shared/'];
    const err = await openPackagedSecrets(widened, { ...env }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('allowedRefs');
  });
});
