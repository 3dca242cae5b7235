import { StageSecretsError } from '../core/errors.js';
import { openPackagedSecrets } from './open-packaged.js';

// Lambda hands a handler (event, context, callback); the types stay loose on purpose: any handler shape.
type AnyHandler = (this: unknown, event: unknown, context: unknown, callback?: unknown) => unknown;
type LambdaContext = { callbackWaitsForEmptyEventLoop?: boolean } | undefined;

/**
 * The handler function named by `exportPath` ("main", or "nested.main" as Lambda allows) in a loaded
 * module. A CommonJS module imported from an ES module may expose its exports only under `default`.
 */
export function handlerFrom(mod: unknown, exportPath: string, label: string): AnyHandler {
  const lookup = (from: unknown): unknown =>
    exportPath
      .split('.')
      .reduce<unknown>(
        (at, key) =>
          at !== null && (typeof at === 'object' || typeof at === 'function')
            ? (at as Record<string, unknown>)[key]
            : undefined,
        from,
      );
  let fn = lookup(mod);
  if (typeof fn !== 'function' && mod && typeof mod === 'object' && 'default' in mod)
    fn = lookup((mod as { default: unknown }).default);
  if (typeof fn !== 'function') {
    throw new StageSecretsError(
      'USAGE',
      `stage-secrets: the handler ${label} is not a function exported by its module; check the function's handler in serverless.yml.`,
    );
  }
  return fn as AnyHandler;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * The handler of a function bundled into CommonJS (serverless-esbuild), where the wrapper cannot wait at
 * top level: opening starts at module load (Lambda's init phase), the original module is loaded after
 * the secrets are in process.env, and once it is, every call goes straight to the original function.
 * Only the first call waits; it answers through the callback when Lambda gives one (async results then
 * do not wait for the event loop, as for an async handler), else through a promise. A failure to open
 * is thrown to that call, and the next call tries again.
 */
export function bundledHandler(
  raw: unknown,
  load: () => Promise<unknown>,
  exportPath: string,
  label: string,
): AnyHandler {
  let original: AnyHandler | undefined;
  let ready: Promise<void> | undefined;
  const start = (): Promise<void> => {
    ready ??= openPackagedSecrets(raw)
      .then(load)
      .then((mod) => {
        original = handlerFrom(mod, exportPath, label);
      });
    ready.catch(() => (ready = undefined));
    return ready;
  };
  start();
  return function stageSecretsHandler(this: unknown, event: unknown, context: unknown) {
    // biome-ignore lint/complexity/noArguments: the wrapper keeps two declared parameters, whatever the original declares
    const callback = arguments[2] as ((err: unknown, value?: unknown) => void) | undefined;
    if (original) return original.call(this, event, context, callback);
    if (typeof callback !== 'function') return start().then(() => original!.call(this, event, context));
    start().then(
      () => {
        const result = original!.call(this, event, context, callback);
        if (isThenable(result)) {
          if (context && typeof context === 'object')
            (context as NonNullable<LambdaContext>).callbackWaitsForEmptyEventLoop = false;
          result.then(
            (value) => callback(null, value),
            (err) => callback(err),
          );
        }
      },
      (err) => callback(err),
    );
    return undefined;
  };
}
