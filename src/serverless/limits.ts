import { StageSecretsError } from '../core/errors.js';
import { LAMBDA_RESERVED_NAMES, reservedReason } from '../core/names.js';
import type { EnvValue, Environment } from './types.js';

/** Lambda refuses a function whose environment (names plus values) is larger than 4 KB. */
export const LAMBDA_ENV_LIMIT_BYTES = 4096;

const lambdaReserved = new Set(LAMBDA_RESERVED_NAMES);

export interface VariableSize {
  name: string;
  bytes: number;
}

export interface EnvSize {
  bytes: number;
  variables: VariableSize[];
  /** variables whose value CloudFormation fills in at deploy time (Ref, Fn::*): value not counted */
  unresolved: number;
}

/** The environment the function runs with: provider's, then the function's on top; null drops a key. */
export function effectiveEnvironment(provider: Environment | undefined, fn: Environment | undefined): Environment {
  const merged: Environment = { ...provider, ...fn };
  for (const key of Object.keys(merged)) if (merged[key] === null || merged[key] === undefined) delete merged[key];
  return merged;
}

function valueBytes(value: EnvValue | undefined): number | undefined {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number' || typeof value === 'boolean') return Buffer.byteLength(String(value), 'utf8');
  return undefined;
}

/** Size as Lambda counts it: the bytes of every name and value. */
export function environmentSize(env: Environment): EnvSize {
  let bytes = 0;
  let unresolved = 0;
  const variables: VariableSize[] = [];
  for (const [name, value] of Object.entries(env)) {
    const known = valueBytes(value);
    if (known === undefined) unresolved += 1;
    const size = Buffer.byteLength(name, 'utf8') + (known ?? 0);
    variables.push({ name, bytes: size });
    bytes += size;
  }
  variables.sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
  return { bytes, variables, unresolved };
}

export interface LimitInput {
  /** function name → the environment it runs with */
  functions: Record<string, Environment>;
  /** names that came from the stage; held to the full reserved-name rule */
  secretNames: Iterable<string>;
}

/**
 * Refuses what Lambda would refuse at deploy, before anything is packaged: reserved names and an
 * environment over 4 KB (AWS's own error for that echoes every value into the build log). Messages
 * name functions, variables and sizes, never a value.
 */
export function checkLambdaLimits(input: LimitInput): void {
  const problems: string[] = [];
  for (const name of input.secretNames) {
    const reason = reservedReason(name);
    if (reason) problems.push(`secret ${reason}; remove it from the stage with npx --no-install stage-secrets rm`);
  }
  for (const [fnName, env] of Object.entries(input.functions)) {
    for (const key of Object.keys(env)) {
      if (lambdaReserved.has(key.toUpperCase())) {
        problems.push(
          `function ${fnName}: ${key} is reserved by AWS Lambda and cannot be set; rename it in serverless.yml`,
        );
      }
    }
    const size = environmentSize(env);
    if (size.bytes > LAMBDA_ENV_LIMIT_BYTES) {
      const largest = size.variables
        .slice(0, 3)
        .map((v) => `${v.name} (${v.bytes} bytes)`)
        .join(', ');
      const unresolved = size.unresolved
        ? ` (not counting ${size.unresolved === 1 ? 'the value' : `${size.unresolved} values`} CloudFormation fills in at deploy)`
        : '';
      problems.push(
        `function ${fnName}: environment is ${size.bytes} bytes${unresolved}, over Lambda's limit of ${LAMBDA_ENV_LIMIT_BYTES} bytes (4 KB); ` +
          `largest variables: ${largest}. Give the function only the secrets it needs (secrets: [...]) or move large values out of the environment`,
      );
    }
  }
  if (problems.length) {
    throw new StageSecretsError('INVALID_VALUE', `Lambda would refuse this service:\n- ${problems.join('\n- ')}`);
  }
}
