import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StageSecretsError } from '../../../src/core/errors.js';
import { initStage } from '../../../src/stages/init.js';
import { forgetUnwrappedKeys } from '../../../src/stages/open-file.js';
import type { StageOptions } from '../../../src/stages/options.js';
import { setSecrets } from '../../../src/stages/secrets.js';
import { secretEnv, secretEnvSync, type SecretEnvOptions, type SstAppLike } from '../../../src/sst/index.js';
import { makeWorkspace, type Workspace } from '../../support/cli.js';
import { provenRunEnv, type ProvenRunEnv } from '../../support/run-env.js';

// The SST v2 method signatures (sst/constructs App.d.ts); v1's addDefaultFunctionEnv is the same.
interface FunctionProps {
  environment?: Record<string, string>;
  [prop: string]: unknown;
}
interface CdkStackLike {
  readonly stackName: string;
}

/** Stands in for SST's App: records what a config passes to it, applies it as SST does. */
class RecordingSstApp implements SstAppLike {
  readonly defaultEnv: Record<string, string> = {};
  readonly defaultProps: (FunctionProps | ((stack: CdkStackLike) => FunctionProps))[] = [];

  constructor(
    readonly name: string,
    readonly stage: string,
  ) {}

  addDefaultFunctionEnv(environment: Record<string, string>): void {
    Object.assign(this.defaultEnv, environment);
  }

  setDefaultFunctionProps(props: FunctionProps | ((stack: CdkStackLike) => FunctionProps)): void {
    this.defaultProps.push(props);
  }

  /** The environment a function created in `stack` would get. */
  functionEnv(stack: CdkStackLike): Record<string, string> {
    const env = { ...this.defaultEnv };
    for (const p of this.defaultProps) Object.assign(env, (typeof p === 'function' ? p(stack) : p).environment);
    return env;
  }
}

const STACK: CdkStackLike = { stackName: 'prod-shop-Api' };
const PROD = { DB_URL: 'postgres://prod-db/shop', PORT: '5432', FLAGS: '{"beta":true,"tiers":[1,2]}' };

let ws: Workspace;
let base: StageOptions;
const proven: ProvenRunEnv[] = [];
/** what stage-secrets run for stage prod gives its child (no key) */
function runEnv(values: Record<string, string>, stageFile: string): NodeJS.ProcessEnv {
  const made = provenRunEnv({}, 'prod', stageFile, values);
  proven.push(made);
  return made.env;
}
afterAll(() => proven.forEach((p) => p.remove()));

beforeAll(async () => {
  ws = makeWorkspace('shop');
  base = { stage: 'prod', app: 'shop', cwd: ws.dir, env: ws.env };
  await initStage(base, [{ type: 'local' }]);
  await setSecrets(base, [
    { name: 'DB_URL', type: 'string', value: PROD.DB_URL },
    { name: 'PORT', type: 'number', value: '5432' },
    { name: 'FLAGS', type: 'json', value: '{ "beta": true, "tiers": [1, 2] }' },
  ]);
});

afterAll(() => ws.cleanup());

function opts(extra: SecretEnvOptions): SecretEnvOptions {
  return { cwd: ws.dir, env: ws.env, ...extra };
}

async function failure(p: Promise<unknown>): Promise<StageSecretsError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StageSecretsError) return err;
    throw err;
  }
  throw new Error('expected a StageSecretsError');
}

