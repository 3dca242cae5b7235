/**
 * Runtime mode with references, against moto: osls packages fixtures/sls-deploy with two reference entries
 * (an SSM SecureString under a customer managed KMS key made in moto, and a key of a Secrets Manager JSON
 * secret); the template's role may read exactly those targets (and decrypt with exactly that key, through
 * SSM); the packaged zip, invoked the way Lambda's Node.js runtime does, resolves them at cold start with one
 * GetParameters and one GetSecretValue (counted by a proxy in front of moto), sees a changed value at the
 * next cold start, and fails naming the name and the target, never a value, when a target is gone.
 */
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DeleteParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invokeLambda, unzipArtifact } from '../test/support/lambda-invoke.js';
import { FRAMEWORKS, runFramework, type SlsService } from '../test/support/sls-service.js';
import { prepareDeployService } from './support/deploy.js';
import { countingProxy, startMoto, type CountingProxy, type Moto } from './support/moto.js';

const fw = FRAMEWORKS.find((f) => f.name === 'osls')!;
const STAGE = 'prod';
const digest = (v: string) => createHash('sha256').update(v).digest('hex');
let counter = 0;
const token = (label: string) =>
  `${label}-${createHash('sha256').update(`${label}${process.pid}${counter++}`).digest('hex').slice(0, 12)}`;
/** a packaging takes 5-20 s on 2 idle cores; far more when the machine is shared */
const PACKAGE_TIMEOUT = 600_000;

