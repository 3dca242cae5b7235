import { type ContractReport, renderCheck } from '../contract/index.js';
import { appDeployStatus } from '../contract/deployed.js';
import { awsDeployReader } from '../aws/deployments.js';
import { renderStatus } from '../contract/deployed-render.js';
import { escapeMarkdown, markdownCode } from '../core/escape.js';
import type { LoadedSecrets } from '../stages/load.js';
import type { Review } from '../stages/review.js';
import { renderReview } from '../stages/review-report.js';
import type { ActionInputs } from './inputs.js';

/** What a summary block may use. Never a value: blocks see names, paths and counts only through it. */
export interface SummaryContext {
  inputs: ActionInputs;
  stage: string;
  names: readonly string[];
  /** the stage file as the outputs name it */
  stageFile: string;
  loaded: Pick<LoadedSecrets, 'fallback' | 'source'>;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** the contract check of the stage (input check) */
  contract?: ContractReport;
  /** the review of the stage files against the pull request's base (input review) */
  review?: Review;
}

/**
 * One markdown block of the step summary ($GITHUB_STEP_SUMMARY), or undefined for none. A new input that
 * reports in the summary (the contract check, the pull-request review) is one such function added to
 * the list main.ts passes; a block that throws a StageSecretsError fails the step with its message.
 */
export type SummaryBlock = (context: SummaryContext) => Promise<string | undefined>;

const escapeCell = escapeMarkdown;

/** The names the step handed on, and from which stage file: what a reader of the run wants first. */
export const loadedSecretsBlock: SummaryBlock = async (context) => {
  const { inputs, names, stageFile, loaded } = context;
  const target =
    inputs.export.kind === 'env'
      ? 'as environment variables of the later steps'
      : inputs.export.kind === 'files'
        ? `as files in ${escapeCell(inputs.export.dir)}`
        : 'nowhere (export: none)';
  const lines = [
    `### stage-secrets: stage ${escapeCell(context.stage)}`,
    '',
    `${names.length} secrets from ${markdownCode(stageFile)}, exported ${target}${inputs.mask ? ', masked in the log' : ''}.`,
  ];
  if (loaded.fallback) lines.push('', escapeCell(loaded.fallback));
  if (names.length > 0) lines.push('', '| name |', '| --- |', ...names.map((name) => `| \`${name}\` |`));
  return `${lines.join('\n')}\n`;
};

/** The contract check's matrix and who needs each missing name (input check). */
export const contractCheckBlock: SummaryBlock = async (context) =>
  context.contract ? renderCheck(context.contract, 'markdown') : undefined;

/** What the pull request does to the stage files, keylessly (input review). */
export const reviewBlock: SummaryBlock = async (context) =>
  context.review ? renderReview(context.review, 'markdown') : undefined;

/**
 * Which deployed functions lag the stage (input status; stage-secrets status): read-only AWS calls with
 * the job's credentials. Stale functions do not fail the step: the deploy that follows is their fix.
 */
export const deployStatusBlock: SummaryBlock = async (context) => {
  if (!context.inputs.status) return undefined;
  const report = await appDeployStatus({
    stage: context.stage,
    dir: context.inputs.dir,
    cwd: context.cwd,
    env: context.env,
    reader: awsDeployReader(),
  });
  return renderStatus(report, 'markdown');
};
