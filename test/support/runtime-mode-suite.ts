/**
 * Runtime mode inside a real framework and packager: a fixture is packaged offline, every file the
 * packaging leaves is searched for the values, and each artifact is unzipped and invoked as Lambda's
 * Node.js runtime would, against the local KMS server. Run by test/integration/runtime-mode-*.test.ts.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'vitest';
import { DEPLOY_DIGEST_ENV } from '../../src/core/deploy-digest.js';
import { REPO_ROOT } from './cli.js';
import { kmsEnv, startKmsServer, type KmsKey, type KmsServer } from './kms-server.js';
import { invokeLambda, unzipArtifact, type InvokeOptions, type LambdaRun } from './lambda-invoke.js';
import { expectNoValues, token } from './plugin-package-suite.js';
import {
  packageService,
  prepareService,
  type Framework,
  type PrepareOptions,
  type FrameworkResult,
  type SlsService,
  type Template,
} from './sls-service.js';

export const digest = (v: string): string => createHash('sha256').update(v).digest('hex');

export interface PackagedFunction {
  /** the function's name in the template: service-stage-name */
  functionName: string;
  handler: string;
  variables: Record<string, string>;
  /** the plugin's deploy record (STAGE_SECRETS_DIGEST), kept out of `variables` */
  digest?: string;
  /** the unzipped artifact */
  taskRoot: string;
}

export interface RuntimeService {
  svc: SlsService;
  kms: KmsServer;
  key: KmsKey;
  secrets: Record<string, string>;
  result: FrameworkResult;
  template: Template;
  fns: Record<string, PackagedFunction>;
  /** folders to search for values: .serverless and every unzipped artifact */
  searched: string[];
  invoke(fn: string, events?: unknown[], aws?: NodeJS.ProcessEnv): Promise<LambdaRun>;
  cleanup(): Promise<void>;
}

/** Links packages of this repository's node_modules into the service (serverless-esbuild and esbuild). */
function linkModules(dir: string, names: string[]): void {
  for (const name of names)
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules', name), path.join(dir, 'node_modules', name), 'dir');
}

/** Packages a runtime-mode fixture with a KMS-wrapped stage and unzips what it made. */
export async function packageRuntimeService(
  fw: Framework,
  fixture: string,
  opts: {
    stage: string;
    secrets: Record<string, string>;
    modules?: string[];
    edit?: (yml: string) => string;
    /** how stage-secrets gets into the service's node_modules; default a link (see prepareService) */
    install?: PrepareOptions['install'];
  },
): Promise<RuntimeService> {
  const kms = await startKmsServer();
  const key = kms.createKey({ alias: 'alias/runtime' });
  const svc = await prepareService(fixture, {
    stage: opts.stage,
    secrets: opts.secrets,
    identity: { args: ['--kms', 'alias/runtime'], env: kmsEnv(kms) },
    install: opts.install,
  });
  linkModules(svc.dir, opts.modules ?? []);
  if (opts.edit) {
    const file = path.join(svc.dir, 'serverless.yml');
    fs.writeFileSync(file, opts.edit(fs.readFileSync(file, 'utf8')));
  }
  return packagedService(fw, svc, kms, key, opts.secrets);
}

/**
 * Packages the service of `rt` again as another stage (e.g. a preview stage that falls back to the
 * stage file `rt` was made with), sharing its workspace, stage file and KMS server. Its cleanup removes
 * only what it unzipped; `rt.cleanup` removes the rest.
 */
export async function packageAgainAs(fw: Framework, rt: RuntimeService, deployStage: string): Promise<RuntimeService> {
  const again = await packagedService(fw, { ...rt.svc, stage: deployStage }, rt.kms, rt.key, rt.secrets);
  return { ...again, cleanup: async () => again.removeUnzipped() };
}

/**
 * The functions of a packaged service (read from .serverless/serverless-state.json and the template), each
 * with its artifact unzipped once into a temp folder (`unzipped`: zip → folder; the caller removes them).
 */