describe('secretEnv for SST', () => {
  it('decrypts the SST app stage into addDefaultFunctionEnv (JSON compact, numbers as text)', async () => {
    const app = new RecordingSstApp('shop', 'prod');
    app.addDefaultFunctionEnv(await secretEnv(opts({ app })));
    expect(app.functionEnv(STACK)).toEqual(PROD);
  });

  it('fits setDefaultFunctionProps, as an object and as a per-stack function', async () => {
    const app = new RecordingSstApp('shop', 'prod');
    const environment = await secretEnv(opts({ app }));
    app.setDefaultFunctionProps({ environment });
    expect(app.functionEnv(STACK)).toEqual(PROD);
    const perStack = new RecordingSstApp('shop', 'prod');
    perStack.setDefaultFunctionProps((stack) => ({ environment: { ...environment, STACK: stack.stackName } }));
    expect(perStack.functionEnv(STACK)).toEqual({ ...PROD, STACK: 'prod-shop-Api' });
  });

  it('takes the stage from options.stage, then the app, then SST_STAGE', async () => {
    const dev = { ...base, stage: 'dev' };
    await initStage(dev, [{ type: 'local' }]);
    await setSecrets(dev, [{ name: 'DB_URL', type: 'string', value: 'postgres://dev-db/shop' }]);
    const app = new RecordingSstApp('shop', 'prod');
    expect(await secretEnv(opts({ app, stage: 'dev' }))).toEqual({ DB_URL: 'postgres://dev-db/shop' });
    expect(await secretEnv({ cwd: ws.dir, env: { ...ws.env, SST_STAGE: 'dev' } })).toEqual({
      DB_URL: 'postgres://dev-db/shop',
    });
    expect(await secretEnv({ cwd: ws.dir, env: { ...ws.env, SST_STAGE: 'dev' }, app })).toEqual(PROD);
  });

  it('without any stage, says how to name one', async () => {
    const err = await failure(secretEnv(opts({})));
    expect(err.code).toBe('USAGE');
    expect(err.message).toMatch(/secretEnv\(\{ app \}\)/);
  });

  it("refuses another app's stage file", async () => {
    const err = await failure(secretEnv(opts({ app: new RecordingSstApp('billing', 'prod') })));
    expect(err.code).toBe('APP_MISMATCH');
    expect(err.message).toContain('billing');
    const byName = await failure(secretEnv(opts({ app: 'billing', stage: 'prod' })));
    expect(byName.code).toBe('APP_MISMATCH');
  });

  it('without the stage key, fails with KEY_MISSING and no value in the message', async () => {
    forgetUnwrappedKeys(); // the core keeps unwrapped keys per process; start as a fresh process would
    const noKeys = { ...ws.env, XDG_CONFIG_HOME: `${ws.dir}/no-keys` };
    const err = await failure(secretEnv({ cwd: ws.dir, env: noKeys, stage: 'prod' }));
    expect(err.code).toBe('KEY_MISSING');
    for (const value of Object.values(PROD)) expect(err.message).not.toContain(value);
  });

  it('under stage-secrets run for the same stage and stage file, uses the runner env and needs no key', async () => {
    const fromRunner = { DB_URL: 'from-runner', PORT: '1' };
    const runnerEnv = runEnv(fromRunner, ws.stageFile('prod'));
    const app = new RecordingSstApp('shop', 'prod');
    expect(await secretEnv({ app, env: runnerEnv, cwd: ws.dir })).toEqual(fromRunner);
    expect(secretEnvSync({ app, env: runnerEnv, cwd: ws.dir })).toEqual(fromRunner);
  });

  it("secretEnvSync refuses a run env without run's proof, naming the problem", () => {
    const runnerEnv = { ...runEnv({ DB_URL: 'from-runner' }, ws.stageFile('prod')), STAGE_SECRETS_RUN_MAC: undefined };
    expect(() => secretEnvSync({ stage: 'prod', env: runnerEnv, cwd: ws.dir })).toThrow(
      /STAGE_SECRETS_RUN_MAC, the proof that stage-secrets run set these, is not set/,
    );
  });

  it('under stage-secrets run, refuses (sync too) when run opened another stage file than the one found here', async () => {
    const runnerEnv = runEnv({ DB_URL: 'from-runner' }, '/elsewhere/secrets/prod.json');
    const err = await failure(secretEnv({ stage: 'prod', env: runnerEnv, cwd: ws.dir }));
    expect(err.code).toBe('RUN_FILE_MISMATCH');
    expect(err.message).toContain(
      `stage-secrets run opened /elsewhere/secrets/prod.json, but from ${ws.dir} the stage file for stage prod is ${ws.stageFile('prod')}`,
    );
    expect(() => secretEnvSync({ stage: 'prod', env: runnerEnv, cwd: ws.dir })).toThrow(
      /RUN_FILE|stage-secrets run opened \/elsewhere/,
    );
  });

  it('ignores a runner env of another stage and opens the stage file', async () => {
    const runnerEnv = { ...ws.env, STAGE_SECRETS_STAGE: 'dev', STAGE_SECRETS_KEYS: 'DB_URL', DB_URL: 'from-runner' };
    expect(await secretEnv(opts({ app: new RecordingSstApp('shop', 'prod'), env: runnerEnv }))).toEqual(PROD);
  });

  it('secretEnvSync without a runner env says to use stage-secrets run or await secretEnv()', () => {
    expect(() => secretEnvSync(opts({ stage: 'prod' }))).toThrow(/stage-secrets run --stage prod.*await secretEnv\(\)/);
  });
});
