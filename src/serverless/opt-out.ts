import * as fs from 'node:fs';
import * as path from 'node:path';
import { StageSecretsError } from '../core/errors.js';
import { findGitRoot } from '../stages/locate.js';

const OPT_OUT_ENV = 'SLS_SET_SECRET_ENVS';
const SEED_KEY = 'sls_set_secret_envs';
const SEED_FILE = 'seed.yml';

export interface SetEnvsDecision {
  /** false: no function gets secrets */
  setEnvs: boolean;
  /** why secrets are not set, for the log; undefined when they are */
  reason?: string;
}

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0']);

/** A yes/no word as YAML 1.1 and shells write it; undefined when it is neither. */
export function parseSwitch(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}

/**
 * The top-level `sls_set_secret_envs:` of a seed.yml, read line by line: the build spec is a YAML file
 * of the build service, and one flat key is all we need from it (no YAML library in the plugin).
 * Returns undefined when the file does not set the key.
 */
export function seedSetting(text: string, file: string): boolean | undefined {
  for (const line of text.split(/\r?\n/)) {
    const match = /^(['"]?)sls_set_secret_envs\1[ \t]*:(.*)$/.exec(line);
    if (!match) continue;
    const value = match[2]!.replace(/(^|[ \t])#.*$/, '').trim().replace(/^(['"])(.*)\1$/, '$2');
    const parsed = parseSwitch(value);
    if (parsed === undefined) {
      throw new StageSecretsError('USAGE', `${file}: ${SEED_KEY} must be true or false.`);
    }
    return parsed;
  }
  return undefined;
}

/** seed.yml of the service folder, then of the repo root: the first that sets the key decides. */
function seedDecision(serviceDir: string): { value: boolean; file: string } | undefined {
  const dirs = [path.resolve(serviceDir)];
  const root = findGitRoot(serviceDir);
  if (root && root !== dirs[0]) dirs.push(root);
  for (const dir of dirs) {
    const file = path.join(dir, SEED_FILE);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new StageSecretsError('IO', `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
    }
    const value = seedSetting(text, file);
    if (value !== undefined) return { value, file };
  }
  return undefined;
}

/**
 * Whether functions get secrets. Any of the three switches set to false turns it off: the env var
 * SLS_SET_SECRET_ENVS, custom.stageSecrets.setEnvs, or sls_set_secret_envs in seed.yml.
 */
export function decideSetEnvs(input: { env: NodeJS.ProcessEnv; setEnvs?: boolean; serviceDir: string }): SetEnvsDecision {
  const fromEnv = input.env[OPT_OUT_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    const parsed = parseSwitch(fromEnv);
    if (parsed === undefined) {
      throw new StageSecretsError('USAGE', `${OPT_OUT_ENV} must be true or false.`);
    }
    if (!parsed) return { setEnvs: false, reason: `${OPT_OUT_ENV}=false in the environment` };
  }
  if (input.setEnvs === false) return { setEnvs: false, reason: 'custom.stageSecrets.setEnvs is false in serverless.yml' };
  const seed = seedDecision(input.serviceDir);
  if (seed && !seed.value) return { setEnvs: false, reason: `${SEED_KEY}: false in ${seed.file}` };
  return { setEnvs: true };
}
