/**
 * SecretClient inside a runtime-mode function: it reads what the wrapper opened (the process-wide
 * registry), with the same cache rules, and refuses updates: the package is read-only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SecretClient, SecretError } from '../../../src/client/index.js';
import type { StageFile } from '../../../src/core/format.js';
import {
  publishRuntimeSecrets,
  RUNTIME_REGISTRY_KEY,
  type RuntimeSecrets,
} from '../../../src/core/runtime-registry.js';
import type { SecretValue } from '../../../src/core/values.js';

function publish(values: Record<string, SecretValue>): void {
  publishRuntimeSecrets({
    app: 'shop',
    stage: 'dev',
    deployStage: 'pr-7',
    function: 'api',
    values: new Map(Object.entries(values)),
  });
}

afterEach(() => {
  delete (globalThis as Record<symbol, unknown>)[RUNTIME_REGISTRY_KEY];
});

describe('SecretClient in a runtime-mode function', () => {
  it('reads typed values of the packaged secrets, for the deployed stage or the stage file it came from', async () => {
    publish({
      PORT: { type: 'number', text: '5432' },
      FEATURES: { type: 'json', text: '{"beta":true}' },
      NAME: { type: 'string', text: 'shop' },
    });
    const client = new SecretClient({ stage: 'pr-7', cwd: '/nonexistent' });
    expect(await client.readSecret('PORT')).toBe(5432);
    expect(await client.readSecret('FEATURES')).toEqual({ beta: true });
    expect(await new SecretClient({ stage: 'dev', cwd: '/nonexistent' }).readSecret('NAME')).toBe('shop');
  });

  it('keeps a value for the cache time; useCache: false reads the packaged secrets again', async () => {
    let now = 0;
    publish({ NAME: { type: 'string', text: 'first' } });
    const client = new SecretClient({ stage: 'dev', cwd: '/nonexistent', now: () => now });
    expect(await client.readSecret('NAME')).toBe('first');
    publish({ NAME: { type: 'string', text: 'second' } });
    now = 60_000;
    expect(await client.readSecret('NAME')).toBe('first');
    expect(await client.readSecret('NAME', { useCache: false })).toBe('second');
  });

  it('a name the function did not receive is NOT_FOUND', async () => {
    publish({ NAME: { type: 'string', text: 'x' } });
    const err = await new SecretClient({ stage: 'dev', cwd: '/nonexistent' })
      .readSecret('OTHER')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretError);
    expect((err as SecretError).code).toBe('NOT_FOUND');
  });

  it('updateSecret fails: the package is read-only, secrets change with stage-secrets set and a deploy', async () => {
    publishRuntimeSecrets({
      app: 'shop',
      stage: 'dev',
      deployStage: 'dev',
      function: 'api',
      values: new Map([['NAME', { type: 'string', text: 'x' }]]),
    });
    const err = await new SecretClient({ stage: 'dev', cwd: '/nonexistent' })
      .updateSecret({ key: 'NAME', value: 'y' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretError);
    expect(err).toMatchObject({ code: 'READ_ONLY', key: 'NAME' });
    expect((err as Error).message).toContain('function api runs with the secrets sealed into its package');
    expect((err as Error).message).toContain('stage-secrets set --stage dev NAME');
  });

  it("updateSecret in a preview stage on a fallback stage file names the fallback and the fix, for either stage's client", async () => {
    publish({ NAME: { type: 'string', text: 'x' } });
    for (const stage of ['pr-7', 'dev']) {
      const err = await new SecretClient({ stage, cwd: '/nonexistent' })
        .updateSecret({ key: 'NAME', value: 'y' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SecretError);
      expect(err).toMatchObject({ code: 'READ_ONLY', key: 'NAME' });
      expect((err as Error).message).toContain(
        "stage pr-7 uses stage dev's secrets through a preview fallback and may read but not update them",
      );
      expect((err as Error).message).toContain('stage-secrets init --stage pr-7');
    }
  });

  it('another stage is not served from the package', async () => {
    publish({ NAME: { type: 'string', text: 'x' } });
    const err = await new SecretClient({ stage: 'prod', cwd: '/nonexistent' })
      .readSecret('NAME')
      .catch((e: unknown) => e);
    expect((err as SecretError).code).toBe('NOT_FOUND');
    expect((err as Error).message).toContain('no stage file');
  });
});

describe('SecretClient in a runtime-mode function with a runtime store', () => {
  const file = {
    version: 2,
    app: 'shop',
    stage: 'dev',
    publicKey: 'AAAA',
    identities: [],
    secrets: { NAME: { type: 'string', updated: '2030-01-01T00:00:00.000Z', epk: 'e', nonce: 'n', ct: 'c', tag: 't' } },
  } as unknown as StageFile;
  const withStore = (registry: Partial<RuntimeSecrets>) =>
    publishRuntimeSecrets({
      app: 'shop',
      stage: 'dev',
      deployStage: 'dev',
      function: 'api',
      values: new Map([['NAME', { type: 'string', text: 'x' }]]),
      ...registry,
    });
  const client = () =>
    new SecretClient({ stage: 'dev', cwd: '/nonexistent', store: 's3://runtime-secrets/team', env: {} });

  it('a name the function did not receive cannot be updated: NOT_FOUND naming the function and the fix, before any S3 call', async () => {
    withStore({ file, openEntry: async () => ({ type: 'string', text: 'never' }) });
    const err = await client()
      .updateSecret({ key: 'OTHER', value: 'y' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretError);
    expect(err).toMatchObject({ code: 'NOT_FOUND', key: 'OTHER' });
    expect((err as Error).message).toContain('function api did not receive it');
    expect((err as Error).message).toContain("Add OTHER to the function's secrets list in serverless.yml");
  });

  it('a package made before the store existed is refused clearly, for reads and updates', async () => {
    withStore({});
    for (const call of [client().readSecret('NAME'), client().updateSecret({ key: 'NAME', value: 'y' })]) {
      const err = await call.catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'USAGE' });
      expect((err as Error).message).toContain(
        'function api was packaged by a stage-secrets release without the runtime store: package and deploy it again',
      );
    }
  });

  it('a preview stage on a fallback stage file may not update even with a store (an S3 grant added by hand): READ_ONLY, before any S3 call', async () => {
    const openEntry = async (): Promise<never> => {
      throw new Error('the store was read');
    };
    withStore({ deployStage: 'pr-7', file, openEntry });
    // an S3 call would fail with IO against this closed port: READ_ONLY shows none was made
    const env = {
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'y',
      AWS_REGION: 'us-east-1',
    };
    const err = await new SecretClient({ stage: 'pr-7', cwd: '/nonexistent', store: 's3://runtime-secrets/team', env })
      .updateSecret({ key: 'NAME', value: 'y' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretError);
    expect(err).toMatchObject({ code: 'READ_ONLY', key: 'NAME' });
    expect((err as Error).message).toContain(
      "stage pr-7 uses stage dev's secrets through a preview fallback and may read but not update them",
    );
    expect((err as Error).message).toContain('stage-secrets init --stage pr-7');
    expect((err as Error).message).toContain('update NAME from a deployment of stage dev');
    expect((err as Error).message).not.toContain('custom.stageSecrets.store');
  });

  it('without a store the package stays read-only, and the error names the store as the way to update', async () => {
    withStore({ file, openEntry: async () => ({ type: 'string', text: 'never' }) });
    const err = await new SecretClient({ stage: 'dev', cwd: '/nonexistent', env: {} })
      .updateSecret({ key: 'NAME', value: 'y' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'READ_ONLY' });
    expect((err as Error).message).toContain('custom.stageSecrets.store');
  });
});
