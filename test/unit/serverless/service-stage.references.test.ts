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
import { provenRunEnv, type ProvenRunEnv } from '../../support/run-env.js';
import type { TempRepo } from '../../support/temp-repo.js';

let repo: TempRepo;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  ({ repo, env } = await referenceStage('plugin-refs', 'svc', 'dev', 'svc-app'));
});

const proven: ProvenRunEnv[] = [];

afterAll(() => {
  for (const p of proven) p.remove();
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

describe('StageSecretsCache.get with references, under stage-secrets run', () => {
  /** the env run gives its child: the values run resolved (SHARED's from SSM), proven by run's token */
  const underRun = (inherited: NodeJS.ProcessEnv) => {
    const file = new StageSecretsCache().stage(service()).realPath;
    const made = provenRunEnv(inherited, 'dev', file, { PLAIN: PLAIN_VALUE, SHARED: 'resolved-by-run-0d2c' });
    proven.push(made);
    return { ...service(), env: made.env };
  };

  it('env mode (resolve): takes the values run resolved', async () => {
    const loaded = await new StageSecretsCache().get(underRun(env));
    expect(loaded.values.get('SHARED')).toEqual({ type: 'string', text: 'resolved-by-run-0d2c' });
    expect(loaded.source.kind).toBe('run-env');
  });

  it('runtime mode (keep): the reference stays a target (run resolved it away), read from the stage file', async () => {
    forgetUnwrappedKeys();
    const loaded = await new StageSecretsCache().get(underRun(env), 'keep');
    expect(loaded.values.get('SHARED')).toEqual({ type: 'string', text: SHARED_TARGET, ref: true });
    expect(loaded.values.get('PLAIN')).toEqual({ type: 'string', text: PLAIN_VALUE });
    expect(loaded.source.kind).toBe('stage-file');
  });

  it('runtime mode (keep) without the stage key: fails saying why the stage file is opened, never a value', async () => {
    forgetUnwrappedKeys();
    const noKey = { ...env, XDG_CONFIG_HOME: `${repo.root}/no-keys` };
    const err = await new StageSecretsCache().get(underRun(noKey), 'keep').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StageSecretsError);
    expect((err as StageSecretsError).code).toBe('KEY_MISSING');
    expect((err as Error).message).toMatch(/SHARED.*reference/);
    expect((err as Error).message).toContain('stage-secrets run');
    expect((err as Error).message).not.toContain('resolved-by-run-0d2c');
  });
});
