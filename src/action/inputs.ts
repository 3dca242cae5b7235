import { StageSecretsError } from '../core/errors.js';
import { assertStageName } from '../core/names.js';
import { parseFallback, type StageFallback } from '../stages/locate.js';

/** Where the action puts the secrets for later steps. */
export type ExportTarget = { kind: 'env' } | { kind: 'files'; dir: string } | { kind: 'none' };

export interface ActionInputs {
  stage: string;
  fallbacks: StageFallback[];
  dir?: string;
  export: ExportTarget;
  mask: boolean;
  /** run the keyless contract check on the stage; a required name it lacks fails the step */
  check: boolean;
  /** write the pull-request review of the stage files (keyless) to the step summary */
  review: boolean;
  /** the commit to review against; default origin/$GITHUB_BASE_REF (set on pull_request events) */
  reviewBase?: string;
  /** write which deployed functions lag the stage (stage-secrets status, AWS read access) to the step summary */
  status: boolean;
}

/**
 * An input as the runner passes it: `INPUT_` + the name upper-cased with spaces as `_` (dashes kept),
 * trimmed. The runner sets every input action.yml declares, defaults included; a missing variable is ''.
 */
export function actionInput(env: NodeJS.ProcessEnv, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

function inputError(message: string): StageSecretsError {
  return new StageSecretsError('USAGE', `${message} (see the inputs in the stage-secrets action.yml).`);
}

function exportTarget(text: string): ExportTarget {
  if (text === '' || text === 'env') return { kind: 'env' };
  if (text === 'none') return { kind: 'none' };
  if (text.startsWith('files:')) {
    const dir = text.slice('files:'.length).trim();
    if (dir === '') throw inputError('input export: files: needs a folder, e.g. files:${{ runner.temp }}/secrets');
    return { kind: 'files', dir };
  }
  throw inputError(`input export must be env, files:DIR or none, not ${JSON.stringify(text.slice(0, 40))}`);
}

/** YAML 1.2 core booleans, as GitHub documents boolean inputs. */
function booleanInput(name: string, text: string, fallback: boolean): boolean {
  if (text === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(text)) return true;
  if (['false', 'False', 'FALSE'].includes(text)) return false;
  throw inputError(`input ${name} must be true or false, not ${JSON.stringify(text.slice(0, 40))}`);
}

export function readActionInputs(env: NodeJS.ProcessEnv): ActionInputs {
  const stage = actionInput(env, 'stage');
  if (stage === '') throw inputError('input stage is required');
  assertStageName(stage);
  const fallbacks = actionInput(env, 'fallback')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => parseFallback(line, 'input fallback'));
  const dir = actionInput(env, 'dir');
  return {
    stage,
    fallbacks,
    dir: dir === '' ? undefined : dir,
    export: exportTarget(actionInput(env, 'export')),
    mask: booleanInput('mask', actionInput(env, 'mask'), true),
    check: booleanInput('check', actionInput(env, 'check'), false),
    review: booleanInput('review', actionInput(env, 'review'), false),
    reviewBase: actionInput(env, 'review-base') || undefined,
    status: booleanInput('status', actionInput(env, 'status'), false),
  };
}
