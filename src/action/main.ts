/**
 * The GitHub Action's entry (action.yml, bundled into action/index.mjs by scripts/bundle-action.mjs):
 * runs the keyless contract check (input check) first, in a scrubbed child process (contract-scan.ts),
 * then loads the stage once through stages/load.ts, the way `run` and `export` do, registers every
 * value with the runner's masking before anything else is printed, hands the secrets to later steps
 * (GITHUB_ENV or files), sets the outputs and writes the step summary. Nothing from the workspace is
 * ever loaded into this process, which holds the key and the job's tokens.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from '@actions/core';
import { exitCodeOf } from '../core/exit-codes.js';
import { isStageSecretsError, StageSecretsError } from '../core/errors.js';
import { maskTexts, unmaskedSecrets, unmaskedWarning } from '../core/mask-texts.js';
import { assertEnvSafe } from '../core/values.js';
import { type ContractReport, renderCheck } from '../contract/index.js';
import { loadSecrets } from '../stages/load.js';
import { findStage } from '../stages/locate.js';
import { CONTRACT_SCAN_FLAG, contractInChild, contractScanMain } from './contract-scan.js';
import { renderReview, unreadableStages } from '../stages/review-report.js';
import { writeSecretFiles } from './export-targets.js';
import { readActionInputs } from './inputs.js';
import { reviewOfPullRequest } from './review-base.js';
import {
  contractCheckBlock,
  deployStatusBlock,
  loadedSecretsBlock,
  reviewBlock,
  type SummaryBlock,
  type SummaryContext,
} from './summary.js';

/** The summary blocks, in order. */
const SUMMARY_BLOCKS: readonly SummaryBlock[] = [
  loadedSecretsBlock,
  contractCheckBlock,
  reviewBlock,
  deployStatusBlock,
];

/** A stage that lacks a name the app's code or config requires: the step fails before anything is exported. */
function missingNamesError(report: ContractReport, stage: string): StageSecretsError {
  const names = [...new Set(report.missing.filter((m) => m.required).map((m) => m.name))].sort();
  const first = report.missing.find((m) => m.required)!.neededBy[0];
  const where = first
    ? ` (${first.name} for service ${first.service}${first.function ? `, function ${first.function}` : ''}, ${first.at.file}:${first.at.line})`
    : '';
  return new StageSecretsError(
    'NOT_FOUND',
    `stage ${stage} lacks ${names.length === 1 ? 'a name' : 'names'} the app needs: ${names.join(', ')}${where}; nothing was exported. ` +
      `The step summary lists who needs each. Add them: npx --no-install stage-secrets set --stage ${stage} NAME`,
  );
}

async function writeSummary(context: SummaryContext): Promise<void> {
  const blocks: string[] = [];
  for (const block of SUMMARY_BLOCKS) {
    const markdown = await block(context);
    if (markdown !== undefined) blocks.push(markdown);
  }
  if (blocks.length > 0 && context.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(blocks.join('\n')).write();
}

/** The runner's file commands this step needs; without them @actions/core would print values on stdout instead. */
function assertRunnerFiles(env: NodeJS.ProcessEnv, needsEnvFile: boolean): void {
  const needed = ['GITHUB_OUTPUT', ...(needsEnvFile ? ['GITHUB_ENV'] : [])];
  const missing = needed.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new StageSecretsError(
      'USAGE',
      `${missing.join(' and ')} not set: this entry runs as a step of a GitHub Actions job (uses: ...). ` +
        'Elsewhere run the CLI: npx --no-install stage-secrets run --stage S -- CMD.',
    );
  }
}

/** The stage file as the output names it: relative to the workspace when it lies inside it. */
function stageFileOutput(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? file : rel.split(path.sep).join('/');
}

