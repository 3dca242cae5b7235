// Loaded with NODE_OPTIONS=--import=<this file>: records every @aws-sdk/* module the process resolves
// into the file named by SDK_LOAD_LOG, so tests can check that the SDK is only loaded when KMS is used.
// Both ways in: an ES import (the resolve hook) and require() (the CLI bundle requires the SDK's CommonJS
// packages, scripts/bundle-cli.mjs).
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

function record(specifier) {
  if (typeof specifier === 'string' && specifier.startsWith('@aws-sdk/') && process.env.SDK_LOAD_LOG)
    appendFileSync(process.env.SDK_LOAD_LOG, `${specifier}\n`);
}

if (isMainThread) {
  register(import.meta.url);
  const load = Module._load;
  Module._load = function (request, ...rest) {
    record(request);
    return load.call(this, request, ...rest);
  };
}

export async function resolve(specifier, context, next) {
  record(specifier);
  return next(specifier, context);
}
