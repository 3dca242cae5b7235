import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Approvals } from '../../../src/core/approval.js';
import { RUNTIME_BUNDLE_FORMAT, type RuntimeBundle, withBundleTag } from '../../../src/core/runtime-bundle.js';
import { runtimeSecrets } from '../../../src/core/runtime-registry.js';
import { openPackagedSecrets } from '../../../src/runtime/open-packaged.js';
import { initStage } from '../../../src/stages/init.js';
import { forgetUnwrappedKeys } from '../../../src/stages/open-file.js';
import { setSecrets } from '../../../src/stages/secrets.js';
import { Stage } from '../../../src/stages/stage.js';
import { kmsEnv, startKmsServer, type KmsServer } from '../../support/kms-server.js';
import { replaceAwsProcessEnv } from '../../support/process-env.js';

// The cold start in-process: the real @aws-sdk/client-kms against the local KMS server over HTTP.
let kms: KmsServer;
let root: string;
let restoreProcessEnv: () => void;

beforeAll(async () => {
  kms = await startKmsServer();
  // the SDK reads its region and endpoint from process.env
  restoreProcessEnv = replaceAwsProcessEnv(kmsEnv(kms));
  kms.createKey({ alias: 'alias/rt' });
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-open-packaged-'));
});

afterAll(async () => {
  restoreProcessEnv();
  await kms.close();
  fs.rmSync(root, { recursive: true, force: true });
});

async function packagedBundle(folder = 'secrets'): Promise<{ bundle: RuntimeBundle; env: NodeJS.ProcessEnv }> {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: path.join(root, `${folder}-cfg`) };
  const opts = { stage: 'prod', app: 'shop', dir: path.join(root, folder), env };
  await initStage(opts, [{ type: 'aws-kms', keyId: 'alias/rt' }]);
  await setSecrets(opts, [
    { name: 'API_KEY', type: 'string', value: 'k-1' },
    { name: 'DB_URL', type: 'string', value: 'postgres://x' },
  ]);
  const file = Stage.find(opts).read();
  const bundle: RuntimeBundle = {
    format: RUNTIME_BUNDLE_FORMAT,
    version: file.version,
    app: file.app,
    stage: file.stage,
    deployStage: 'prod',
    function: 'api',
    publicKey: file.publicKey,
    identities: file.identities,
    secrets: structuredClone(file.secrets),
  };
  return { bundle: JSON.parse(JSON.stringify(bundle)), env };
}

describe('openPackagedSecrets: what the registry hands out cannot be changed', () => {
  it('publishes a deep-frozen file, the one openEntry checks against: a change throws and opens nothing else', async () => {
    forgetUnwrappedKeys();
    const { bundle, env } = await packagedBundle();
    const values = await openPackagedSecrets(bundle, env);
    expect(values.get('API_KEY')?.text).toBe('k-1');
    expect(env.DB_URL).toBe('postgres://x');

    const registry = runtimeSecrets();
    const file = registry?.file;
    if (!file || !registry?.openEntry) throw new Error('no registry file or openEntry');
    for (const part of [file, file.secrets, file.secrets.API_KEY, file.identities, file.identities[0]])
      expect(Object.isFrozen(part)).toBe(true);
    const entry = file.secrets.API_KEY!;
    // ES modules run in strict mode: writing to a frozen object throws
    expect(() => {
      (file.secrets as Record<string, unknown>).OTHER = entry;
    }).toThrow(TypeError);
    expect(() => {
      (entry as { approved?: string }).approved = 'forged';
    }).toThrow(TypeError);
    await expect(registry.openEntry('OTHER', entry)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(registry.openEntry('API_KEY', entry)).resolves.toEqual({ type: 'string', text: 'k-1' });
  });

  it('opens a package made before entries carried their time: each entry gets the epoch, frozen as well', async () => {
    forgetUnwrappedKeys();
    const { bundle, env } = await packagedBundle('older');
    for (const entry of Object.values(bundle.secrets)) delete entry.updated;
    const values = await openPackagedSecrets(bundle, env);
    expect(values.get('DB_URL')?.text).toBe('postgres://x');
    const file = runtimeSecrets()?.file;
    if (!file) throw new Error('no registry file');
    for (const name of ['API_KEY', 'DB_URL']) {
      expect(file.secrets[name]?.updated, name).toBe('1970-01-01T00:00:00Z');
      expect(Object.isFrozen(file.secrets[name]), name).toBe(true);
    }
  });
});

describe('openPackagedSecrets and the bundle approval tag', () => {
  it('a tag over exactly the packaged entries skips every per-name HMAC; openEntry still checks its one name', async () => {
    forgetUnwrappedKeys();
    const { bundle, env } = await packagedBundle('tagged');
    const opened = await Stage.find({ stage: 'prod', app: 'shop', dir: path.join(root, 'tagged'), env }).open();
    const tagged = withBundleTag(bundle, opened.approvals, opened.open);
    expect(typeof tagged.approvedBundle).toBe('string');
    const hmacs = vi.spyOn(Approvals.prototype, 'isApproved');
    try {
      const values = await openPackagedSecrets(tagged, env);
      expect(values.get('DB_URL')?.text).toBe('postgres://x');
      expect(hmacs).not.toHaveBeenCalled();
      const registry = runtimeSecrets();
      if (!registry?.openEntry || !registry.file) throw new Error('no openEntry');
      const entry = registry.file.secrets.API_KEY!;
      await expect(registry.openEntry('API_KEY', entry)).resolves.toEqual({ type: 'string', text: 'k-1' });
      expect(hmacs).toHaveBeenCalledTimes(1);
    } finally {
      hmacs.mockRestore();
    }
  });

  it('a package without the tag (made by an older version) checks each name', async () => {
    const { bundle, env } = await packagedBundle('untagged');
    const hmacs = vi.spyOn(Approvals.prototype, 'isApproved');
    try {
      await openPackagedSecrets(bundle, env);
      expect(hmacs).toHaveBeenCalledTimes(2);
    } finally {
      hmacs.mockRestore();
    }
  });
});
