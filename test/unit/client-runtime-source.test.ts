/**
 * SecretClient inside a runtime-mode function: it reads what the wrapper opened (the process-wide
 * registry), with the same cache rules, and refuses updates: the package is read-only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SecretClient, SecretError } from '../../src/client/index.js';
import { publishRuntimeSecrets, RUNTIME_REGISTRY_KEY } from '../../src/core/runtime-registry.js';
import type { SecretValue } from '../../src/core/values.js';

function publish(values: Record<string, SecretValue>): void {
  publishRuntimeSecrets({ app: 'shop', stage: 'dev', deployStage: 'pr-7', function: 'api', values: new Map(Object.entries(values)) });
}

afterEach(() => {
  delete (globalThis as Record<symbol, unknown>)[RUNTIME_REGISTRY_KEY];
});

describe('SecretClient in a runtime-mode function', () => {
  it('reads typed values of the packaged secrets, for the deployed stage or the stage file it came from', async () => {
    publish({ PORT: { type: 'number', text: '5432' }, FEATURES: { type: 'json', text: '{"beta":true}' }, NAME: { type: 'string', text: 'shop' } });
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
    const err = await new SecretClient({ stage: 'dev', cwd: '/nonexistent' }).readSecret('OTHER').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretError);
    expect((err as SecretError).code).toBe('NOT_FOUND');
  });

  it('updateSecret fails: the package is read-only, secrets change with stage-secrets set and a deploy', async () => {
    publish({ NAME: { type: 'string', text: 'x' } });
    const err = await new SecretClient({ stage: 'pr-7', cwd: '/nonexistent' }).updateSecret({ key: 'NAME', value: 'y' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretError);
    expect(err).toMatchObject({ code: 'READ_ONLY', key: 'NAME' });
    expect((err as Error).message).toContain('function api runs with the secrets sealed into its package');
    expect((err as Error).message).toContain('stage-secrets set --stage dev NAME');
  });

  it('another stage is not served from the package', async () => {
    publish({ NAME: { type: 'string', text: 'x' } });
    const err = await new SecretClient({ stage: 'prod', cwd: '/nonexistent' }).readSecret('NAME').catch((e: unknown) => e);
    expect((err as SecretError).code).toBe('NOT_FOUND');
    expect((err as Error).message).toContain('no stage file');
  });
});
