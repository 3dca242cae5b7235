import type { SSMClient } from '@aws-sdk/client-ssm';
import { quietSdkConstruction } from '../core/aws-sdk.js';
import { awsSourceError } from './aws-answers.js';

/** One SSM parameter: its full name, its type, and (when asked for) its value, decrypted. */
export interface SsmParameter {
  name: string;
  type: 'String' | 'StringList' | 'SecureString';
  value?: string;
}

async function client(): Promise<{ ssm: SSMClient; sdk: typeof import('@aws-sdk/client-ssm') }> {
  const sdk = await import('@aws-sdk/client-ssm');
  return { sdk, ssm: quietSdkConstruction(() => new sdk.SSMClient({})) };
}

/**
 * Every parameter under `path` (GetParametersByPath, page by page), with values decrypted when
 * `withValues` (SecureString under any KMS key the caller may use). Without values only names and types
 * are asked for, so a dry run needs no kms:Decrypt.
 */
export async function parametersByPath(
  path: string,
  opts: { recursive: boolean; withValues: boolean },
): Promise<SsmParameter[]> {
  const { ssm, sdk } = await client();
  const found: SsmParameter[] = [];
  let token: string | undefined;
  try {
    do {
      const page = await ssm.send(
        new sdk.GetParametersByPathCommand({
          Path: path,
          Recursive: opts.recursive,
          WithDecryption: opts.withValues,
          NextToken: token,
        }),
      );
      for (const p of page.Parameters ?? []) {
        if (!p.Name || !p.Type) continue;
        found.push({
          name: p.Name,
          type: p.Type as SsmParameter['type'],
          ...(opts.withValues && p.Value !== undefined ? { value: p.Value } : {}),
        });
      }
      token = page.NextToken;
    } while (token);
  } catch (err) {
    throw awsSourceError(
      err,
      `reading SSM parameters under ${path}`,
      `ssm:GetParametersByPath on that path${opts.withValues ? ' and kms:Decrypt on the keys of its SecureString parameters' : ''}`,
    );
  } finally {
    ssm.destroy();
  }
  return found;
}
