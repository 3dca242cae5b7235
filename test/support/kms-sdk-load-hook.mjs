// Loaded with NODE_OPTIONS=--import=<this file>: records every @aws-sdk/* module the process resolves
// into the file named by SDK_LOAD_LOG, so tests can check that the SDK is only loaded when KMS is used.
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) register(import.meta.url);

export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@aws-sdk/') && process.env.SDK_LOAD_LOG)
    appendFileSync(process.env.SDK_LOAD_LOG, `${specifier}\n`);
  return next(specifier, context);
}
