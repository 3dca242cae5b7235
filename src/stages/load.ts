import { StageSecretsError } from '../core/errors.js';
import { FORMAT_VERSION, type StageFile } from '../core/format.js';
import { runEnvStage, secretsFromRunEnv, RUN_KEYS_VAR } from '../core/run-env.js';
import type { SecretType, SecretValue } from '../core/values.js';
import { openStageFile } from './open.js';
import type { StageOptions } from './options.js';
import { readStage, storeFor } from './read.js';

/** Where loaded values came from. Never holds a value. */
export type SecretsSource =
  | { kind: 'run-env' }
  | { kind: 'stage-file'; path: string; identity: string; identityDescription: string };

export interface LoadedSecrets {
  stage: string;
  /** name → typed value, sorted by name */
  values: ReadonlyMap<string, SecretValue>;
  source: SecretsSource;
  /** why the env of stage-secrets run was not used although present, for the log */
  note?: string;
}

export interface LoadOptions extends StageOptions {
  /** use the env `stage-secrets run` set when it ran for this stage; default true (the CLI itself says false) */
  runEnv?: boolean;
}

/** "the stage file secrets/dev.json (identity local:…)" or "the environment of stage-secrets run": for logs. */
export function describeSource(source: SecretsSource): string {
  return source.kind === 'run-env'
    ? `the environment of stage-secrets run (${RUN_KEYS_VAR})`
    : `the stage file ${source.path} (identity ${source.identity})`;
}

/**
 * The one way every entry point gets a stage's secrets: from the env `stage-secrets run` prepared
 * when it ran for this stage, else from the stage file, opened with whatever identity this machine
 * holds (local key or KMS).
 */
export async function loadSecrets(opts: LoadOptions): Promise<LoadedSecrets> {
  const env = opts.env ?? process.env;
  const useRunEnv = opts.runEnv ?? true;
  const fromRun = useRunEnv ? secretsFromRunEnv(opts.stage, env) : undefined;
  if (fromRun) {
    const types = typesFromFile(opts);
    const values = new Map<string, SecretValue>();
    for (const name of [...fromRun.keys()].sort()) values.set(name, { type: types.get(name) ?? 'string', text: fromRun.get(name)! });
    return { stage: opts.stage, values, source: { kind: 'run-env' } };
  }
  const otherStage = useRunEnv ? runEnvStage(env) : undefined;
  const note =
    otherStage === undefined
      ? undefined
      : `the environment holds secrets of stage ${otherStage}, but this is stage ${opts.stage}; opening the stage file instead`;
  const file = readStage(opts);
  const opened = await openStageFile(file, env);
  if (opened.pending.length > 0) throw unapprovedError(file, opened.pending);
  return {
    stage: opts.stage,
    values: opened.decryptAll(),
    source: {
      kind: 'stage-file',
      path: storeFor(opts).displayPath(opts.stage),
      identity: opened.identity.id,
      identityDescription: opened.identityDescription,
    },
    note,
  };
}

/** Nothing of a stage with pending names reaches a build: a writer without the key may have added them. */
export function unapprovedError(file: StageFile, pending: string[]): StageSecretsError {
  const names = pending.join(' ');
  const why =
    file.version < FORMAT_VERSION
      ? `the stage file was written before name approval existed (format version ${file.version}), so none of its names is approved yet`
      : `a writer without the key added ${pending.length === 1 ? 'it' : 'them'}, and a name can change how a program runs (BROWSER, PYTHONWARNINGS, ...)`;
  return new StageSecretsError(
    'UNAPPROVED',
    `stage ${file.stage} has names no key holder approved: ${pending.join(', ')}; ${why}. Nothing of this stage was used. Review them (stage-secrets list --stage ${file.stage}, or the stage file's git diff), then a key holder runs: stage-secrets approve --stage ${file.stage} ${names} (or removes them with stage-secrets rm).`,
  );
}

/** Types from the stage file (no key needed); without a stage file here, run-env values are strings. */
function typesFromFile(opts: StageOptions): Map<string, SecretType> {
  try {
    const file = readStage(opts);
    return new Map(Object.entries(file.secrets).map(([name, entry]) => [name, entry.type]));
  } catch (err) {
    if (err instanceof StageSecretsError && err.code === 'NOT_FOUND') return new Map();
    throw err;
  }
}