export function unzipPackagedFunctions(
  serviceDir: string,
  template: Template,
): { fns: Record<string, PackagedFunction>; unzipped: Map<string, string> } {
  const state = JSON.parse(fs.readFileSync(path.join(serviceDir, '.serverless', 'serverless-state.json'), 'utf8')) as {
    service: {
      service: string;
      functions: Record<string, { name: string; package?: { artifact?: string } }>;
      package?: { artifact?: string };
    };
  };
  const fns: Record<string, PackagedFunction> = {};
  const unzipped = new Map<string, string>();
  for (const [name, fn] of Object.entries(state.service.functions)) {
    // packaged one by one: each function names its zip; else the service's zip, named after it
    const artifact =
      fn.package?.artifact ??
      state.service.package?.artifact ??
      path.join('.serverless', `${state.service.service}.zip`);
    const zip = path.resolve(serviceDir, artifact);
    let taskRoot = unzipped.get(zip);
    if (!taskRoot) {
      taskRoot = unzipArtifact(zip);
      unzipped.set(zip, taskRoot);
    }
    const resource = Object.values(template.Resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName === fn.name,
    )!;
    const props = resource.Properties as { Handler: string; Environment?: { Variables?: Record<string, string> } };
    // the plugin's deploy record for `status` (a digest, no value) is checked apart from the yaml's variables
    const { [DEPLOY_DIGEST_ENV]: digest, ...variables } = props.Environment?.Variables ?? {};
    fns[name] = {
      functionName: fn.name,
      handler: props.Handler,
      variables,
      digest,
      taskRoot,
    };
  }
  return { fns, unzipped };
}

async function packagedService(
  fw: Framework,
  svc: SlsService,
  kms: KmsServer,
  key: KmsKey,
  secrets: Record<string, string>,
): Promise<RuntimeService & { removeUnzipped(): void }> {
  const { result, template } = await packageService(fw, svc);
  expect(result.code, result.output).toBe(0);
  const serverlessDir = path.join(svc.dir, '.serverless');
  const { fns, unzipped } = unzipPackagedFunctions(svc.dir, template!);
  const searched = [serverlessDir, ...unzipped.values()];
  const removeUnzipped = () => {
    for (const dir of unzipped.values()) fs.rmSync(dir, { recursive: true, force: true });
  };
  return {
    svc,
    kms,
    key,
    secrets,
    result,
    template: template!,
    fns,
    searched,
    invoke: (fn, events = [{ n: 1 }, { n: 2 }, { n: 3 }], aws = kmsEnv(kms)) => {
      const f = fns[fn]!;
      const options: InvokeOptions = {
        taskRoot: f.taskRoot,
        handler: f.handler,
        functionName: f.functionName,
        variables: f.variables,
        aws,
        events,
      };
      return invokeLambda(options);
    },
    removeUnzipped,
    async cleanup() {
      removeUnzipped();
      svc.ws.cleanup();
      await kms.close();
    },
  };
}

/** Every file under the folders whose bytes contain any of the values: none may. */
export function filesWithValues(dirs: string[], values: Record<string, string>): string[] {
  const hits: string[] = [];
  for (const dir of dirs) {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath, entry.name);
      const bytes = fs.readFileSync(file);
      for (const [name, value] of Object.entries(values))
        if (bytes.includes(Buffer.from(value))) hits.push(`${path.relative(dir, file)} holds ${name}`);
    }
  }
  return hits;
}

/** The statements of the template's service role whose actions mention `action` ("kms:Decrypt", "s3:"). */
export function roleStatements(template: Template, action: string): Array<Record<string, unknown>> {
  const role = template.Resources.IamRoleLambdaExecution;
  const policies =
    (
      role?.Properties as
        | { Policies?: Array<{ PolicyDocument: { Statement: Array<Record<string, unknown>> } }> }
        | undefined
    )?.Policies ?? [];
  return policies.flatMap((p) => p.PolicyDocument.Statement).filter((s) => JSON.stringify(s.Action).includes(action));
}

/** The kms:Decrypt statements of the template's service role. */
export const kmsStatements = (template: Template): Array<Record<string, unknown>> =>
  roleStatements(template, 'kms:Decrypt');

/** What each invocation of a run answered, once the run started and every call returned, with no value in any of it. */
export function answersOf<T>(run: LambdaRun, values: Record<string, string>): T[] {
  expect(run.initError, run.stderr).toBeUndefined();
  expectNoValues(JSON.stringify(run), values);
  return run.invocations.map((i) => {
    expect(i.error, run.stderr).toBeUndefined();
    return i.value as T;
  });
}

export const secretsForRuntime = (): Record<string, string> => ({ API_KEY: token('api'), DB_PASSWORD: token('db') });
