import * as path from 'node:path';
import { StageSecretsError } from '../core/errors.js';
import { APPROVAL_VERSION, type StageFile } from '../core/format.js';
import {
  runEnvMacMatches,
  runEnvStage,
  statedRunEnv,
  unverifiedRunEnvError,
  RUN_KEYS_VAR,
  RUN_MAC_VAR,
  type RunEnvProblem,
} from '../core/run-env.js';
import { readRunToken } from '../run-env/token.js';
import type { SecretValue } from '../core/values.js';
import { findGitRoot } from '../git/root.js';
import type { StageOptions } from './options.js';
import { Stage } from './stage.js';
import { realPathOf } from '../core/real-path.js';

/** Where loaded values came from. Never holds a value. */
export type SecretsSource =
  | { kind: 'run-env' /** the stage file run opened, as found from here (checked to be the same) */; path: string }
  | { kind: 'stage-file'; path: string; identity: string; identityDescription: string };

export interface LoadedSecrets {
  /** the stage asked for (a preview stage stays itself when a fallback supplied its file) */
  stage: string;
  /** name → typed value, sorted by name */
  values: ReadonlyMap<string, SecretValue>;
  source: SecretsSource;
  /** the app recorded in the stage file */
  app?: string;
  /** the stage file itself, as read (sealed; runtime mode packages its entries without reading it again) */
  stageFile: StageFile;
  /** absolute real path of the stage file used (run hands it to its command as STAGE_SECRETS_FILE) */
  file: string;
  /** "stage pr-7 has no stage file; using stage dev's ..." when a fallback applied, for the log */
  fallback?: string;
  /** why the env of stage-secrets run was not used although present, for the log */
  note?: string;
}

export interface LoadOptions extends StageOptions {
  /** use the env `stage-secrets run` set when it ran for this stage; default true (the CLI itself says false) */
  runEnv?: boolean;
  /**
   * `resolve` (default): each reference entry is replaced by the value its target holds, read with this
   * process's AWS credentials (src/aws/references.ts); `keep`: references stay as they are (`ref: true`, the
   * target as text), for callers that treat them apart (publish).
   */
  references?: 'resolve' | 'keep';
}

/** "the stage file secrets/dev.json (identity local:…)" or "the environment of stage-secrets run": for logs. */
export function describeSource(source: SecretsSource): string {
  return source.kind === 'run-env'
    ? `the environment of stage-secrets run (${RUN_KEYS_VAR}, from ${source.path})`
    : `the stage file ${source.path} (identity ${source.identity})`;
}

/** The secrets `stage-secrets run` put in this env, proven to be run's and checked against this folder's stage file. */
export interface CheckedRunEnv {
  values: Map<string, SecretValue>;
  stageFile: StageFile;
  /** absolute real path of the stage file */
  file: string;
  /** the stage file as shown in logs */
  path: string;
  fallback?: string;
}

/** The git work trees (else the folders) of the service and of its secrets folder: a committed file can be there. */
export function repositoriesOf(cwd: string, secretsDir: string | undefined): string[] {
  const folders = [cwd, ...(secretsDir ? [path.dirname(secretsDir)] : [])];
  return [...new Set(folders.map((folder) => findGitRoot(folder) ?? folder))];
}

/**
 * The secrets `stage-secrets run` put in this env for this stage. Undefined when the env states no run
 * env for this stage; a problem when it states one that run's token does not prove (a committed .env or
 * a hand-set variable), or names a secret the stage file does not have. Throws RUN_FILE_MISMATCH when a
 * proven run env is of another stage file than the one these options find: a service of another app or
 * folder must not take secrets that are not its own.
 */
