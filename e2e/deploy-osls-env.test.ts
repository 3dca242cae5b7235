/**
 * osls deploys fixtures/sls-deploy in env mode to moto (e2e/support/deploy-suite.ts): each function's
 * configuration holds exactly the secrets it gets, over the yaml, and `status` goes current → stale → current.
 */
import { FRAMEWORKS } from '../test/support/sls-service.js';
import { describeDeploy } from './support/deploy-suite.js';

describeDeploy({ fw: FRAMEWORKS.find((f) => f.name === 'osls')!, mode: 'env', stage: 'qa' });
