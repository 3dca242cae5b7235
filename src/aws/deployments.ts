/**
 * `status`'s reads of AWS, with read permissions only: cloudformation:DescribeStackResources (which
 * functions a stack holds) and lambda:GetFunctionConfiguration (the plugin's record). Of a function's
 * configuration only STAGE_SECRETS_DIGEST is kept; nothing else is returned, logged or printed. The SDK
 * is loaded when first needed. Region, credentials and endpoints come from the usual AWS settings.
 */
import { quietSdkConstruction } from '../core/aws-sdk.js';
import { DEPLOY_DIGEST_ENV } from '../core/deploy-digest.js';
import { StageSecretsError } from '../core/errors.js';

export type DeployedRecord = { deployed: false } | { deployed: true; record: string | undefined };

export interface DeployReader {
  /** the functions of a stack: logical id → function name; undefined when the stack does not exist */
  stackFunctions(region: string, stackName: string): Promise<Map<string, string> | undefined>;
  /** the plugin's record on a deployed function (only that variable is kept); deployed: false when it is gone */
  functionRecord(region: string, functionName: string): Promise<DeployedRecord>;
}

interface AwsError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const DENIED = /AccessDenied|UnauthorizedOperation|NotAuthorized|UnrecognizedClient|InvalidClientTokenId|ExpiredToken/;

function failure(err: unknown, permission: string, what: string): StageSecretsError {
  const e = err as AwsError;
  const name = e.name ?? 'Error';
  if (DENIED.test(name) || e.$metadata?.httpStatusCode === 403) {
    return new StageSecretsError(
      'ACCESS_DENIED',
      `AWS refused ${permission} on ${what} (${name}): status needs cloudformation:DescribeStackResources and lambda:GetFunctionConfiguration (read only), with credentials for the account the stage deploys to.`,
      { cause: err },
    );
  }
  return new StageSecretsError('KEY_UNAVAILABLE', `AWS ${permission} on ${what} failed (${name}); try again.`, {
    cause: err,
  });
}

export function awsDeployReader(): DeployReader {
  const cfn = new Map<string, Promise<import('@aws-sdk/client-cloudformation').CloudFormationClient>>();
  const lambda = new Map<string, Promise<import('@aws-sdk/client-lambda').LambdaClient>>();
  const cfnClient = (region: string) => {
    let client = cfn.get(region);
    if (!client) {
      client = import('@aws-sdk/client-cloudformation').then((sdk) =>
        quietSdkConstruction(() => new sdk.CloudFormationClient({ region })),
      );
      cfn.set(region, client);
    }
    return client;
  };
  const lambdaClient = (region: string) => {
    let client = lambda.get(region);
    if (!client) {
      client = import('@aws-sdk/client-lambda').then((sdk) =>
        quietSdkConstruction(() => new sdk.LambdaClient({ region })),
      );
      lambda.set(region, client);
    }
    return client;
  };
  return {
    async stackFunctions(region, stackName) {
      const { DescribeStackResourcesCommand } = await import('@aws-sdk/client-cloudformation');
      const client = await cfnClient(region);
      try {
        const out = await client.send(new DescribeStackResourcesCommand({ StackName: stackName }));
        const functions = new Map<string, string>();
        for (const r of out.StackResources ?? []) {
          if (r.ResourceType === 'AWS::Lambda::Function' && r.LogicalResourceId && r.PhysicalResourceId) {
            if (r.ResourceStatus?.startsWith('DELETE_COMPLETE')) continue;
            functions.set(r.LogicalResourceId, r.PhysicalResourceId);
          }
        }
        return functions;
      } catch (err) {
        const e = err as AwsError;
        if (e.name === 'ValidationError' && /does not exist/.test(e.message ?? '')) return undefined;
        throw failure(err, 'cloudformation:DescribeStackResources', `stack ${stackName} in ${region}`);
      }
    },
    async functionRecord(region, functionName): Promise<DeployedRecord> {
      const { GetFunctionConfigurationCommand } = await import('@aws-sdk/client-lambda');
      const client = await lambdaClient(region);
      try {
        const out = await client.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
        const record = out.Environment?.Variables?.[DEPLOY_DIGEST_ENV];
        return { deployed: true, record };
      } catch (err) {
        if ((err as AwsError).name === 'ResourceNotFoundException') return { deployed: false };
        throw failure(err, 'lambda:GetFunctionConfiguration', `function ${functionName} in ${region}`);
      }
    },
  };
}
