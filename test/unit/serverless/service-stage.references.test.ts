/**
 * The plugin's loader and references: env mode resolves them at package time with the build's AWS
 * credentials (here AWS points at a closed port, so the attempt fails naming the name and the target);
 * runtime mode keeps them sealed as targets (the function resolves them at cold start).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StageSecretsError } from '../../../src/core/errors.js';
import { StageSecretsCache } from '../../../src/serverless/service-stage.js';
import { forgetUnwrappedKeys } from '../../../src/stages/open-file.js';
import { PLAIN_VALUE, referenceStage, SHARED_TARGET } from '../../support/reference-stage.js';
import type { TempRepo } from '../../support/temp-repo.js';

let repo: TempRepo;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  ({ repo, env } = await referenceStage('plugin-refs', 'svc', 'dev', 'svc-app'));
});

afterAll(() => {
  forgetUnwrappedKeys();
  repo.cleanup();
});

const service = () => ({ stage: 'dev', app: 'svc-app', serviceDir: repo.serviceDir, env });

describe('StageSecretsCache.get with references', () => {
  it('env mode (resolve): asks AWS for the target, and a failure names the secret and its target', async () => {
    const err = await new StageSecretsCache().get(service()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StageSecretsError);
    expect((err as Error).message).toContain('SHARED');
    expect((err as Error).message).toContain(SHARED_TARGET);
    expect((err as Error).message).not.toContain(PLAIN_VALUE);
  });

  it('runtime mode (keep): the reference stays a sealed target, marked ref, values pass through', async () => {
    const loaded = await new StageSecretsCache().get(service(), 'keep');
    expect(loaded.values.get('SHARED')).toEqual({ type: 'string', text: SHARED_TARGET, ref: true });
    expect(loaded.values.get('PLAIN')).toEqual({ type: 'string', text: PLAIN_VALUE });
  });
});
