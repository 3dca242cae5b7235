import { StageSecretsError } from '../core/errors.js';
import { KEY_NAME_PATTERN, STAGE_NAME_PATTERN } from '../core/names.js';
import { isSecretType, SECRET_TYPES } from '../core/values.js';
import { approveNames } from '../stages/approve.js';
import { removeSecrets, setSecrets } from '../stages/secrets.js';
import type { StagePage, WriteOutcome } from './api.js';
import { changesBetween, ignoredNote, snapshotStageFiles, stageFilesOutsideGit } from './changes.js';
import {
  type AppMatrix,
  buildAppMatrix,
  type ConsoleContext,
  stageListing,
  stageNames,
  stageOptionsFor,
} from './matrix.js';
import { namesNeededBy } from './needs.js';

export type { StagePage, WriteOutcome } from './api.js';

const APPROVE = 'npx --no-install stage-secrets approve';

function requireStage(ctx: ConsoleContext, stage: string): void {
  if (!STAGE_NAME_PATTERN.test(stage) || !stageNames(ctx).includes(stage)) {
    throw new StageSecretsError('NOT_FOUND', 'no such stage here; go back to the app page and reload it.');
  }
}

/** A name from the browser, checked without repeating it: a value pasted into the name field must not come back. */
function nameField(body: Record<string, unknown>): string {
  const name = body.name;
  if (typeof name !== 'string' || !KEY_NAME_PATTERN.test(name)) {
    throw new StageSecretsError(
      'INVALID_NAME',
      'invalid secret name (not shown, in case a value was typed in its place): use a letter, then letters, ' +
        'digits or _ (at most 100 characters).',
    );
  }
  return name;
}

export async function appPage(ctx: ConsoleContext): Promise<AppMatrix> {
  return buildAppMatrix(ctx);
}

export async function stagePage(ctx: ConsoleContext, stage: string): Promise<StagePage> {
  requireStage(ctx, stage);
  const { column, secrets } = await stageListing(ctx, stage);
  const needs = await namesNeededBy(stageOptionsFor(ctx, stage));
  const page: StagePage = {
    stage,
    secrets: secrets.map((s) => (needs ? { ...s, neededBy: needs.get(s.name) ?? [] } : s)),
    needsKnown: needs !== undefined,
  };
  if (column.checkedWith) page.checkedWith = column.checkedWith;
  if (column.problem) page.problem = column.problem;
  return page;
}

async function tracked(
  ctx: ConsoleContext,
  stage: string,
  commitMessage: string,
  change: () => Promise<{ message: string; notes: string[] }>,
): Promise<WriteOutcome> {
  const before = snapshotStageFiles(ctx.secretsDir, stage);
  const { message, notes } = await change();
  const after = snapshotStageFiles(ctx.secretsDir, stage);
  const outside = stageFilesOutsideGit([...before.keys(), ...after.keys()], ctx.cwd, ctx.env);
  const changes = changesBetween(before, after, ctx.cwd, commitMessage, outside);
  const ignored = ignoredNote(changes.ignored);
  return { message, notes: ignored ? [...notes, ignored] : notes, changes };
}

export async function setSecret(
  ctx: ConsoleContext,
  stage: string,
  body: Record<string, unknown>,
): Promise<WriteOutcome> {
  requireStage(ctx, stage);
  const name = nameField(body);
  const { type, value } = body;
  if (typeof type !== 'string' || !isSecretType(type)) {
    throw new StageSecretsError('USAGE', `the format must be one of ${SECRET_TYPES.join(', ')}.`);
  }
  if (typeof value !== 'string') throw new StageSecretsError('INVALID_VALUE', `give a value for ${name}.`);
  let verb = 'set';
  return tracked(ctx, stage, `secrets(${stage}): set ${name}`, async () => {
    const result = await setSecrets(stageOptionsFor(ctx, stage), [{ name, type, value }]);
    verb = result.added.length ? 'added' : 'replaced';
    const notes: string[] = [];
    if (result.pending.length) {
      notes.push(
        `${name} is pending approval (no key of stage ${stage} here): the build refuses the stage until a key ` +
          `holder approves it, here or with: ${APPROVE} --stage ${stage} ${name}`,
      );
    }
    const approvedWith = result.approvedWith ? `, approved with ${result.approvedWith}` : '';
    return { message: `${verb} ${name} (${type}) in stage ${stage}${approvedWith}`, notes };
  });
}

export async function removeSecret(
  ctx: ConsoleContext,
  stage: string,
  body: Record<string, unknown>,
): Promise<WriteOutcome> {
  requireStage(ctx, stage);
  const name = nameField(body);
  return tracked(ctx, stage, `secrets(${stage}): remove ${name}`, async () => {
    const { tagged } = await removeSecrets(stageOptionsFor(ctx, stage), [name]);
    const notes = tagged.length
      ? [
          `${name} had an approval, which its old entry in git history still carries: a writer could restore it ` +
            `with a value of their own. To make the removal stick, a key holder runs: ${APPROVE} --stage ${stage} ` +
            `--revoke ${name}`,
        ]
      : [];
    return { message: `removed ${name} from stage ${stage}`, notes };
  });
}

export async function approve(
  ctx: ConsoleContext,
  stage: string,
  body: Record<string, unknown>,
): Promise<WriteOutcome> {
  requireStage(ctx, stage);
  const list = body.names;
  if (!Array.isArray(list) || list.length === 0) {
    throw new StageSecretsError('USAGE', 'name the pending secrets to approve.');
  }
  const names = list.map((name: unknown) => nameField({ name }));
  return tracked(ctx, stage, `secrets(${stage}): approve ${names.join(', ')}`, async () => {
    const result = await approveNames(stageOptionsFor(ctx, stage), { names });
    const notes = result.pending.length ? [`still pending: ${result.pending.join(', ')}`] : [];
    return { message: `approved ${result.approved.join(', ')} in stage ${stage}`, notes };
  });
}
