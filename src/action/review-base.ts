import { StageSecretsError } from '../core/errors.js';
import { git } from '../git/git.js';
import { type Review, reviewStages } from '../stages/review.js';
import type { ActionInputs } from './inputs.js';

/**
 * The base a pull request's review compares with: the review-base input, else the base branch the
 * runner names (GITHUB_BASE_REF, set on pull_request events) on origin. actions/checkout fetches only
 * the merge commit by default, so a missing base branch is fetched (its tip alone: the review reads
 * trees, not history).
 */
export function reviewOfPullRequest(inputs: ActionInputs, env: NodeJS.ProcessEnv, cwd: string): Review {
  const branch = env.GITHUB_BASE_REF?.trim();
  const base = inputs.reviewBase ?? (branch ? `origin/${branch}` : undefined);
  if (base === undefined) {
    throw new StageSecretsError(
      'USAGE',
      'input review needs a base: on pull_request events the runner names it (GITHUB_BASE_REF); ' +
        'elsewhere set the input review-base, e.g. origin/main.',
    );
  }
  const known = git(['rev-parse', '--verify', '--quiet', `${base}^{commit}`], cwd, env, true);
  if (!known?.trim() && inputs.reviewBase === undefined && branch && /^[\w./-]+$/.test(branch)) {
    git(['fetch', '--no-tags', '--depth=1', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`], cwd, env);
  }
  return reviewStages({ base, dir: inputs.dir, cwd, env });
}