export function secretsFromCheckedRunEnv(
  opts: StageOptions,
  stage: Stage = Stage.find(opts, 'read'),
): CheckedRunEnv | RunEnvProblem | undefined {
  const env = opts.env ?? process.env;
  const stated = statedRunEnv(opts.stage, env);
  if (!stated || 'problem' in stated) return stated;
  const from = path.resolve(opts.cwd ?? process.cwd());
  const token = readRunToken(stated.tokenFile, repositoriesOf(from, stage.secretsDir));
  if (!Buffer.isBuffer(token)) return token;
  if (!runEnvMacMatches(token, stated.claim, stated.mac)) {
    const why = 'the names, values, stage or stage file differ from what run set';
    return { problem: `${RUN_MAC_VAR} does not match run's token: ${why}` };
  }
  const runFile = stated.claim.stageFile;
  if (!stage.exists) {
    throw new StageSecretsError(
      'RUN_FILE_MISMATCH',
      `stage-secrets run opened ${runFile}, but from ${from} there is no stage file of its own: ${stage.missing?.message} ` +
        `Run stage-secrets run from this app's folder, or point --dir / custom.stageSecrets.dir at the same secrets folder.`,
    );
  }
  const own = stage.realPath;
  if (own !== realPathOf(runFile)) {
    throw new StageSecretsError(
      'RUN_FILE_MISMATCH',
      `stage-secrets run opened ${runFile}, but from ${from} the stage file for stage ${opts.stage} is ${own}: the secrets in the environment are not this service's. ` +
        `Run stage-secrets run from this app's folder (cd there first), or point --dir / custom.stageSecrets.dir and the fallbacks at the same stage file.`,
    );
  }
  const file = stage.read();
  const shown = stage.displayPath;
  const names = [...stated.claim.values.keys()].sort();
  const absent = names.filter((name) => !Object.hasOwn(file.secrets, name));
  if (absent.length > 0) {
    const listed = `${RUN_KEYS_VAR} lists ${absent.join(', ')}`;
    return { problem: `${listed}, which the stage file ${shown} does not have (was it changed after run started?)` };
  }
  const values = new Map<string, SecretValue>();
  for (const name of names) values.set(name, { type: file.secrets[name]!.type, text: stated.claim.values.get(name)! });
  return { values, stageFile: file, file: own, path: shown, fallback: stage.fallbackNote };
}

/**
 * The one way every entry point gets a stage's secrets: from the env `stage-secrets run` prepared
 * when it ran for this stage (proven by run's token and checked to be from this folder's stage file),
 * else from the stage file (or a matching fallback's), opened with whatever identity this machine holds
 * (local key or KMS). An env that states run's secrets without proof is not used: the stage file is
 * opened instead, and when that fails too the error says why the env was not used.
 */
export async function loadSecrets(opts: LoadOptions, stage: Stage = Stage.find(opts, 'read')): Promise<LoadedSecrets> {
  const env = opts.env ?? process.env;
  const useRunEnv = opts.runEnv ?? true;
  const fromRun = useRunEnv ? secretsFromCheckedRunEnv(opts, stage) : undefined;
  if (fromRun && !('problem' in fromRun) && opts.references === 'keep') {
    // run resolved the references away; a caller that keeps them (runtime mode grants their targets) needs
    // the targets, sealed in the stage file only: open it, the run env's values are not used
    const refs = Object.keys(fromRun.stageFile.secrets).filter((n) => fromRun.stageFile.secrets[n]!.ref === true);
    if (refs.length > 0) return loadKeptUnderRun(opts, stage, refs);
  }
  if (fromRun && !('problem' in fromRun)) {
    const { values, stageFile, file, fallback } = fromRun;
    return {
      stage: opts.stage,
      values,
      source: { kind: 'run-env', path: fromRun.path },
      app: stageFile.app,
      stageFile,
      file,
      fallback,
    };
  }
  if (fromRun) {
    try {
      const opened = await loadFromStageFile(opts, stage);
      const note = `the environment states secrets of stage ${opts.stage} from stage-secrets run, but ${fromRun.problem}; not used, the stage file was opened instead`;
      return { ...opened, note };
    } catch (err) {
      if (err instanceof StageSecretsError) throw unverifiedRunEnvError(opts.stage, fromRun.problem, err.message);
      throw err;
    }
  }
  const otherStage = useRunEnv ? runEnvStage(env) : undefined;
  const note =
    otherStage === undefined
      ? undefined
      : `the environment holds secrets of stage ${otherStage}, but this is stage ${opts.stage}; opening the stage file instead`;
  return { ...(await loadFromStageFile(opts, stage)), note };
}

