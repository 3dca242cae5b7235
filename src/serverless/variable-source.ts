import { StageSecretsError } from '../core/errors.js';
import type { StageSecretsCache } from './source.js';
import type { VariableResolverInput } from './types.js';

function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0) throw new StageSecretsError('USAGE', `${what} must be a non-empty string.`);
  return value;
}

/**
 * `${secret:NAME}`: the secret's text for the stage being deployed. Runs while serverless.yml is being
 * resolved, before any hook, so stage, app and folder are asked of the resolver, not the service.
 */
export async function resolveSecretVariable(
  input: VariableResolverInput,
  context: { cache: StageSecretsCache; env: NodeJS.ProcessEnv; serviceDir: string },
): Promise<{ value: string }> {
  const name = input.address?.trim();
  if (!name) throw new StageSecretsError('USAGE', '${secret:NAME} needs the secret name after "secret:".');
  const stage = optionalString(input.options?.stage, 'the --stage option') ?? optionalString(await input.resolveVariable('sls:stage'), 'the stage');
  if (!stage) throw new StageSecretsError('USAGE', `cannot tell the stage for \${secret:${name}}; pass --stage.`);
  const service = await input.resolveConfigurationProperty(['service']);
  const serviceName = typeof service === 'object' && service !== null ? (service as { name?: unknown }).name : service;
  const app =
    optionalString(await input.resolveConfigurationProperty(['custom', 'stageSecrets', 'app']), 'custom.stageSecrets.app') ??
    optionalString(serviceName, 'service');
  if (!app) throw new StageSecretsError('USAGE', `cannot tell the app for \${secret:${name}}: serverless.yml has no service name.`);
  const dir = optionalString(await input.resolveConfigurationProperty(['custom', 'stageSecrets', 'dir']), 'custom.stageSecrets.dir');
  const secrets = await context.cache.get({ stage, app, dir, serviceDir: input.serviceDir ?? context.serviceDir, env: context.env });
  const value = secrets.values.get(name)?.text;
  if (value === undefined) {
    throw new StageSecretsError('NOT_FOUND', `\${secret:${name}}: stage ${stage} has no secret named ${name}; add it with: stage-secrets set --stage ${stage} ${name}`);
  }
  return { value };
}
