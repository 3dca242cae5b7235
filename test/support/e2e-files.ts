/**
 * Test files that run a whole framework (serverless, osls, serverless-esbuild packaging a service, npm
 * installing or packing the tarball, the framework's print or invoke local, the docs' CI recipes played as the
 * runners would) or kill writers part-way many times: they run in the e2e suite
 * (vitest.e2e.config.ts, `npm run test:e2e`, which .ci/run runs), so `npm test` stays under two minutes on
 * two cores. They stay where they are; this list moves them between the suites.
 */
export const WHOLE_FRAMEWORK_FILES = [
  'test/integration/plugin-package-serverless.test.ts',
  'test/integration/plugin-package-osls.test.ts',
  'test/integration/plugin-package-kms.test.ts',
  'test/integration/plugin-apps-serverless.test.ts',
  'test/integration/plugin-apps-osls.test.ts',
  'test/integration/runtime-mode-esbuild.test.ts',
  'test/integration/runtime-mode-serverless.test.ts',
  'test/integration/runtime-mode-osls.test.ts',
  'test/integration/runtime-mode-store.test.ts',
  'test/integration/runtime-mode-store-osls.test.ts',
  'test/integration/runtime-mode-esbuild-esm.test.ts',
  'test/integration/runtime-mode-deploy-function.test.ts',
  'test/integration/contract-package-serverless.test.ts',
  'test/integration/contract-package-osls.test.ts',
  'test/integration/contract-package-esbuild.test.ts',
  'test/integration/package-install.test.ts',
  'test/integration/package-publish.test.ts',
  'test/integration/apps-cli.test.ts',
  'test/integration/local-development.test.ts',
  'test/integration/docs-recipes.test.ts',
  'test/integration/readme-quick-start.test.ts',
  'test/security/name-approval.test.ts',
  'test/security/sls-opt-out-leak.test.ts',
  'test/security/sls-seed-yml-typo.test.ts',
  'test/security/package-stage-files.test.ts',
  'test/security/runtime-mode-kms-grant.test.ts',
  'test/security/runtime-mode-function-names.test.ts',
  'test/security/run-env-forgery.test.ts',
  'test/security/crash-concurrency.test.ts',
] as const;
