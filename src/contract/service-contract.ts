/**
 * One service's contract, for the plugin: the framework's resolved service (what is packaged) with
 * the lines of the config as written, its needs, the reads its lists withhold, and what `secrets: auto`
 * gives each function.
 */
import * as path from 'node:path';
import { findGitRoot } from '../git/root.js';
import { autoNames, declaredNames, effectiveList, serviceNeeds } from './needs.js';
import { parseFailure } from './parser.js';
import { scanServiceCode, type LocatedRead } from './service-code.js';
import { serviceModel, type ServiceModel } from './service-model.js';
import { readConfigDoc } from './services.js';
import { knownSecretNames } from './stage-names.js';
import type { Need, Unreadable, WithheldRead } from './types.js';

export interface ServiceContractInput {
  /** the resolved service (serverless.service) */
  value: unknown;
  serviceDir: string;
  /** the config file as written, for lines; absent: needs carry line 0 */
  configFile?: string;
  /** the app's secrets folder: names of any of its stages count as secrets */
  secretsDir?: string;
  /** the stage being deployed, already read by the caller: its file is not read again */
  deployed?: { stage: string; names: ReadonlySet<string> };
  env: NodeJS.ProcessEnv;
}

export interface ServiceContract {
  model: ServiceModel;
  /** paths relative to the service folder */
  needs: Need[];
  withheld: WithheldRead[];
  unreadable: Unreadable[];
  reads: Record<string, LocatedRead[]>;
  /** for a function with `secrets: auto` (its own or the service's): the names it receives of `stageNames` */
  autoList(functionName: string, stageNames: ReadonlySet<string>): string[] | undefined;
}

export async function serviceContract(input: ServiceContractInput): Promise<ServiceContract> {
  const dir = path.resolve(input.serviceDir);
  const shown = (file: string) => path.relative(dir, file).split(path.sep).join('/') || '.';
  const configFile = input.configFile ?? path.join(dir, 'serverless.yml');
  const unreadable: Unreadable[] = [];
  let lineOf: (p: ReadonlyArray<string | number>) => number | undefined = () => undefined;
  if (input.configFile) {
    try {
      lineOf = (await readConfigDoc(input.configFile, findGitRoot(dir) ?? dir)).lineOf;
    } catch (err) {
      unreadable.push({ file: shown(input.configFile), reason: `lines not known: ${parseFailure(err)}` });
    }
  }
  // the framework has resolved (or refused) every ${secret:...} by now: no variables to read
  const model = serviceModel(input.value, configFile, { lineOf, strings: [] });
  model.dir = dir;
  const known = new Set([
    ...(input.secretsDir ? knownSecretNames(input.secretsDir, dir, input.env, input.deployed?.stage) : []),
    ...(input.deployed?.names ?? []),
    ...declaredNames(model),
  ]);
  const code = await scanServiceCode(model, shown);
  const { needs, withheld } = serviceNeeds(model, code, known, shown);
  return {
    model,
    needs,
    withheld,
    unreadable: [...unreadable, ...code.unreadable],
    reads: code.reads,
    autoList(functionName, stageNames) {
      const fn = model.functions.find((f) => f.name === functionName);
      if (!fn || effectiveList(model, fn) !== 'auto') return undefined;
      return autoNames(model, code.reads[functionName] ?? [], stageNames);
    },
  };
}
