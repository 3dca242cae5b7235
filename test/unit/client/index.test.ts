import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../../src/core/exit-codes.js';
import { StageSecretsError } from '../../../src/core/errors.js';
import { approveNames } from '../../../src/stages/approve.js';
import { initStage } from '../../../src/stages/init.js';
import { listSecrets } from '../../../src/stages/list.js';
import { forgetUnwrappedKeys } from '../../../src/stages/open-file.js';
import type { StageOptions } from '../../../src/stages/options.js';
import { setSecrets } from '../../../src/stages/secrets.js';
import { SecretClient, SecretError, type SecretClientOptions } from '../../../src/client/index.js';
import { makeWorkspace, type Workspace } from '../../support/cli.js';
import { provenRunEnv, type ProvenRunEnv } from '../../support/run-env.js';

let ws: Workspace;
let base: StageOptions;
const DB_URL = 'postgres://user:pw@db.internal/shop';

beforeAll(async () => {
  ws = makeWorkspace('shop');
  base = { stage: 'dev', app: 'shop', cwd: ws.dir, env: ws.env };
  await initStage(base, [{ type: 'local' }]);
  await setSecrets(base, [
    { name: 'DB_URL', type: 'string', value: DB_URL },
    { name: 'PORT', type: 'number', value: '5432' },
    { name: 'FEATURES', type: 'json', value: '{"beta":true,"tiers":[1,2]}' },
  ]);
});

const proven: ProvenRunEnv[] = [];
/** what stage-secrets run for stage dev gives its child */
function runEnv(inherited: NodeJS.ProcessEnv, values: Record<string, string>): NodeJS.ProcessEnv {
  const made = provenRunEnv(inherited, 'dev', ws.stageFile('dev'), values);
  proven.push(made);
  return made.env;
}

afterAll(() => {
  proven.forEach((p) => p.remove());
  ws.cleanup();
});

function client(extra: Partial<SecretClientOptions> = {}): SecretClient {
  return new SecretClient({ stage: 'dev', cwd: ws.dir, env: ws.env, ...extra });
}

async function failure(p: Promise<unknown>): Promise<SecretError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof SecretError) return err;
    throw err;
  }
  throw new Error('expected a SecretError');
}

describe('SecretClient.readSecret', () => {
  it('resolves each secret as its type says', async () => {
    const c = client();
    expect(await c.readSecret('DB_URL')).toBe(DB_URL);
    expect(await c.readSecret<number>('PORT')).toBe(5432);
    expect(await c.readSecret('FEATURES')).toEqual({ beta: true, tiers: [1, 2] });
  });

  it('raises a SecretError (also a StageSecretsError) for an unknown key, naming the key only', async () => {
    const err = await failure(client().readSecret('NOPE'));
    expect(err).toBeInstanceOf(StageSecretsError);
    expect(err.code).toBe('NOT_FOUND');
    expect(err.key).toBe('NOPE');
    expect(err.message).toContain('NOPE');
    expect(err.message).not.toContain(DB_URL);
  });

  it('turns a core failure into a SecretError with the same code (no key here)', async () => {
    forgetUnwrappedKeys(); // as a fresh process: the core keeps unwrapped keys per process
    const err = await failure(
      client({ env: { ...ws.env, XDG_CONFIG_HOME: `${ws.dir}/no-keys` } }).readSecret('DB_URL'),
    );
    expect(err.code).toBe('KEY_MISSING');
    expect(exitCodeOf(err.code)).toBe(3);
    expect(err.key).toBe('DB_URL');
  });

  it('refuses a stage file of another app when the app is named', async () => {
    const err = await failure(client({ app: 'billing' }).readSecret('DB_URL'));
    expect(err.code).toBe('APP_MISMATCH');
  });

  it('inside stage-secrets run, reads the runner env and types it from the stage file', async () => {
    const runnerEnv = runEnv(ws.env, { PORT: '8080', FEATURES: '[3]' });
    forgetUnwrappedKeys();
    const c = client({ env: { ...runnerEnv, XDG_CONFIG_HOME: `${ws.dir}/no-keys` } });
    expect(await c.readSecret('PORT')).toBe(8080);
    expect(await c.readSecret('FEATURES')).toEqual([3]);
    expect((await failure(c.readSecret('DB_URL'))).code).toBe('NOT_FOUND');
  });

  it('inside stage-secrets run, refuses secrets of a stage file it would not find from its own folder', async () => {
    const env = runEnv({}, { PORT: '8080' });
    const err = await failure(new SecretClient({ stage: 'dev', cwd: `${ws.dir}/elsewhere`, env }).readSecret('PORT'));
    expect(err.code).toBe('RUN_FILE_MISMATCH');
    expect(err.message).toContain(
      `stage-secrets run opened ${ws.stageFile('dev')}, but from ${ws.dir}/elsewhere there is no stage file of its own`,
    );
  });

  it('does not quote a runner value that does not parse as the stage file type', async () => {
    const env = runEnv(ws.env, { FEATURES: 'not-json-sekrit' });
    const err = await failure(client({ env }).readSecret('FEATURES'));
    expect(err.code).toBe('INVALID_VALUE');
    expect(err.message).not.toContain('sekrit');
  });
});

