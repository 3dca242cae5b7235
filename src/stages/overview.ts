import * as path from 'node:path';
import { isStageSecretsError, StageSecretsError } from '../core/errors.js';
import { findSecretsDir, stagesIn } from './locate.js';
import type { ExpectedApp } from './options.js';
import { Stage } from './stage.js';

/** One stage of an app as `list` without --stage shows it: counts and dates, read without any key. */
export interface StageSummary {
  stage: string;
  app?: string;
  /** the stage file, relative to the caller's folder */
  file: string;
  secrets?: number;
  /** names with no approval tag (the build refuses the stage until a key holder approves them) */
  pending?: number;
  /** the newest `updated` of its secrets */
  updated?: string;
  /** why the stage could not be read (its file is damaged, of another app, a rotate did not finish...) */
  problem?: string;
}

export interface StagesOverview {
  /** the secrets folder, relative to the caller's folder */
  secretsDir: string;
  stages: StageSummary[];
}

/**
 * Every stage in the app's secrets folder (found as the other commands find it), each counted without a
 * key: no value is opened and no tag checked. A stage that cannot be read is listed with its problem.
 */
export function overviewOfStages(input: {
  dir?: string;
  app?: string | ExpectedApp;
  cwd: string;
  env: NodeJS.ProcessEnv;
}): StagesOverview {
  const cwd = path.resolve(input.cwd);
  // the stage matters only where a folder cannot be listed: any stage name does
  const found = findSecretsDir({ stage: 'dev', dir: input.dir, cwd, env: input.env });
  if ('searched' in found) {
    throw new StageSecretsError(
      'NOT_FOUND',
      `no secrets/ folder with a stage file ${found.searched}. Run this in the app's folder, pass --dir, or ` +
        'create a stage first: npx --no-install stage-secrets init --stage dev',
    );
  }
  const stages = stagesIn(found.dir) ?? [];
  const secretsDir = path.relative(cwd, found.dir) || '.';
  if (stages.length === 0) {
    throw new StageSecretsError(
      'NOT_FOUND',
      `${secretsDir} holds no stage file; create one with: npx --no-install stage-secrets init --stage dev`,
    );
  }
  const summaries = stages.map((stage): StageSummary => {
    const file = path.join(secretsDir, `${stage}.json`);
    try {
      const read = Stage.inFolder({ stage, dir: found.dir, cwd, env: input.env, app: input.app }).read();
      const entries = Object.values(read.secrets);
      const updated = entries.map((e) => e.updated).sort();
      const summary: StageSummary = {
        stage,
        app: read.app,
        file,
        secrets: entries.length,
        pending: entries.filter((e) => e.approved === undefined).length,
      };
      if (updated.length) summary.updated = updated[updated.length - 1]!;
      return summary;
    } catch (err) {
      if (!isStageSecretsError(err)) throw err;
      return { stage, file, problem: err.message };
    }
  });
  return { secretsDir, stages: summaries };
}