export async function runAction(env: NodeJS.ProcessEnv, cwd: string): Promise<void> {
  const inputs = readActionInputs(env);
  assertRunnerFiles(env, inputs.export.kind === 'env');
  // keyless, so first: a pull request whose stage the build refuses (a pending name) still gets its review
  const review = inputs.review ? reviewOfPullRequest(inputs, env, cwd) : undefined;
  const contract = inputs.check ? await contractBeforeOpening(inputs, env, cwd) : undefined;
  if (contract && !contract.report.ok) {
    if (env.GITHUB_STEP_SUMMARY) {
      const blocks = [renderCheck(contract.report, 'markdown'), ...(review ? [renderReview(review, 'markdown')] : [])];
      await core.summary.addRaw(blocks.join('\n')).write();
    }
    throw missingNamesError(contract.report, contract.fileStage);
  }
  // like run and export: the action makes the environment, so it always reads the stage file itself
  let loaded: Awaited<ReturnType<typeof loadSecrets>>;
  try {
    loaded = await loadSecrets({
      stage: inputs.stage,
      dir: inputs.dir,
      fallbacks: inputs.fallbacks,
      cwd,
      env,
      runEnv: false,
    });
  } catch (err) {
    if (review && env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(renderReview(review, 'markdown')).write();
    throw err;
  }
  const secrets = loaded.values;
  // first, before any other line: the runner masks these in this step's log and every later one
  if (inputs.mask) {
    for (const text of maskTexts(secrets)) if (text.trim() !== '') core.setSecret(text);
    const unmasked = unmaskedSecrets(secrets);
    if (unmasked.length > 0) core.warning(`stage-secrets: ${unmaskedWarning(unmasked)}`);
  }
  if (loaded.fallback) core.info(`stage-secrets: ${loaded.fallback}`);
  const names = [...secrets.keys()].sort();
  // the checks run applies to the env it builds, all before anything is handed on
  for (const name of names) assertEnvSafe(name, secrets.get(name)!.text, 'an environment variable');
  const stageFile = stageFileOutput(loaded.file, cwd);
  const context: SummaryContext = {
    inputs,
    stage: loaded.stage,
    names,
    stageFile,
    loaded,
    env,
    cwd,
    contract: contract?.report,
    review,
  };
  const unreadable = review ? unreadableStages(review) : [];
  if (unreadable.length > 0) {
    await writeSummary(context);
    throw new StageSecretsError(
      'FORMAT',
      `the review cannot read the stage files of ${unreadable.map((s) => s.stage).join(', ')} (see the step summary); ` +
        'nothing was exported.',
    );
  }
  if (inputs.export.kind === 'env') {
    for (const name of names) core.exportVariable(name, secrets.get(name)!.text);
  } else if (inputs.export.kind === 'files') {
    writeSecretFiles(path.resolve(cwd, inputs.export.dir), secrets, cwd);
  }
  core.setOutput('names', names.join(','));
  core.setOutput('stage-file', stageFile);
  await writeSummary(context);
  const where =
    inputs.export.kind === 'env' ? 'the env of later steps' : inputs.export.kind === 'files' ? 'files' : 'no export';
  core.info(`stage-secrets: stage ${loaded.stage}: ${names.length} secrets from ${stageFile} (${where}).`);
}

/**
 * The contract check of the stage file the step will open (a preview stage's fallback included), found
 * without opening it and run in a child without any key or token. Undefined when there is no stage file:
 * opening it then fails with the loader's own message.
 */
async function contractBeforeOpening(
  inputs: ReturnType<typeof readActionInputs>,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<{ report: ContractReport; fileStage: string } | undefined> {
  const found = findStage({ stage: inputs.stage, dir: inputs.dir, fallbacks: inputs.fallbacks, cwd, env }, 'read');
  if (!found.located) return undefined;
  const { fileStage, dir } = found.located;
  const report = await contractInChild(fileURLToPath(import.meta.url), cwd, env, { dir, stages: [fileStage] });
  core.info(
    'stage-secrets: contract check ran ahead of opening the stage, in a separate process with no key, token or AWS ' +
      "credential; the workspace's files were parsed by the action's own parser, none was run.",
  );
  return { report, fileStage };
}

/** Fails the step with the tool's message (never a value) and its exit code. */
function fail(err: unknown): void {
  if (isStageSecretsError(err)) {
    core.setFailed(`stage-secrets: ${err.message}`);
    process.exitCode = exitCodeOf(err.code);
    return;
  }
  core.setFailed(`stage-secrets: internal error: ${(err as Error)?.message ?? String(err)}`);
}

if (process.argv[2] === CONTRACT_SCAN_FLAG) {
  // the scan child (contract-scan.ts): keyless, its own environment
  contractScanMain().catch((err) => {
    process.stderr.write(`${(err as Error)?.message ?? String(err)}\n`);
    process.exitCode = 1;
  });
} else {
  // the runner starts a step in $GITHUB_WORKSPACE: inputs such as dir and files:DIR are relative to it
  runAction(process.env, process.cwd()).catch(fail);
}
