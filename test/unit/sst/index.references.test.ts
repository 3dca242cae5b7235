/**
 * The SST helper resolves references like run does (its loadSecrets): with AWS unreachable here, the
 * failure names the secret and its target and no value.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StageSecretsError } from '../../../src/core/errors.js';
import { secretEnv } from '../../../src/sst/index.js';
import { initStage } from '../../../src/stages/init.js';
import { forgetUnwrappedKeys } from '../../../src/stages/open-file.js';
import { setSecrets } from '../../../src/stages/secrets.js';
import { makeTempRepo, type TempRepo } from '../../support/temp-repo.js';

let repo: TempRepo;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  repo = makeTempRepo('sst-refs', 'app');
  env = {
    ...repo.env,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    AWS_MAX_ATTEMPTS: '1',
  };
  const opts = { stage: 'prod', app: 'shop', cwd: repo.serviceDir, env };
  await initStage(opts, [{ type: 'local' }]);
  await setSecrets(opts, [
    { name: 'PLAIN', type: 'string', value: 'plain-value' },
    { name: 'SHARED', type: 'string', value: 'ssm:/org/shared/key', ref: true },
  ]);
});

afterAll(() => {
  forgetUnwrappedKeys();
  repo.cleanup();
});

describe('secretEnv with a reference', () => {
  it('asks AWS for the target; a failure names the secret and the target, never a value', async () => {
    const err = await secretEnv({ stage: 'prod', app: 'shop', cwd: repo.serviceDir, env }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StageSecretsError);
    expect((err as Error).message).toContain('SHARED');
    expect((err as Error).message).toContain('ssm:/org/shared/key');
    expect((err as Error).message).not.toContain('plain-value');
  });
});