describe(`runtime mode with references, packaged by ${fw.name} ${fw.version}, opened against moto`, {
  timeout: PACKAGE_TIMEOUT,
}, () => {
  let moto: Moto;
  let proxy: CountingProxy;
  let svc: SlsService;
  let ssm: SSMClient;
  let refKeyArn: string;
  let template: string;
  let packageLog: string;
  const taskRoots: string[] = [];
  /** every value: none may appear in any output, template or package */
  const values: string[] = [];
  let apiKey = token('api');
  const dbPassword = token('db');

  async function cli(args: string[]): Promise<void> {
    const r = await svc.ws.run(args, { env: svc.env });
    expect(r.code, r.stderr).toBe(0);
    for (const v of values) expect(r.stdout + r.stderr).not.toContain(v);
  }

  async function putApiKey(value: string): Promise<void> {
    values.push(value);
    await ssm.send(
      new PutParameterCommand({
        Name: '/org/shared/api-key',
        Value: value,
        Type: 'SecureString',
        KeyId: refKeyArn,
        Overwrite: true,
      }),
    );
  }

  /** A cold start of function `full` (then a warm call), SSM, Secrets Manager and KMS through the counting proxy. */
  async function coldStart() {
    const taskRoot = unzipArtifact(path.join(svc.dir, '.serverless', 'full.zip'));
    taskRoots.push(taskRoot);
    proxy.targets.length = 0;
    const run = await invokeLambda({
      taskRoot,
      handler: '.stage-secrets-runtime/full/wrapper.handler',
      functionName: `deploy-svc-${STAGE}-full`,
      variables: {},
      aws: { ...moto.env, AWS_ENDPOINT_URL: proxy.url },
      events: [{}, {}],
    });
    for (const v of values) expect(run.logs + run.stderr + JSON.stringify(run)).not.toContain(v);
    return { run, calls: [...proxy.targets] };
  }

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await countingProxy(moto);
    const config = {
      region: 'us-east-1',
      endpoint: moto.url,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    };
    const kms = new KMSClient(config);
    const stageKey = await kms.send(new CreateKeyCommand({ Description: 'stage key' }));
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/refs-prod', TargetKeyId: stageKey.KeyMetadata!.KeyId! }));
    refKeyArn = (await kms.send(new CreateKeyCommand({ Description: 'shared parameters' }))).KeyMetadata!.Arn!;
    kms.destroy();
    ssm = new SSMClient(config);
    await putApiKey(apiKey);
    const sm = new SecretsManagerClient(config);
    values.push(dbPassword);
    await sm.send(
      new CreateSecretCommand({
        Name: 'prod/db',
        SecretString: JSON.stringify({ username: 'svc', password: dbPassword }),
      }),
    );
    sm.destroy();

    const placeholder = { API_KEY: token('placeholder'), DB_PASSWORD: token('placeholder') };
    values.push(...Object.values(placeholder));
    svc = await prepareDeployService(fw, {
      stage: STAGE,
      secrets: placeholder,
      identity: { args: ['--kms', 'alias/refs-prod'], env: moto.env },
    });
    // the key holder turns both values into references
    await cli(['set', '--stage', STAGE, 'API_KEY', '--ref', 'ssm:/org/shared/api-key']);
    await cli(['set', '--stage', STAGE, 'DB_PASSWORD', '--ref', 'secretsmanager:prod/db#password']);
    const config_ = path.join(svc.dir, 'serverless.yml');
    fs.writeFileSync(
      config_,
      fs
        .readFileSync(config_, 'utf8')
        .replace(
          "    mode: ${env:SECRETS_MODE, 'env'}\n",
          `    mode: runtime\n    referenceKeys:\n      - ${refKeyArn}\n`,
        ),
    );
    const result = await runFramework(fw, ['package', '--stage', STAGE], svc.dir, { ...svc.env, ...moto.env });
    expect(result.code, result.output).toBe(0);
    for (const v of values) expect(result.output).not.toContain(v);
    packageLog = result.output;
    template = fs.readFileSync(path.join(svc.dir, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8');
  }, PACKAGE_TIMEOUT);

  afterAll(async () => {
    for (const dir of taskRoots) fs.rmSync(dir, { recursive: true, force: true });
    ssm?.destroy();
    svc?.ws.cleanup();
    await proxy?.close();
    await moto?.stop();
  });

  it('grants the role exactly the referenced parameter and secret, and kms:Decrypt on the listed key through SSM', () => {
    for (const v of values) expect(template).not.toContain(v);
    const statements = JSON.stringify(JSON.parse(template).Resources.IamRoleLambdaExecution.Properties.Policies);
    expect(statements).toContain(
      JSON.stringify({
        Effect: 'Allow',
        Action: ['ssm:GetParameters'],
        Resource: [
          { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/org/shared/api-key' },
        ],
      }),
    );
    expect(statements).toContain(
      JSON.stringify({
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue'],
        Resource: [
          { 'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:prod/db-??????' },
        ],
      }),
    );
    expect(statements).toContain(
      JSON.stringify({ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [refKeyArn] }).slice(0, -1),
    );
    expect(statements).not.toContain('"Resource":"*"');
    expect(packageLog).toContain(
      'then 2 references read with ssm:GetParameters, secretsmanager:GetSecretValue, kms:Decrypt',
    );
  });

  it('resolves both references at cold start: one GetParameters, one GetSecretValue, values in process.env', async () => {
    const { run, calls } = await coldStart();
    expect(run.initError).toBeUndefined();
    const [cold, warm] = run.invocations.map(
      (i) => i.value as { atLoad: Record<string, string>; now: Record<string, string> },
    );
    expect(cold!.atLoad.API_KEY).toBe(digest(apiKey));
    expect(cold!.atLoad.DB_PASSWORD).toBe(digest(dbPassword));
    expect(warm!.now.API_KEY).toBe(digest(apiKey));
    expect(calls.filter((c) => c === 'AmazonSSM.GetParameters')).toHaveLength(1);
    expect(calls.filter((c) => c === 'secretsmanager.GetSecretValue')).toHaveLength(1);
    expect(calls.filter((c) => c.endsWith('.Decrypt'))).toHaveLength(1); // the stage key, once
  });

  it('sees a target changed since the last cold start, with no new package', async () => {
    apiKey = token('api2');
    await putApiKey(apiKey);
    const { run } = await coldStart();
    expect(run.initError).toBeUndefined();
    expect((run.invocations[0]!.value as { atLoad: Record<string, string> }).atLoad.API_KEY).toBe(digest(apiKey));
  });

  it('fails the cold start naming the name and the target when the parameter is gone, never a value', async () => {
    await ssm.send(new DeleteParameterCommand({ Name: '/org/shared/api-key' }));
    const { run } = await coldStart();
    expect(run.initError?.message).toContain('API_KEY -> ssm:/org/shared/api-key');
    expect(run.initError?.message).toContain('not found');
  });
});
