/**
 * osls deploys fixtures/sls-deploy in runtime mode to moto (no plugin: AWS_ENDPOINT_URL), the stage wrapped by
 * a KMS key created in moto and named by its alias: e2e/support/deploy-suite.ts, with `deploy function -f`
 * (its zip kept by the counting proxy) and `remove`.
 */
import { FRAMEWORKS } from '../test/support/sls-service.js';
import { describeDeploy } from './support/deploy-suite.js';
import { createKmsKey } from './support/moto.js';

describeDeploy({
  fw: FRAMEWORKS.find((f) => f.name === 'osls')!,
  mode: 'runtime',
  stage: 'prod',
  async kms(moto) {
    const key = await createKmsKey(moto, 'us-east-1', 'alias/deploy-prod');
    return { identities: [['--kms', 'alias/deploy-prod']], keyArns: [key.arn], decryptRegion: 'us-east-1' };
  },
  deployFunction: true,
  remove: true,
});
