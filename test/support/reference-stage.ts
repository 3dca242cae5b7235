import { initStage } from '../../src/stages/init.js';
import { setSecrets } from '../../src/stages/secrets.js';
import { makeTempRepo, type TempRepo } from './temp-repo.js';

/** The reference every stage of referenceStage holds, and its one plain value (never in an error). */
export const SHARED_TARGET = 'ssm:/org/shared/key';
export const PLAIN_VALUE = 'plain-value';

/**
 * A temp repo whose `stage` (local key) holds PLAIN and a reference SHARED -> SHARED_TARGET, with an env
 * whose AWS is a closed local port and one attempt: resolving SHARED fails at once.
 */
export async function referenceStage(
  label: string,
  service: string,
  stage: string,
  app: string,
): Promise<{ repo: TempRepo; env: NodeJS.ProcessEnv }> {
  const repo = makeTempRepo(label, service);
  const env = {
    ...repo.env,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    AWS_MAX_ATTEMPTS: '1',
  };
  const opts = { stage, app, cwd: repo.serviceDir, env };
  await initStage(opts, [{ type: 'local' }]);
  await setSecrets(opts, [
    { name: 'PLAIN', type: 'string', value: PLAIN_VALUE },
    { name: 'SHARED', type: 'string', value: SHARED_TARGET, ref: true },
  ]);
  return { repo, env };
}
