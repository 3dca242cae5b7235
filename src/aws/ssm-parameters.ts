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

/** What one publish did at an SSM path: names written, left as they were, and deleted. */
export interface PublishCounts {
  written: string[];
  unchanged: string[];
  pruned: string[];
  /** parameters directly under the path that the stage does not have, left because --prune was not given */
  extra: string[];
}

/**
 * Writes each value as a SecureString `PATH/NAME` (under `kmsKey`, else the account's aws/ssm key), only
 * where the parameter is missing, is not a SecureString, or holds another value, so publishing twice writes
 * nothing. With `prune`, deletes the parameters directly under PATH that `values` does not have.
 */
export async function publishParameters(
  path: string,
  values: ReadonlyMap<string, string>,
  opts: { kmsKey?: string; prune: boolean; keep?: ReadonlySet<string> },
): Promise<PublishCounts> {
  const existing = new Map(
    (await parametersByPath(path, { recursive: false, withValues: true })).map((p) => [p.name, p]),
  );
  const { ssm, sdk } = await client();
  const prefix = path === '/' ? '/' : `${path}/`;
  const counts: PublishCounts = { written: [], unchanged: [], pruned: [], extra: [] };
  try {
    for (const [name, value] of values) {
      const full = `${prefix}${name}`;
      const now = existing.get(full);
      if (now && now.type === 'SecureString' && now.value === value) {
        counts.unchanged.push(name);
        continue;
      }
      await ssm.send(
        new sdk.PutParameterCommand({
          Name: full,
          Value: value,
          Type: 'SecureString',
          Overwrite: true,
          ...(opts.kmsKey ? { KeyId: opts.kmsKey } : {}),
        }),
      );
      counts.written.push(name);
    }
    // `keep`: names the stage has but this publish does not write (references without --resolve-refs)
    const gone = [...existing.keys()].filter((full) => {
      const name = full.slice(prefix.length);
      return !values.has(name) && !opts.keep?.has(name);
    });
    if (opts.prune) {
      for (let i = 0; i < gone.length; i += 10) {
        await ssm.send(new sdk.DeleteParametersCommand({ Names: gone.slice(i, i + 10) }));
      }
    }
    const names = gone.map((full) => full.slice(prefix.length));
    if (opts.prune) counts.pruned = names;
    else counts.extra = names;
  } catch (err) {
    throw awsSourceError(
      err,
      `writing SSM parameters under ${path}`,
      `ssm:PutParameter${opts.prune ? ' and ssm:DeleteParameters' : ''} on that path and kms:Encrypt on ${opts.kmsKey ?? 'the aws/ssm key'}`,
    );
  } finally {
    ssm.destroy();
  }
  return counts;
}