describe('SecretClient.updateSecret', () => {
  it('infers the type from the JS value, and another instance reads it back typed', async () => {
    const writer = client();
    await writer.updateSecret({ key: 'LIMIT', value: 25 });
    await writer.updateSecret({ key: 'GREETING', value: 'hello' });
    await writer.updateSecret({ key: 'LIMITS', value: { daily: 10, burst: [1, 2] } });
    await writer.updateSecret({ key: 'ENABLED', value: true });
    await writer.updateSecret({ key: 'ZONES', value: ['a', 'b'] });
    const types = Object.fromEntries(listSecrets(base).map((s) => [s.name, s.type]));
    expect(types).toMatchObject({
      LIMIT: 'number',
      GREETING: 'string',
      LIMITS: 'json',
      ENABLED: 'json',
      ZONES: 'json',
    });
    const reader = client();
    expect(await reader.readSecret('LIMIT')).toBe(25);
    expect(await reader.readSecret('GREETING')).toBe('hello');
    expect(await reader.readSecret('LIMITS')).toEqual({ daily: 10, burst: [1, 2] });
    expect(await reader.readSecret('ENABLED')).toBe(true);
    expect(await reader.readSecret('ZONES')).toEqual(['a', 'b']);
  });

  it('with an explicit type, takes a string as typed text', async () => {
    const c = client();
    await c.updateSecret({ key: 'RETRIES', value: '3', type: 'number' });
    await c.updateSecret({ key: 'MAP', value: '{ "a": 1 }', type: 'json' });
    const reader = client();
    expect(await reader.readSecret('RETRIES')).toBe(3);
    expect(await reader.readSecret('MAP')).toEqual({ a: 1 });
  });

  it('needs only the public key, and updates its own cache', async () => {
    forgetUnwrappedKeys();
    const keyless = client({ env: { ...ws.env, XDG_CONFIG_HOME: `${ws.dir}/no-keys` } });
    await keyless.updateSecret({ key: 'WEBHOOK', value: 'https://hooks.example/abc' });
    expect(await keyless.readSecret('WEBHOOK')).toBe('https://hooks.example/abc');
    expect((await failure(keyless.readSecret('WEBHOOK', { useCache: false }))).code).toBe('KEY_MISSING');
    // a name added without the key is pending: a reader with the key refuses the stage until it is approved
    const refused = await failure(client().readSecret('DB_URL'));
    expect(refused.code).toBe('UNAPPROVED');
    expect(refused.message).toContain('stage-secrets approve --stage dev WEBHOOK');
    expect(refused.message).not.toContain('https://hooks.example/abc');
    await approveNames(base, { names: ['WEBHOOK'] });
    expect(await client().readSecret('WEBHOOK')).toBe('https://hooks.example/abc');
  });

  it('refuses bad values and names with a SecretError, writing nothing', async () => {
    const before = listSecrets(base).length;
    const c = client();
    expect((await failure(c.updateSecret({ key: 'N', value: Number.NaN }))).code).toBe('INVALID_VALUE');
    expect((await failure(c.updateSecret({ key: 'N', value: 'twelve', type: 'number' }))).code).toBe('INVALID_VALUE');
    expect((await failure(c.updateSecret({ key: 'PATH', value: '/bin' }))).code).toBe('INVALID_NAME');
    expect((await failure(c.updateSecret({ key: 'N', value: '' }))).code).toBe('INVALID_VALUE');
    expect(listSecrets(base).length).toBe(before);
    expect(c.getUsedSecrets()).toEqual([]);
  });
});

describe('SecretClient.getUsedSecrets', () => {
  it('lists names read or updated, in first-use order, once each; failed reads do not count', async () => {
    const c = client();
    await c.readSecret('PORT');
    await c.readSecret('DB_URL');
    await c.readSecret('PORT', { useCache: false });
    await failure(c.readSecret('MISSING'));
    await c.updateSecret({ key: 'TOKEN', value: 'abc' });
    await c.readSecret('DB_URL');
    expect(c.getUsedSecrets()).toEqual(['PORT', 'DB_URL', 'TOKEN']);
    expect(client().getUsedSecrets()).toEqual([]);
  });
});
