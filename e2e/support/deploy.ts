/**
 * Deploys of fixtures/sls-deploy to moto (e2e/support/moto.ts) with serverless v3 or osls, and reads of
 * what AWS then holds, through the AWS SDK v3 against moto.
 */
import {
  CloudFormationClient,
  DescribeStackResourcesCommand,
  GetTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import {
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListFunctionsCommand,
} from '@aws-sdk/client-lambda';
import { GetObjectCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from '../../test/support/cli.js';
import { unzipArtifact } from '../../test/support/lambda-invoke.js';
import {
  prepareService,
  runFramework,
  type Framework,
  type FrameworkResult,
  type PrepareOptions,
  type SlsService,
} from '../../test/support/sls-service.js';
import type { Moto } from './moto.js';

export const SERVICE = 'deploy-svc';

/** fixtures/sls-deploy, prepared for `fw`: serverless v3 gets serverless-localstack, osls loses the line. */
export async function prepareDeployService(fw: Framework, opts: PrepareOptions): Promise<SlsService> {
  const svc = await prepareService('sls-deploy', opts);
  const config = path.join(svc.dir, 'serverless.yml');
  if (fw.name === 'serverless') {
    fs.symlinkSync(
      path.join(REPO_ROOT, 'node_modules', 'serverless-localstack'),
      path.join(svc.dir, 'node_modules', 'serverless-localstack'),
      'dir',
    );
  } else {
    fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace('  - serverless-localstack\n', ''));
  }
  return svc;
}

/**
 * The env a deploy to moto runs with (see notes: v3 needs localhost, osls an IP). Trap: both frameworks
 * sleep SLS_AWS_MONITORING_FREQUENCY (default 5000 ms) before each look at a change set and at the stack's
 * status, and moto has finished by the first look. Paired runs here (2 cores, shared): at 5000 ms create /
 * update / remove took 16-18 / 9 / 9-11 s (serverless v3) and 21-25 / 11 / 7-8 s (osls); at 250 ms 3-6 / 2-4 / 2-4 s
 * and 4.5-7 / 2-3.5 / 1.5-2 s.
 */
export function deployEnv(
  fw: Framework,
  moto: Moto,
  svc: SlsService,
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  return {
    ...svc.env,
    ...moto.env,
    SLS_AWS_MONITORING_FREQUENCY: '250',
    ...(fw.name === 'serverless' ? { AWS_ENDPOINT_URL: moto.localhostUrl, MOTO_STAGE: svc.stage } : {}),
    ...extra,
  };
}

export interface Timed extends FrameworkResult {
  seconds: number;
}

/** Runs the framework against moto; fails with its output when it fails. */
export async function sls(
  fw: Framework,
  moto: Moto,
  svc: SlsService,
  args: string[],
  extra: NodeJS.ProcessEnv = {},
): Promise<Timed> {
  const started = Date.now();
  // well past a deploy's usual 10-40 s: a shared machine can take minutes
  const result = await runFramework(
    fw,
    [...args, '--stage', svc.stage],
    svc.dir,
    deployEnv(fw, moto, svc, extra),
    540_000,
  );
  const seconds = (Date.now() - started) / 1000;
  if (result.code !== 0) throw new Error(`${fw.name} ${args.join(' ')} failed (${result.code}):\n${result.output}`);
  return { ...result, seconds };
}

/** What AWS (moto) holds for the service's stage. */
export function awsOf(moto: Moto, region = 'us-east-1') {
  const config = { region, endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const lambda = new LambdaClient(config);
  const cfn = new CloudFormationClient(config);
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  return {
    /** Environment.Variables of a function */
    async variables(functionName: string): Promise<Record<string, string>> {
      const out = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
      return out.Environment?.Variables ?? {};
    },
    async handler(functionName: string): Promise<string | undefined> {
      return (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }))).Handler;
    },
    /** the stack's template as CloudFormation holds it */
    async template(stackName: string): Promise<string> {
      const out = await cfn.send(new GetTemplateCommand({ StackName: stackName }));
      return out.TemplateBody ?? '';
    },
    async stackResources(stackName: string) {
      return (await cfn.send(new DescribeStackResourcesCommand({ StackName: stackName }))).StackResources ?? [];
    },
    async functionNames(): Promise<string[]> {
      return ((await lambda.send(new ListFunctionsCommand({}))).Functions ?? []).map((f) => f.FunctionName!).sort();
    },
    /**
     * The deployed code, unzipped into a new folder. moto's GetFunction gives a Code.Location on AWS's own
     * host, serving nothing; its path is the S3 key the code came from. So the zip is taken from whichever
     * moto bucket holds that key (a stack deploy), else from the uploads a proxy saw (`deploy function`
     * sends the bytes themselves), and used only when its SHA-256 is GetFunction's CodeSha256.
     */
    async code(functionName: string, uploaded: Buffer[] = []): Promise<string> {
      const out = await lambda.send(new GetFunctionCommand({ FunctionName: functionName }));
      const want = out.Configuration!.CodeSha256!;
      const key = decodeURIComponent(new URL(out.Code!.Location!).pathname.slice(1));
      const candidates: Buffer[] = [];
      for (const bucket of (await s3.send(new ListBucketsCommand({}))).Buckets ?? []) {
        try {
          const object = await s3.send(new GetObjectCommand({ Bucket: bucket.Name!, Key: key }));
          candidates.push(Buffer.from(await object.Body!.transformToByteArray()));
        } catch {
          // not in this bucket
        }
      }
      candidates.push(...uploaded);
      const zip = candidates.find((bytes) => createHash('sha256').update(bytes).digest('base64') === want);
      if (!zip)
        throw new Error(
          `no zip with the CodeSha256 of ${functionName} (${want}) in moto's buckets or ${uploaded.length} uploaded zips`,
        );
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-code-'));
      const file = path.join(tmp, 'code.zip');
      fs.writeFileSync(file, zip);
      try {
        return unzipArtifact(file);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    },
    destroy() {
      lambda.destroy();
      cfn.destroy();
      s3.destroy();
    },
  };
}

export interface StatusRow {
  service: string;
  function: string;
  state: string;
  note?: string;
  receives: string[];
}

/** `stage-secrets status --format json` in the service's repo, against moto; its exit code and rows. */
export async function status(
  svc: SlsService,
  moto: Moto,
  args: string[] = [],
): Promise<{ code: number | null; rows: Record<string, StatusRow>; stdout: string; stderr: string }> {
  const r = await svc.ws.run(
    ['status', '--stage', svc.stage, ...args, ...(args.includes('--format') ? [] : ['--format', 'json'])],
    {
      env: moto.env,
      cwd: svc.dir,
    },
  );
  if (!args.includes('--format')) {
    if (r.code !== 0 && r.code !== 1) throw new Error(`status failed (${r.code}): ${r.stderr}`);
    const report = JSON.parse(r.stdout) as { functions: StatusRow[] };
    return {
      code: r.code,
      rows: Object.fromEntries(report.functions.map((f) => [f.function, f])),
      stdout: r.stdout,
      stderr: r.stderr,
    };
  }
  return { code: r.code, rows: {}, stdout: r.stdout, stderr: r.stderr };
}

export const states = (rows: Record<string, StatusRow>) =>
  Object.fromEntries(Object.entries(rows).map(([fn, row]) => [fn, row.state]));
