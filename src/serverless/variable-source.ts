import { StageSecretsError } from '../core/errors.js';
import { log } from '../core/log.js';
import { readSettings } from './config.js';
import type { StageSecretsCache } from './service-stage.js';
import type { VariableResolverInput } from './types.js';

function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0)
    throw new StageSecretsError('USAGE', `${what} must be a non-empty string.`);
  return value;
}

/**
 * What the framework's resolver takes from a variable source: a value, or null with the message it
 * shows when the variable has no fallback (`${secret:NAME, 'fallback'}` uses the fallback instead).
 */
export type VariableResult = { value: string } | { value: null; eventualErrorMessage: string };

/**
 * `${secret:NAME}`: the secret's text for the stage being deployed. Runs while serverless.yml is being
 * resolved, before any hook, so stage, app, folder and fallbacks are asked of the resolver, not the service.
 * A stage without NAME resolves to null, so the framework's fallback rules apply (`${secret:NAME, 'x'}`);
 * a stage that cannot be opened stays an error.
 */
export async function resolveSecretVariable(
  input: VariableResolverInput,
  context: { cache: StageSecretsCache; env: NodeJS.ProcessEnv; serviceDir: string },
): Promise<VariableResult> {
  const name = input.address?.trim();
  if (!name) throw new StageSecretsError('USAGE', '${secret:NAME} needs the secret name after "secret:".');
  const stage = await stageOf(input);
  if (!stage) throw new StageSecretsError('USAGE', `cannot tell the stage for \${secret:${name}}; pass --stage.`);
  const { app, dir, fallbacks } = readSettings({
    stageSecrets: await input.resolveConfigurationProperty(['custom', 'stageSecrets']),
  });
  const secrets = await context.cache.get({
    stage,
    app,
    dir,
    fallbacks,
    serviceDir: input.serviceDir ?? context.serviceDir,
    env: context.env,
  });
  const value = secrets.values.get(name)?.text;
  if (value === undefined) {
    const message = `stage-secrets: \${secret:${name}}: stage ${stage} has no secret named ${name}; add it with: npx --no-install stage-secrets set --stage ${stage} ${name} (or give a fallback: \${secret:${name}, 'default'})`;
    // v4 keeps only `.value` of a source's answer and prints its own "Cannot resolve" (notes/serverless-v4.md)
    if (!keepsErrorMessages(input))
      log().warn(`${message.replace(/^stage-secrets: /, '')}; a fallback is used if the variable has one`);
    return { value: null, eventualErrorMessage: message };
  }
  return { value };
}

/**
 * v3 and osls hand a source `isSourceFulfilled` and show its `eventualErrorMessage` when no fallback is
 * left; v4's resolver (sf-core resolvers/providers.js) passes neither that flag nor the message on.
 */
function keepsErrorMessages(input: VariableResolverInput): boolean {
  return 'isSourceFulfilled' in input;
}

/**
 * The stage being resolved: --stage, else `${sls:stage}`, else (v4.4 has no resolveVariable,
 * serverless/serverless#12883) provider.stage, else the framework's default, dev.
 */
async function stageOf(input: VariableResolverInput): Promise<string | undefined> {
  const option = optionalString(input.options?.stage, 'the --stage option');
  if (option) return option;
  if (typeof input.resolveVariable === 'function')
    return optionalString(await input.resolveVariable('sls:stage'), 'the stage');
  const configured = await input.resolveConfigurationProperty(['provider', 'stage']);
  return optionalString(configured, 'provider.stage') ?? 'dev';
}
