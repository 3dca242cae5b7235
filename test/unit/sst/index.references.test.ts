/**
 * The SST helper resolves references like run does (its loadSecrets): with AWS unreachable here, the
 * failure names the secret and its target and no value.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StageSecretsError } from '../../../src/core/errors.js';
import { secretEnv } from '../../../src/sst/index.js';
import { forgetUnwrappedKeys } from '../../../src/stages/open-file.js';
import { PLAIN_VALUE, referenceStage, SHARED_TARGET } from '../../support/reference-stage.js';
import type { TempRepo } from '../../support/temp-repo.js';

let repo: TempRepo;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  ({ repo, env } = await referenceStage('sst-refs', 'app', 'prod', 'shop'));
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
    expect((err as Error).message).toContain(SHARED_TARGET);
    expect((err as Error).message).not.toContain(PLAIN_VALUE);
  });
});