/** Under run, references kept as targets: read from the stage file with this process's key (KMS in runtime mode). */
async function loadKeptUnderRun(opts: LoadOptions, stage: Stage, refs: string[]): Promise<LoadedSecrets> {
  try {
    return await loadFromStageFile(opts, stage);
  } catch (err) {
    if (!(err instanceof StageSecretsError)) throw err;
    const named = `${refs.join(', ')} ${refs.length === 1 ? 'is a reference' : 'are references'}`;
    throw new StageSecretsError(
      err.code,
      `${err.message}\n(${named} of stage ${opts.stage}: under stage-secrets run the environment holds the values run read, not the targets, so the stage file is opened here to keep the references as targets, which needs this build's access to the stage key, e.g. kms:Decrypt for runtime mode's aws-kms identity.)`,
      { cause: err },
    );
  }
}

async function loadFromStageFile(opts: LoadOptions, stage: Stage): Promise<LoadedSecrets> {
  const file = stage.read();
  const opened = await stage.open();
  if (opened.pending.length > 0) throw unapprovedError(file, opened.pending);
  const decrypted = opened.decryptAll();
  const values =
    opts.references !== 'keep' && opened.references.size > 0
      ? await resolveStageReferences(decrypted, opts.env ?? process.env)
      : decrypted;
  return {
    stage: opts.stage,
    values,
    source: {
      kind: 'stage-file',
      path: stage.displayPath,
      identity: opened.identity.id,
      identityDescription: opened.identityDescription,
    },
    app: file.app,
    stageFile: file,
    file: stage.realPath,
    fallback: stage.fallbackNote,
  };
}

/** Nothing of a stage with pending names reaches a build: a writer without the key may have added them. */
export function unapprovedError(file: StageFile, pending: string[]): StageSecretsError {
  const names = pending.join(' ');
  const why =
    file.version < APPROVAL_VERSION
      ? `the stage file was written before name approval existed (format version ${file.version}), so none of its names is approved yet`
      : `a writer without the key added ${pending.length === 1 ? 'it' : 'them'}, and a name can change how a program runs (BROWSER, PYTHONWARNINGS, ...)`;
  const refs = pending.filter((name) => file.secrets[name]?.ref === true);
  const refWhy = refs.length
    ? ` (${refs.join(', ')} ${refs.length === 1 ? 'is a reference' : 'are references'}: an approval covers the ` +
      'target, so a new or changed target, or a switch between value and reference, needs approval again)'
    : '';
  return new StageSecretsError(
    'UNAPPROVED',
    `stage ${file.stage} has names no key holder approved: ${pending.join(', ')}; ${why}${refWhy}. Nothing of this stage was used. Review them (npx --no-install stage-secrets list --stage ${file.stage}, or the stage file's git diff), then a key holder runs: npx --no-install stage-secrets approve --stage ${file.stage} ${names} (or removes them with stage-secrets rm).`,
  );
}

/**
 * A stage's references resolved with this process's AWS credentials (loaded only when the stage has one):
 * batched per store, one call set per stage and load. Errors name the secret and its target, never a value.
 */
export async function resolveStageReferences(
  values: ReadonlyMap<string, SecretValue>,
  env: NodeJS.ProcessEnv,
): Promise<ReadonlyMap<string, SecretValue>> {
  const { resolveReferences } = await import('../aws/references.js');
  return resolveReferences(values, env);
}
