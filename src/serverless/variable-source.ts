import { StageSecretsError } from '../core/errors.js';
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
  const stage =
    optionalString(input.options?.stage, 'the --stage option') ??
    optionalString(await input.resolveVariable('sls:stage'), 'the stage');
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
    return {
      value: null,
      eventualErrorMessage: `stage-secrets: \${secret:${name}}: stage ${stage} has no secret named ${name}; add it with: npx --no-install stage-secrets set --stage ${stage} ${name} (or give a fallback: \${secret:${name}, 'default'})`,
    };
  }
  return { value };
}
