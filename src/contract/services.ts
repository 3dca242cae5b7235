/**
 * The services of an app: every folder under the app's root with a serverless config whose secrets
 * folder (custom.stageSecrets.dir, else found upward as the plugin finds it) is the app's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findSecretsDir } from '../stages/locate.js';
import { findGitRoot } from '../git/root.js';
import { readScriptConfig, readYamlConfig, type ConfigDoc } from './config-file.js';
import { parseFailure } from './parser.js';
import { serviceModel, type ServiceModel } from './service-model.js';
import { readSourceFile, refusal } from './source-files.js';
import type { Unreadable } from './types.js';

import { SERVERLESS_CONFIGS } from '../core/serverless-configs.js';

const SKIPPED = new Set(['node_modules', 'secrets']);
const MAX_DEPTH = 12;

/** Config files under `root` (folders starting with a dot and node_modules skipped), sorted. */
export function configFilesUnder(root: string): string[] {
  const found: string[] = [];
  const visit = (dir: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const names = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
    const config = SERVERLESS_CONFIGS.find((n) => names.has(n));
    if (config) found.push(path.join(dir, config));
    if (depth >= MAX_DEPTH) return;
    for (const e of entries) {
      if (e.isDirectory() && !e.name.startsWith('.') && !SKIPPED.has(e.name)) visit(path.join(dir, e.name), depth + 1);
    }
  };
  visit(root, 0);
  return found.sort();
}

/** Reads a config as written; `root`: the folder it (and what it imports) must lie in. */
export async function readConfigDoc(file: string, root: string = path.dirname(file)): Promise<ConfigDoc> {
  const read = readSourceFile(file, root);
  if ('refused' in read) throw new Error(refusal(read.refused));
  return /\.(ya?ml|json)$/.test(file) ? readYamlConfig(read.text) : readScriptConfig(file, read.text, root);
}

/** The folder services are looked for in: the git root above the secrets folder, else the app root. */
export function searchRoot(secretsDir: string): string {
  return findGitRoot(path.dirname(secretsDir)) ?? path.dirname(secretsDir);
}

export interface AppServices {
  services: ServiceModel[];
  unreadable: Unreadable[];
}

/** The services under the search root that use `secretsDir` (absolute). */
export async function appServices(
  secretsDir: string,
  env: NodeJS.ProcessEnv,
  shown: (file: string) => string,
): Promise<AppServices> {
  const target = path.resolve(secretsDir);
  const services: ServiceModel[] = [];
  const unreadable: Unreadable[] = [];
  const root = searchRoot(target);
  for (const file of configFilesUnder(root)) {
    let model: ServiceModel;
    try {
      const doc = await readConfigDoc(file, root);
      model = serviceModel(doc.value, file, doc);
      model.root = root;
    } catch (err) {
      const why = parseFailure(err);
      unreadable.push({
        file: shown(file),
        reason: why.startsWith('could not read') ? why : `cannot be read as a serverless config: ${why}`,
      });
      continue;
    }
    const found = findSecretsDir({
      stage: 'dev',
      dir: model.secretsDir === undefined ? undefined : path.resolve(model.dir, model.secretsDir),
      cwd: model.dir,
      env,
    });
    if ('dir' in found && path.resolve(found.dir) === target) services.push(model);
  }
  return { services: services.sort((a, b) => a.configFile.localeCompare(b.configFile)), unreadable };
}
