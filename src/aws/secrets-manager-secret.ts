import { quietSdkConstruction } from '../core/aws-sdk.js';
import { StageSecretsError } from '../core/errors.js';
import { awsSourceError } from './aws-answers.js';

/** The current string of a Secrets Manager secret (GetSecretValue, AWSCURRENT). A binary secret is refused. */
export async function secretString(id: string): Promise<string> {
  const sdk = await import('@aws-sdk/client-secrets-manager');
  const client = quietSdkConstruction(() => new sdk.SecretsManagerClient({}));
  try {
    const answer = await client.send(new sdk.GetSecretValueCommand({ SecretId: id }));
    if (answer.SecretString === undefined) {
      throw new StageSecretsError(
        'USAGE',
        `Secrets Manager secret ${id} holds binary data, not a string: stage-secrets keeps text values only.`,
      );
    }
    return answer.SecretString;
  } catch (err) {
    if (err instanceof StageSecretsError) throw err;
    throw awsSourceError(
      err,
      `reading Secrets Manager secret ${id}`,
      'secretsmanager:GetSecretValue on it (and kms:Decrypt on its key, for a customer managed key)',
    );
  } finally {
    client.destroy();
  }
}
