/**
 * The Lambda side of runtime mode (custom.stageSecrets.mode: runtime), bundled into one self-contained
 * file, dist/runtime/stage-secrets-runtime.cjs, that the plugin copies into each function's package.
 * The wrappers the plugin generates (src/serverless/runtime-wrapper.ts) call it; nothing else does.
 */
export { openPackagedSecrets } from './open-packaged.js';
export { bundledHandler, handlerFrom } from './handler.js';
