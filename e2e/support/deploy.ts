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

/** The env a deploy to moto runs with (see notes: v3 needs localhost, osls an IP). */
export function deployEnv(
  fw: Framework,
  moto: Moto,
  svc: SlsService,
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  return {
    ...svc.env,
    ...moto.env,
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
  const result = await runFramework(fw, [...args, '--stage', svc.stage], svc.dir, deployEnv(fw, moto, svc, extra));
  const seconds = (Date.now() - started) / 1000;
  if (result.code !== 0) throw new Error(`${fw.name} ${args.join(' ')} failed (${result.code}):\n${result.output}`);
  return { ...result, seconds };
}

/** What AWS (moto) holds for the service's stage. */
export function awsOf(moto: Moto, region = 'us-east-1') {
  const config = { region, endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const lambda = new LambdaClient(config);
  const cfn = new CloudFormationClient(config);
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
    /** the deployed code, fetched from GetFunction's Code.Location and unzipped into a new folder */
    async code(functionName: string): Promise<string> {
      const out = await lambda.send(new GetFunctionCommand({ FunctionName: functionName }));
      const res = await fetch(out.Code!.Location!);
      if (!res.ok) throw new Error(`fetching the code of ${functionName}: HTTP ${res.status}`);
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-code-'));
      const zip = path.join(tmp, 'code.zip');
      fs.writeFileSync(zip, Buffer.from(await res.arrayBuffer()));
      try {
        return unzipArtifact(zip);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    },
    destroy() {
      lambda.destroy();
      cfn.destroy();
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
