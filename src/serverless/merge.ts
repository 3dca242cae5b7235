import { StageSecretsError } from '../core/errors.js';
import type { Environment } from './types.js';

export interface FunctionEnvInput {
  environment?: Environment;
  /** the function's `secrets` list; undefined: all secrets */
  secrets?: string[];
}

export interface MergeInput {
  stage: string;
  providerEnvironment?: Environment;
  functions: Record<string, FunctionEnvInput>;
  secrets: ReadonlyMap<string, string>;
  /** custom.stageSecrets.secrets: the only secrets any function of this service may receive */
  serviceSecrets?: string[];
}

export interface MergeResult {
  /**
   * provider: every secret went into provider.environment (no function has a `secrets` list);
   * per-function: each function got its own secrets in its environment, provider.environment untouched.
   */
  mode: 'provider' | 'per-function';
  providerEnvironment?: Environment;
  functionEnvironments: Record<string, Environment | undefined>;
  /** function name → names of the secrets it ends up with */
  received: Record<string, string[]>;
  /** names of serverless.yml variables whose values secrets replaced: provider level, and per function */
  replaced: { provider: string[]; functions: Record<string, string[]> };
}

/** Refuses a `secrets` list that names something the stage does not have, or that the service list leaves out. */
function checkLists(input: MergeInput): void {
  const problems: string[] = [];
  const service = input.serviceSecrets;
  const unknownInService = (service ?? []).filter((s) => !input.secrets.has(s));
  if (unknownInService.length) problems.push(`custom.stageSecrets.secrets lists ${unknownInService.join(', ')}`);
  if (service) {
    const outside: string[] = [];
    for (const [name, fn] of Object.entries(input.functions)) {
      const extra = (fn.secrets ?? []).filter((s) => !service.includes(s));
      if (extra.length) outside.push(`function ${name} lists ${extra.join(', ')}`);
    }
    if (outside.length) {
      throw new StageSecretsError(
        'USAGE',
        `custom.stageSecrets.secrets limits this service to ${service.join(', ') || '(none)'}, but ${outside.join('; ')}. ` +
          `A function's secrets list can only narrow the service's: add the names to custom.stageSecrets.secrets or remove them from the function.`,
      );
    }
  }
  for (const [name, fn] of Object.entries(input.functions)) {
    const unknown = (fn.secrets ?? []).filter((s) => !input.secrets.has(s));
    if (unknown.length) problems.push(`function ${name} lists ${unknown.join(', ')}`);
  }
  if (problems.length) {
    throw new StageSecretsError(
      'NOT_FOUND',
      `stage ${input.stage} has no secret named as listed in serverless.yml: ${problems.join('; ')}. ` +
        `Add the secret with: npx --no-install stage-secrets set --stage ${input.stage} NAME, or fix the function's secrets list. ` +
        `Secrets of stage ${input.stage}: ${[...input.secrets.keys()].sort().join(', ') || '(none)'}.`,
    );
  }
}

function pick(secrets: ReadonlyMap<string, string>, names: Iterable<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) out[name] = secrets.get(name)!;
  return out;
}

/**
 * Puts the secrets into the service's environments, secrets winning over serverless.yml at both levels.
 *
 * Without any `secrets` list, every secret goes into provider.environment and replaces same-named keys
 * of each function's environment (the framework merges function over provider). A provider-level value
 * cannot be withheld from one function, so as soon as one function has a list, the secrets go function by
 * function instead: all to functions without a list, only the listed ones to the others. Names a
 * function does not receive keep what serverless.yml gives them. Inputs are not changed.
 */
export function mergeSecrets(input: MergeInput): MergeResult {
  checkLists(input);
  const narrowed = input.serviceSecrets
    ? new Map([...input.secrets].filter(([name]) => input.serviceSecrets!.includes(name)))
    : input.secrets;
  const result = mergeAll({ ...input, secrets: narrowed });
  return { ...result, replaced: replacedNames(input, result, [...narrowed.keys()]) };
}

/** Names present in serverless.yml's environments whose values the merge replaced with a secret. */
function replacedNames(
  input: MergeInput,
  result: Omit<MergeResult, 'replaced'>,
  given: string[],
): MergeResult['replaced'] {
  const replacedIn = (before: Environment | undefined, names: string[]) =>
    Object.keys(before ?? {})
      .filter((k) => names.includes(k))
      .sort();
  // per function, a provider value is replaced for each function that receives the name
  const providerNames = result.mode === 'provider' ? given : [...new Set(Object.values(result.received).flat())];
  const provider = replacedIn(input.providerEnvironment, providerNames);
  const functions: Record<string, string[]> = {};
  for (const [name, fn] of Object.entries(input.functions)) {
    const names = replacedIn(fn.environment, result.received[name] ?? []);
    if (names.length) functions[name] = names;
  }
  return { provider, functions };
}

function mergeAll(input: MergeInput): Omit<MergeResult, 'replaced'> {
  const all = [...input.secrets.keys()];
  const restricted = Object.values(input.functions).some((fn) => fn.secrets !== undefined);
  const functionEnvironments: Record<string, Environment | undefined> = {};
  const received: Record<string, string[]> = {};

  if (!restricted) {
    for (const [name, fn] of Object.entries(input.functions)) {
      received[name] = all;
      if (!fn.environment) {
        functionEnvironments[name] = undefined;
        continue;
      }
      const env: Environment = { ...fn.environment };
      for (const key of Object.keys(env)) if (input.secrets.has(key)) env[key] = input.secrets.get(key)!;
      functionEnvironments[name] = env;
    }
    const providerEnvironment = all.length
      ? { ...input.providerEnvironment, ...pick(input.secrets, all) }
      : input.providerEnvironment;
    return { mode: 'provider', providerEnvironment, functionEnvironments, received };
  }

  for (const [name, fn] of Object.entries(input.functions)) {
    const names = fn.secrets ?? all;
    received[name] = [...names];
    functionEnvironments[name] =
      names.length || fn.environment ? { ...fn.environment, ...pick(input.secrets, names) } : undefined;
  }
  return { mode: 'per-function', providerEnvironment: input.providerEnvironment, functionEnvironments, received };
}
