import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StageSecretsError } from '../../../src/core/errors.js';
import { initStage } from '../../../src/stages/init.js';
import type { StageOptions } from '../../../src/stages/options.js';
import { setSecrets } from '../../../src/stages/secrets.js';
import { secretEnv, transformFunctionEnv, type FunctionEnvArgs, type SecretEnv } from '../../../src/sst/index.js';
import { makeWorkspace, type Workspace } from '../../support/cli.js';

/*
 * The SST v3+ form: `$transform(sst.aws.Function, transformFunctionEnv(secrets))`. SST calls the callback with
 * the args object a `new sst.aws.Function(name, args)` was given, before the function reads it; the callback
 * may only change that object. These tests hand it args objects shaped like SST's FunctionArgs.
 */

const PROD = { DB_URL: 'postgres://prod-db/shop', PAGE_SIZE: '50', LIMITS: '{"daily":100}' };

let ws: Workspace;
let secrets: SecretEnv;

beforeAll(async () => {
  ws = makeWorkspace('shop');
  const base: StageOptions = { stage: 'prod', app: 'shop', cwd: ws.dir, env: ws.env };
  await initStage(base, [{ type: 'local' }]);
  await setSecrets(base, [
    { name: 'DB_URL', type: 'string', value: PROD.DB_URL },
    { name: 'PAGE_SIZE', type: 'number', value: '50' },
    { name: 'LIMITS', type: 'json', value: '{ "daily": 100 }' },
  ]);
  // what `await secretEnv({ app: $app })` does at the top of run(): $app has the app's name and stage
  const $app = { name: 'shop', stage: 'prod', removal: 'retain', protect: false };
  secrets = await secretEnv({ app: $app, cwd: ws.dir, env: ws.env });
});

afterAll(() => ws.cleanup());

function usageError(fn: () => void): StageSecretsError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StageSecretsError) return err;
    throw err;
  }
  throw new Error('expected a StageSecretsError');
}

/** A class instance standing in for a whole environment given as a Pulumi Output (not a plain object). */
class Deferred<T> {
  constructor(readonly value: T) {}
  apply<U>(fn: (v: T) => U): Deferred<U> {
    return new Deferred(fn(this.value));
  }
}

describe('transformFunctionEnv (SST v3+ $transform)', () => {
  it('gives a function without environment the stage secrets', () => {
    const args: FunctionEnvArgs & { handler: string } = { handler: 'src/orders.handler' };
    transformFunctionEnv(secrets)(args, {}, 'Orders');
    expect(args.environment).toEqual(PROD);
    expect(args.handler).toBe('src/orders.handler');
  });

  it("keeps the function's other variables, and secrets win over same-named ones (the plugin's precedence)", () => {
    const args: FunctionEnvArgs = { environment: { LOG_LEVEL: 'info', DB_URL: 'postgres://localhost/dev' } };
    transformFunctionEnv(secrets)(args, {}, 'Orders');
    expect(args.environment).toEqual({ LOG_LEVEL: 'info', ...PROD });
  });

  it('leaves values that are not strings (Outputs as values) where they are', () => {
    const bucketName = new Deferred('shop-uploads');
    const args: FunctionEnvArgs = { environment: { BUCKET: bucketName } };
    transformFunctionEnv(secrets)(args, {}, 'Uploads');
    expect((args.environment as Record<string, unknown>).BUCKET).toBe(bucketName);
    expect(args.environment).toMatchObject(PROD);
  });

  it('never changes an environment object that several functions share', () => {
    const common = { LOG_LEVEL: 'info', DB_URL: 'postgres://localhost/dev' };
    const a: FunctionEnvArgs = { environment: common };
    const b: FunctionEnvArgs = { environment: common };
    const transform = transformFunctionEnv(secrets);
    transform(a, {}, 'A');
    transform(b, {}, 'B');
    expect(common).toEqual({ LOG_LEVEL: 'info', DB_URL: 'postgres://localhost/dev' });
    expect(a.environment).toEqual({ LOG_LEVEL: 'info', ...PROD });
    expect(a.environment).not.toBe(b.environment);
  });

  it('uses the secrets as they were when the transform was made', () => {
    const copy = { ...secrets };
    const transform = transformFunctionEnv(copy);
    copy.DB_URL = 'changed-later';
    const args: FunctionEnvArgs = {};
    transform(args);
    expect(args.environment).toEqual(PROD);
  });

  it('refuses a whole environment given as an Output or a Promise, naming the function and no value', () => {
    const transform = transformFunctionEnv(secrets);
    for (const environment of [new Deferred({ LOG_LEVEL: 'info' }), Promise.resolve({ LOG_LEVEL: 'info' })]) {
      const args: FunctionEnvArgs = { environment };
      const err = usageError(() => transform(args, {}, 'Orders'));
      expect(err.code).toBe('USAGE');
      expect(err.message).toContain('Orders');
      expect(err.message).toContain('plain object');
      for (const value of Object.values(PROD)) expect(err.message).not.toContain(value);
      expect(args.environment).toBe(environment);
    }
  });

  it('with a stage that has no secrets, leaves every environment as it was (an Output included)', () => {
    const outputEnv = new Deferred({ LOG_LEVEL: 'info' });
    const args: FunctionEnvArgs = { environment: outputEnv };
    transformFunctionEnv({})(args, {}, 'Orders');
    expect(args.environment).toBe(outputEnv);
  });

  it('accepts an environment object without prototype', () => {
    const own = Object.assign(Object.create(null) as Record<string, string>, { LOG_LEVEL: 'debug' });
    const args: FunctionEnvArgs = { environment: own };
    transformFunctionEnv(secrets)(args, {}, 'Orders');
    expect(args.environment).toEqual({ LOG_LEVEL: 'debug', ...PROD });
  });
});
