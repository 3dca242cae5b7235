/**
 * Which names each function receives, per stage, as the plugin would give them: its `secrets:` list, the
 * service's custom.stageSecrets.secrets, `secrets: auto` (the names its code reads), the opt-out switches,
 * the same in env and runtime mode. Read without a key: names only, from the stage files as written.
 */
import * as path from 'node:path';
import { isStageSecretsError, StageSecretsError } from '../core/errors.js';
import { autoNames, effectiveList, type SelectionRule, selectedNames, selectionRule } from '../contract/needs.js';
import { dedupe, type FileCache, type LocatedRead, scanServiceCode } from '../contract/service-code.js';
import type { ServiceModel } from '../contract/service-model.js';
import { appServices, readConfigDoc } from '../contract/services.js';
import type { Unreadable } from '../contract/types.js';
import { listSecrets } from '../stages/list.js';
import { findSecretsDir, stagesIn } from '../stages/locate.js';
import { readSettings } from './config.js';
import { type FunctionEnvInput, mergeSecrets } from './merge.js';
import { decideSetEnvs } from './opt-out.js';

export type { SelectionRule } from '../contract/needs.js';

export interface FunctionNames {
  function: string;
  names: string[];
  rule: SelectionRule;
}

export interface ServiceNames {
  service: string;
  /** its config file, relative to the caller's folder */
  config: string;
  mode: 'env' | 'runtime';
  /** set when its functions get no secrets: which switch says so */
  optedOut?: string;
  functions: FunctionNames[];
  /** why the selection cannot be made for this stage (a list naming a secret the stage lacks...) */
  problem?: string;
}

export interface StageNames {
  stage: string;
  services: ServiceNames[];
  /** why the stage file could not be read */
  problem?: string;
}

export interface ReceivedNames {
  secretsDir: string;
  stages: StageNames[];
  unreadable: Unreadable[];
}

interface ServiceSetup {
  model: ServiceModel;
  mode: 'env' | 'runtime';
  optedOut?: string;
  serviceList?: string[];
  reads: Record<string, LocatedRead[]>;
  problem?: string;
}

async function setUp(model: ServiceModel, env: NodeJS.ProcessEnv, shown: (f: string) => string, cache: FileCache) {
  const setup: ServiceSetup = { model, mode: 'env', reads: {} };
  try {
    const value = (await readConfigDoc(model.configFile)).value as { custom?: Record<string, unknown> } | undefined;
    const settings = readSettings(value?.custom);
    setup.mode = settings.mode === 'runtime' ? 'runtime' : 'env';
    if (Array.isArray(settings.secrets)) setup.serviceList = settings.secrets;
    const decision = decideSetEnvs({ env, setEnvs: settings.setEnvs, serviceDir: model.dir });
    if (!decision.setEnvs) setup.optedOut = decision.reason;
  } catch (err) {
    if (!isStageSecretsError(err)) throw err;
    setup.problem = err.message;
  }
  const code = await scanServiceCode(model, shown, cache);
  setup.reads = code.reads;
  return { setup, unreadable: code.unreadable };
}

function namesFor(
  setup: ServiceSetup,
  stage: string,
  stageNames: string[],
  shown: (f: string) => string,
): ServiceNames {
  const { model } = setup;
  const base: ServiceNames = { service: model.name, config: shown(model.configFile), mode: setup.mode, functions: [] };
  if (setup.problem) return { ...base, problem: setup.problem };
  if (setup.optedOut) {
    const functions = model.functions.map((fn) => ({ function: fn.name, names: [], rule: 'opted-out' as const }));
    return { ...base, optedOut: setup.optedOut, functions };
  }
  const present = new Set(stageNames);
  const auto = (name: string) => autoNames(model, setup.reads[name] ?? [], present);
  const names = (fn: ServiceModel['functions'][number]) => selectedNames(model, fn, present, auto);
  const inputs: Record<string, FunctionEnvInput> = {};
  for (const fn of model.functions) {
    // a function's own list or auto goes to the merge as its list; the service list as the merge's own
    const ownList = fn.secrets !== undefined || effectiveList(model, fn) === 'auto';
    inputs[fn.name] = { secrets: ownList ? names(fn) : undefined };
  }
  try {
    // the plugin's merge refuses lists naming what the stage lacks or the service list leaves out
    mergeSecrets({
      stage,
      functions: inputs,
      secrets: new Map(stageNames.map((n) => [n, ''])),
      serviceSecrets: setup.serviceList,
    });
    const functions = model.functions.map((fn) => ({
      function: fn.name,
      names: names(fn),
      rule: selectionRule(model, fn),
    }));
    return { ...base, functions };
  } catch (err) {
    if (!isStageSecretsError(err)) throw err;
    return { ...base, problem: err.message };
  }
}

/** Per stage, per service and function of the app: the names it receives. */
export async function receivedNames(input: {
  dir?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  stages?: string[];
}): Promise<ReceivedNames> {
  const cwd = path.resolve(input.cwd);
  const shown = (file: string) => (path.relative(cwd, file) || '.').split(path.sep).join('/');
  const found = findSecretsDir({ stage: input.stages?.[0] ?? 'dev', dir: input.dir, cwd, env: input.env });
  if ('searched' in found) {
    throw new StageSecretsError(
      'NOT_FOUND',
      `no secrets/ folder with a stage file ${found.searched}. Run this in the app's folder (or below it), or pass --dir.`,
    );
  }
  const stages = input.stages?.length ? [...new Set(input.stages)].sort() : (stagesIn(found.dir) ?? []);
  const { services, unreadable } = await appServices(found.dir, input.env, shown);
  const cache: FileCache = new Map();
  const setups = await Promise.all(services.map((s) => setUp(s, input.env, shown, cache)));
  const result: StageNames[] = stages.map((stage) => {
    let names: string[];
    try {
      names = listSecrets({ stage, dir: found.dir, cwd, env: input.env }).map((s) => s.name);
    } catch (err) {
      if (!isStageSecretsError(err)) throw err;
      return { stage, services: [], problem: err.message };
    }
    return { stage, services: setups.map(({ setup }) => namesFor(setup, stage, names, shown)) };
  });
  return {
    secretsDir: shown(found.dir),
    stages: result,
    unreadable: dedupe([...unreadable, ...setups.flatMap((s) => s.unreadable)]),
  };
}
