import { createRequire } from 'node:module';
import * as path from 'node:path';
import { StageSecretsError, type ErrorCode } from './errors.js';

const SUPPRESS_WARNING = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/**
 * Builds an AWS SDK client without its Node-version warning in our output: the SDK reads the switch
 * while it builds its runtime config, so it is set around construction only and the env restored, so
 * child processes (run) see the user's env.
 */
export function quietSdkConstruction<T>(construct: () => T): T {
  const userSet = Object.hasOwn(process.env, SUPPRESS_WARNING);
  if (!userSet) process.env[SUPPRESS_WARNING] = 'true';
  try {
    return construct();
  } finally {
    if (!userSet) delete process.env[SUPPRESS_WARNING];
  }
}

/**
 * An SDK package as the Lambda Node.js runtime provides it: resolved like a require() from the task
 * root, so a copy the function bundled wins, then NODE_PATH (/opt/nodejs/node_modules,
 * /var/runtime/node_modules). An ES module import() would not look at NODE_PATH, and a literal require()
 * would be followed by bundlers. A failure is `code`, saying what the package was needed `for`.
 */
export function requireFromTaskRoot<T>(pkg: string, env: NodeJS.ProcessEnv, code: ErrorCode, purpose: string): T {
  const root = env.LAMBDA_TASK_ROOT || process.cwd();
  try {
    return createRequire(path.join(root, 'stage-secrets.cjs'))(pkg) as T;
  } catch (err) {
    throw new StageSecretsError(
      code,
      `cannot load ${pkg}${purpose} (${(err as NodeJS.ErrnoException).code ?? 'error'}): use a Lambda Node.js runtime from nodejs18.x on, which includes it, or add it to the function's dependencies.`,
      { cause: err },
    );
  }
}

/** Node's error codes for a connection that failed or a host that did not answer (KMS and S3 alike). */
export const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Static keys given in `env` (the variables the SDK reads from process.env); undefined leaves them to the SDK's chain. */
export function envCredentials(
  env: NodeJS.ProcessEnv,
): { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined {
  if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) return undefined;
  return {
    accessKeyId: env.AWS_ACCESS_KEY_ID,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  };
}

/** The region given in `env`, or undefined for the SDK's own resolution. */
export function envRegion(env: NodeJS.ProcessEnv): string | undefined {
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
}

/**
 * The endpoint given in `env`: the service's own variable (e.g. AWS_ENDPOINT_URL_SSM), else AWS_ENDPOINT_URL;
 * none when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true, as the SDK itself does.
 */
export function envEndpoint(env: NodeJS.ProcessEnv, serviceEndpointVar: string): string | undefined {
  if (/^true$/i.test(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? '')) return undefined;
  return env[serviceEndpointVar] || env.AWS_ENDPOINT_URL || undefined;
}
