import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, parseDocument } from 'yaml';
import { closestWord } from '../core/did-you-mean.js';
import { StageSecretsError } from '../core/errors.js';
import { findGitRoot } from '../git/root.js';

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

/** `sls-set-secret-envs`, `slsSetSecretEnvs`, `SLS_SET_SECRET_ENVS`: the same key in another spelling. */
function looseKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function kindOf(value: unknown): string {
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}

/**
 * The top-level `sls_set_secret_envs:` of a seed.yml, parsed as YAML (1.2, as Seed's own tooling reads
 * it). Undefined when the file does not set the key. Fails rather than guesses: on a file that is not
 * YAML, a key set twice, a value that is not a YAML boolean (`"no"`, `off`), and on a top-level key that
 * is a near miss of the opt-out (`sls_set_secret_env`), which would otherwise be ignored and every secret
 * deployed. Messages give lines and kinds, never the file's text.
 */
export function seedSetting(text: string, file: string): boolean | undefined {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const fault = doc.errors[0];
  if (fault) {
    const at = fault.linePos?.[0];
    throw new StageSecretsError(
      'USAGE',
      `${file} is not valid YAML (${at ? `line ${at.line}, column ${at.col}: ` : ''}${fault.code}); ` +
        'fix the build spec, then package again.',
    );
  }
  if (doc.contents === null) return undefined;
  const spec: unknown = doc.toJS();
  if (!isMap(doc.contents) || spec === null || typeof spec !== 'object') {
    const message = `${file}: a build spec is a mapping of keys (key: value lines), not ${kindOf(spec)}.`;
    throw new StageSecretsError('USAGE', message);
  }
  for (const key of Object.keys(spec)) {
    const nearMiss = looseKey(key) === looseKey(SEED_KEY) || closestWord(key, [SEED_KEY]) !== undefined;
    if (key === SEED_KEY || !nearMiss) continue;
    throw new StageSecretsError(
      'USAGE',
      `${file}: unknown key ${printable(key)}; did you mean ${SEED_KEY}? As it is, it would be ignored and every ` +
        'secret set on the functions. Fix the key, then package again.',
    );
  }
  if (!Object.hasOwn(spec, SEED_KEY)) return undefined;
  const value = (spec as Record<string, unknown>)[SEED_KEY];
  if (typeof value !== 'boolean') {
    throw new StageSecretsError(
      'USAGE',
      `${file}: ${SEED_KEY} must be true or false (a YAML boolean, unquoted), not ${kindOf(value)}; ` +
        'stage-secrets does not guess what another value means.',
    );
  }
  return value;
}

/** A key as it may be printed: no control characters (the file may be hostile), at most 100 characters. */
function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}]/gu, '?').slice(0, 100);
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
export function decideSetEnvs(input: {
  env: NodeJS.ProcessEnv;
  setEnvs?: boolean;
  serviceDir: string;
}): SetEnvsDecision {
  const fromEnv = input.env[OPT_OUT_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    const parsed = parseSwitch(fromEnv);
    if (parsed === undefined) {
      throw new StageSecretsError('USAGE', `${OPT_OUT_ENV} must be true or false.`);
    }
    if (!parsed) return { setEnvs: false, reason: `${OPT_OUT_ENV}=false in the environment` };
  }
  if (input.setEnvs === false)
    return { setEnvs: false, reason: 'custom.stageSecrets.setEnvs is false in serverless.yml' };
  const seed = seedDecision(input.serviceDir);
  if (seed && !seed.value) return { setEnvs: false, reason: `${SEED_KEY}: false in ${seed.file}` };
  return { setEnvs: true };
}
