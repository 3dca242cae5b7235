/**
 * The plugin inside osls: the fixtures packaged offline (test/support/plugin-package-suite.ts, shared with
 * serverless v3 in plugin-package-serverless.test.ts).
 */
import { describePluginPackaging } from '../support/plugin-package-suite.js';
import { FRAMEWORKS } from '../support/sls-service.js';

describePluginPackaging(FRAMEWORKS.find((f) => f.name === 'osls')!);
