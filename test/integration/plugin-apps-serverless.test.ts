/**
 * Several services in one app, and a second app in the same tree, inside serverless v3
 * (test/support/plugin-apps-suite.ts, shared with plugin-apps-osls.test.ts).
 */
import { describeAppPackaging } from '../support/plugin-apps-suite.js';
import { FRAMEWORKS } from '../support/sls-service.js';

describeAppPackaging(FRAMEWORKS.find((f) => f.name === 'serverless')!);
