/**
 * The plugin inside serverless v3: the fixtures packaged offline (test/support/plugin-package-suite.ts,
 * shared with osls in plugin-package-osls.test.ts; a KMS identity in plugin-package-kms.test.ts).
 */
import { describePluginPackaging } from '../support/plugin-package-suite.js';
import { FRAMEWORKS } from '../support/sls-service.js';

describePluginPackaging(FRAMEWORKS.find((f) => f.name === 'serverless')!);
