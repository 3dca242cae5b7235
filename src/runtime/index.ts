/**
 * The Lambda side of runtime mode (custom.stageSecrets.mode: runtime), bundled into one self-contained
 * file that the plugin copies into each function's package: dist/runtime/stage-secrets-runtime.cjs for
 * the framework's packager, and its ES module form stage-secrets-runtime.mjs for serverless-esbuild.
 * The wrappers the plugin generates (src/serverless/runtime-wrapper.ts) call it; nothing else does.
 */
export { openPackagedSecrets } from './open-packaged.js';
export { bundledHandler, handlerFrom } from './handler.js';
