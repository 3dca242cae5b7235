/**
 * serverless v3 deploys fixtures/sls-deploy in runtime mode to moto through serverless-localstack
 * (e2e/support/deploy-suite.ts). The stage is wrapped by two KMS keys made in moto, named the ways a key in
 * another account or region is named: an alias ARN of a key in eu-west-1 (not the deploy's us-east-1) and a key
 * ARN. The role's kms:Decrypt statement read back from the deployed template names both key ARNs, each with
 * its own region, and the deployed function, running in us-east-1, signs its one Decrypt for eu-west-1.
 */
import { FRAMEWORKS } from '../test/support/sls-service.js';
import { describeDeploy } from './support/deploy-suite.js';
import { createKmsKey } from './support/moto.js';

describeDeploy({
  fw: FRAMEWORKS.find((f) => f.name === 'serverless')!,
  mode: 'runtime',
  stage: 'staging',
  async kms(moto) {
    const away = await createKmsKey(moto, 'eu-west-1', 'alias/deploy-away');
    const home = await createKmsKey(moto, 'us-east-1');
    const aliasArn = away.arn.replace(/:key\/.*$/, ':alias/deploy-away');
    return {
      identities: [
        ['--kms', aliasArn],
        ['--kms', home.arn],
      ],
      keyArns: [away.arn, home.arn],
      decryptRegion: 'eu-west-1',
    };
  },
});
