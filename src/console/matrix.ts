import * as path from 'node:path';
import { isStageSecretsError } from '../core/errors.js';
import { listSecretsChecked, type SecretInfo } from '../stages/list.js';
import { stagesIn } from '../stages/locate.js';
import type { StageOptions } from '../stages/options.js';
import type { AppMatrix, CellState, MatrixRow, StageColumn } from './api.js';
import { namesNeededBy } from './needs.js';

/** Where the console works: one app's secrets folder, and the context every use case runs in. */
export interface ConsoleContext {
  /** absolute secrets folder */
  secretsDir: string;
  /** where the console was started: paths are shown relative to it */
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export function stageOptionsFor(ctx: ConsoleContext, stage: string): StageOptions {
  return { stage, dir: ctx.secretsDir, cwd: ctx.cwd, env: ctx.env };
}

/** The stages of the app, read again on every request so a stage made by the CLI shows on reload. */
export function stageNames(ctx: ConsoleContext): string[] {
  return stagesIn(ctx.secretsDir) ?? [];
}

export type { AppMatrix, CellState, MatrixRow, StageColumn } from './api.js';

/** One stage's list as the matrix and the stage page use it; a stage that cannot be read says why. */
export async function stageListing(
  ctx: ConsoleContext,
  stage: string,
): Promise<{ column: StageColumn; secrets: SecretInfo[] }> {
  try {
    const listed = await listSecretsChecked(stageOptionsFor(ctx, stage));
    const column: StageColumn = { stage };
    if (listed.checkedWith) column.checkedWith = listed.checkedWith;
    if (listed.problem) column.problem = listed.problem;
    return { column, secrets: listed.secrets };
  } catch (err) {
    if (!isStageSecretsError(err)) throw err;
    return { column: { stage, problem: err.message }, secrets: [] };
  }
}

/**
 * The app matrix: each stage's list (present with its approval, or missing), plus the names the app's
 * code and config need (the contract check's scan) that no stage has yet, each row with who needs it.
 */
export async function buildAppMatrix(ctx: ConsoleContext): Promise<AppMatrix> {
  const stages = stageNames(ctx);
  const listings: Array<{ column: StageColumn; secrets: SecretInfo[] }> = [];
  for (const stage of stages) listings.push(await stageListing(ctx, stage));
  const needs = await namesNeededBy({ dir: ctx.secretsDir, cwd: ctx.cwd, env: ctx.env });
  const names = [...new Set([...listings.flatMap((l) => l.secrets.map((s) => s.name)), ...(needs?.keys() ?? [])])];
  const rows = names.sort().map((name) => {
    const cells: Record<string, CellState> = {};
    for (const l of listings) cells[l.column.stage] = l.secrets.find((s) => s.name === name)?.approval ?? 'missing';
    const row: MatrixRow = { name, cells };
    if (needs) row.neededBy = needs.get(name) ?? [];
    return row;
  });
  return { secretsDir: path.relative(ctx.cwd, ctx.secretsDir) || '.', stages: listings.map((l) => l.column), rows };
}
