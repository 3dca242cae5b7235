/**
 * `status`: which deployed functions lag the stage. Without a key: for each service of the app and each
 * function, the digest of the sealed entries it would receive now (src/core/deploy-digest.ts) is compared
 * with the one the plugin recorded on the deployed function (STAGE_SECRETS_DIGEST). The reads of AWS are
 * behind `DeployReader`, so the classification is tested without AWS.
 */
import * as path from 'node:path';
import { deployDigest, isDeployRecord, OPTED_OUT_RECORD } from '../core/deploy-digest.js';
import type { StageFile } from '../core/format.js';
import { selectedNames } from './needs.js';
import { parseFailure } from './parser.js';
import { serviceContract } from './service-contract.js';
import type { ServiceModel } from './service-model.js';
import { appServices, readConfigDoc } from './services.js';
import { Stage } from '../stages/stage.js';
import type { Unreadable } from './types.js';

export type DeployState = 'current' | 'stale' | 'not deployed' | 'unknown';

/** What AWS holds for one function: not deployed, or the plugin's record (undefined: deployed without it). */
export type { DeployedRecord, DeployReader } from '../aws/deployments.js';
import type { DeployedRecord, DeployReader } from '../aws/deployments.js';

export interface FunctionStatus {
  service: string;
  function: string;
  state: DeployState;
  /** why, in a few words (opted out, no record, stack missing ...) */
  note?: string;
  /** names it receives now (names only) */
  receives: string[];
  /** those of them that are references (set --ref): only when some */
  references?: string[];
}

export interface StatusReport {
  app: string;
  stage: string;
  functions: FunctionStatus[];
  unreadable: Unreadable[];
  /** nothing stale */
  ok: boolean;
}

/** current / stale / unknown for a deployed function's record against the digest it should hold now. */
export function classify(expected: string, found: DeployedRecord): { state: DeployState; note?: string } {
  if (!found.deployed) return { state: 'not deployed' };
  const record = found.record;
  if (record === undefined) return { state: 'unknown', note: 'deployed without the stage-secrets plugin' };
  if (!isDeployRecord(record))
    return { state: 'unknown', note: 'its STAGE_SECRETS_DIGEST is not one the plugin writes' };
  if (record === OPTED_OUT_RECORD) return { state: 'current', note: 'opted out: it holds no secrets' };
  return record === expected ? { state: 'current' } : { state: 'stale', note: 'deployed before the latest change' };
}

/** The CloudFormation logical id serverless gives a function's AWS::Lambda::Function. */
export function functionLogicalId(name: string): string {
  const normalized = name.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return `${normalized.charAt(0).toUpperCase()}${normalized.slice(1)}LambdaFunction`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const literal = (v: unknown): string | undefined =>
  typeof v === 'string' && v.length > 0 && !v.includes('${') ? v : undefined;

export interface ServiceTarget {
  /** undefined when the config does not name it literally (then its functions are unknown) */
  stackName?: string;
  region: string;
}

/** The stack and region a service deploys `stage` to, as its config says literally (else the defaults). */
export function serviceTarget(
  config: unknown,
  stage: string,
  region: string | undefined,
  env: NodeJS.ProcessEnv,
): ServiceTarget {
  const value = isObject(config) ? config : {};
  const provider = isObject(value.provider) ? value.provider : {};
  const rawService = isObject(value.service) ? value.service.name : value.service;
  const service = literal(rawService);
  const stackName = literal(provider.stackName) ?? (service ? `${service}-${stage}` : undefined);
  return {
    stackName: provider.stackName !== undefined && !literal(provider.stackName) ? undefined : stackName,
    region: region ?? literal(provider.region) ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
  };
}

export interface StatusInput {
  file: StageFile;
  /** the stage deployed to (the stage file's own stage) */
  stage: string;
  services: ServiceModel[];
  secretsDir: string;
  reader: DeployReader;
  region?: string;
  env: NodeJS.ProcessEnv;
  shown: (file: string) => string;
}

export async function deployStatus(input: StatusInput): Promise<StatusReport> {
  const stageNames = new Set(Object.keys(input.file.secrets));
  const functions: FunctionStatus[] = [];
  const unreadable: Unreadable[] = [];
  for (const model of input.services) {
    let config: unknown;
    try {
      config = (await readConfigDoc(model.configFile)).value;
    } catch (err) {
      unreadable.push({ file: input.shown(model.configFile), reason: parseFailure(err) });
      continue;
    }
    const needsAuto = model.serviceSecrets === 'auto' || model.functions.some((f) => f.secrets === 'auto');
    const contract = needsAuto
      ? await serviceContract({
          value: config,
          serviceDir: model.dir,
          configFile: model.configFile,
          secretsDir: input.secretsDir,
          deployed: { stage: input.stage, names: stageNames },
          env: input.env,
        })
      : undefined;
    for (const u of contract?.unreadable ?? [])
      unreadable.push({ ...u, file: input.shown(path.join(model.dir, u.file)) });
    const target = serviceTarget(config, input.stage, input.region, input.env);
    const stack = target.stackName ? await input.reader.stackFunctions(target.region, target.stackName) : undefined;
    for (const fn of model.functions) {
      const receives = selectedNames(model, fn, stageNames, (name) => contract?.autoList(name, stageNames));
      const references = receives.filter((name) => input.file.secrets[name]?.ref === true);
      const row = (state: DeployState, note?: string): FunctionStatus => ({
        service: model.name,
        function: fn.name,
        state,
        ...(note ? { note } : {}),
        receives,
        ...(references.length ? { references } : {}),
      });
      if (!target.stackName) {
        functions.push(row('unknown', 'the config names its service or stack with a variable'));
        continue;
      }
      const physical = stack?.get(functionLogicalId(fn.name));
      if (!stack || physical === undefined) {
        functions.push(row('not deployed', stack ? undefined : `no stack ${target.stackName} in ${target.region}`));
        continue;
      }
      const found = await input.reader.functionRecord(target.region, physical);
      const { state, note } = classify(deployDigest(input.file, receives), found);
      functions.push(row(state, note));
    }
  }
  return {
    app: input.file.app,
    stage: input.stage,
    functions,
    unreadable,
    ok: functions.every((f) => f.state !== 'stale'),
  };
}

export interface AppStatusInput {
  stage: string;
  /** secrets folder (--dir), relative to cwd; default found as every command finds it */
  dir?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  region?: string;
  reader: DeployReader;
}

/** `status` of the app around `cwd`: its stage file read without a key, its services, what AWS holds. */
export async function appDeployStatus(input: AppStatusInput): Promise<StatusReport> {
  const stage = Stage.find({ stage: input.stage, dir: input.dir, cwd: input.cwd, env: input.env }, 'write');
  const file = stage.read();
  const secretsDir = stage.secretsDir!;
  const shown = (file: string) => path.relative(input.cwd, file).split(path.sep).join('/') || '.';
  const { services, unreadable } = await appServices(secretsDir, input.env, shown);
  const report = await deployStatus({
    file,
    stage: input.stage,
    services,
    secretsDir,
    reader: input.reader,
    region: input.region,
    env: input.env,
    shown,
  });
  return { ...report, unreadable: [...unreadable, ...report.unreadable] };
}
