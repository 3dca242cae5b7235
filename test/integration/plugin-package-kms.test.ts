/**
 * The plugin inside serverless v3 with a stage whose key is wrapped by KMS (the local KMS server): one
 * Decrypt serves ${secret:NAME} and the functions' env.
 */
import { describe, expect, it } from 'vitest';
import { kmsEnv, startKmsServer } from '../support/kms-server.js';
import { expectNoValues, token } from '../support/plugin-package-suite.js';
import { FRAMEWORKS, lambdas, packageService, prepareService, type SlsService } from '../support/sls-service.js';

const fw = FRAMEWORKS.find((f) => f.name === 'serverless')!;

describe('plugin with a KMS identity (serverless v3, local KMS server)', () => {
  it('opens the stage with one KMS Decrypt for ${secret:NAME} and the functions together', async () => {
    const kms = await startKmsServer();
    const secrets = { API_KEY: token('api'), DB_PASSWORD: token('db'), RELEASE_LABEL: token('label') };
    let svc: SlsService | undefined;
    try {
      kms.createKey({ alias: 'alias/ci' });
      svc = await prepareService('sls-overlap', {
        stage: 'ci',
        secrets,
        identity: { args: ['--kms', 'alias/ci'], env: kmsEnv(kms) },
      });
      kms.resetCalls();
      const { result, template } = await packageService(fw, svc);
      expect(result.code, result.output).toBe(0);
      expect(kms.calls('Decrypt')).toBe(1);
      expect(kms.calls()).toBe(1);
      const fns = lambdas(template!, 'overlap-svc', 'ci');
      expect(fns.api!.variables).toMatchObject(secrets);
      expect(fns.api!.description).toBe(`release ${secrets.RELEASE_LABEL}`);
      expect(result.output).toContain(
        'stage-secrets: 3 secrets of stage ci from the stage file secrets/ci.json (identity aws-kms:alias/ci)',
      );
      expect(result.output).not.toMatch(/NodeDeprecationWarning|AWS SDK for JavaScript/);
      expectNoValues(result.output, secrets);
    } finally {
      svc?.ws.cleanup();
      await kms.close();
    }
  });
});
