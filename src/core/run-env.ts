import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import * as path from 'node:path';
import { StageSecretsError } from './errors.js';
import { keyNameProblem } from './names.js';

/**
 * The contract between `stage-secrets run` and what runs under it (the plugin, the SST helper, the
 * client): run sets these in its child's env, next to the secrets themselves.
 *
 * Any variable can also come from a committed `.env` (serverless' useDotenv, SST) or be set by hand, so
 * none of them proves anything alone. run therefore writes a random per-run token into a file only it
 * creates (0600, in a fresh 0700 folder outside the repository, removed when run ends: run-env/token.ts)
 * and sets a MAC under that token over what it claims. A process under run reads the token and checks
 * the MAC; a file of the repository cannot forge it without the token.
 */
/** The stage run decrypted. */
export const RUN_STAGE_VAR = 'STAGE_SECRETS_STAGE';
/** The comma-separated names of the secrets run put in the env. */
export const RUN_KEYS_VAR = 'STAGE_SECRETS_KEYS';
/**
 * The absolute real path of the stage file run opened. What runs under run finds its own stage file
 * and compares: a service of another app (or folder) never takes secrets that were not its own.
 */
export const RUN_FILE_VAR = 'STAGE_SECRETS_FILE';
/** The absolute path of run's token file (run-env/token.ts). */
export const RUN_TOKEN_VAR = 'STAGE_SECRETS_RUN_TOKEN';
/** HMAC-SHA256 under the token over the stage file, the stage, the names and a digest of each value. */
export const RUN_MAC_VAR = 'STAGE_SECRETS_RUN_MAC';

/**
 * Set by `stage-secrets init` (to "1") while it asks the project's `serverless print` for the service
 * name: the plugin then resolves `${secret:...}` to a placeholder, for print only (the stage may not
 * have a file yet, and print shows what it resolves).
 */
export const APP_PROBE_VAR = 'STAGE_SECRETS_APP_PROBE';

/** What run vouches for; the MAC covers exactly this. */
export interface RunEnvClaim {
  /** the stage file run opened, as run wrote it (absolute) */
  stageFile: string;
  stage: string;
  /** name → value text, as in the env */
  values: ReadonlyMap<string, string>;
}

const MAC_LABEL = 'stage-secrets run env v1';

/** The MAC run sets in RUN_MAC_VAR (base64url). */
export function runEnvMac(token: Buffer, claim: RunEnvClaim): string {
  const names = [...claim.values.keys()].sort();
  const digests = names.map((name) => createHash('sha256').update(claim.values.get(name)!, 'utf8').digest('hex'));
  const message = JSON.stringify([MAC_LABEL, claim.stageFile, claim.stage, names, digests]);
  return createHmac('sha256', token).update(message, 'utf8').digest('base64url');
}

export function runEnvMacMatches(token: Buffer, claim: RunEnvClaim, mac: string): boolean {
  const expected = Buffer.from(runEnvMac(token, claim), 'utf8');
  const given = Buffer.from(mac, 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** A run env for the stage asked for, as the env states it: not yet checked against run's token. */
export interface StatedRunEnv {
  claim: RunEnvClaim;
  tokenFile: string;
  mac: string;
}

/** Why an env that states a run env for this stage cannot be run's; never holds a value. */
export interface RunEnvProblem {
  problem: string;
}

/**
 * The run env this env states for `stage`, read without any file: undefined when there is none, or it
 * is for another stage (then the caller opens the stage file itself); a problem when it is incomplete
 * or malformed (a hand-set or forged env, or one a tool changed on the way).
 */
export function statedRunEnv(stage: string, env: NodeJS.ProcessEnv): StatedRunEnv | RunEnvProblem | undefined {
  const keys = env[RUN_KEYS_VAR];
  if (keys === undefined || env[RUN_STAGE_VAR] !== stage) return undefined;
  const names = keys
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n.length > 0);
  const values = new Map<string, string>();
  for (const name of names) {
    const problem = keyNameProblem(name);
    if (problem) return { problem: `${RUN_KEYS_VAR} lists a name that cannot be a secret: ${problem}` };
    const value = env[name];
    if (value === undefined) {
      const why = '(something between stage-secrets run and this process removed it?)';
      return { problem: `${RUN_KEYS_VAR} lists ${name}, but the environment has no ${name} ${why}` };
    }
    values.set(name, value);
  }
  const stageFile = env[RUN_FILE_VAR];
  if (!stageFile) return { problem: `${RUN_FILE_VAR}, the stage file run opened, is not set` };
  if (!path.isAbsolute(stageFile)) {
    return { problem: `${RUN_FILE_VAR} is not an absolute path (run always sets the absolute real path)` };
  }
  const tokenFile = env[RUN_TOKEN_VAR];
  const mac = env[RUN_MAC_VAR];
  if (!tokenFile || !mac) {
    const missing = !tokenFile ? RUN_TOKEN_VAR : RUN_MAC_VAR;
    return { problem: `${missing}, the proof that stage-secrets run set these, is not set` };
  }
  return { claim: { stageFile, stage, values }, tokenFile, mac };
}

/** The stage whose secrets run put in this env, if any (for messages). */
export function runEnvStage(env: NodeJS.ProcessEnv): string | undefined {
  return env[RUN_KEYS_VAR] === undefined ? undefined : (env[RUN_STAGE_VAR] ?? '(unknown)');
}

/**
 * The error when an env states a run env for `stage` that cannot be run's and the stage could not be
 * opened here either (`openFailure`, e.g. no key: run passes none on).
 */
export function unverifiedRunEnvError(stage: string, problem: string, openFailure?: string): StageSecretsError {
  const opened = openFailure ? ` Opening the stage file here failed too: ${openFailure}` : '';
  return new StageSecretsError(
    'RUN_ENV_UNVERIFIED',
    `the environment states secrets of stage ${stage} from stage-secrets run (${RUN_KEYS_VAR}), but ${problem}; ` +
      'a committed .env file or a variable set by hand can set these names, ' +
      'so nothing from the environment was used. ' +
      `Start the build with npx --no-install stage-secrets run --stage ${stage} -- <command> ` +
      'and pass its environment through unchanged, and remove STAGE_SECRETS_* lines from .env files; ' +
      `or give this process the stage key, so it opens the stage file itself.${opened}`,
  );
}
