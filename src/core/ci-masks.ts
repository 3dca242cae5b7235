/**
 * How a CI runner learns which texts to mask in its log. GitHub Actions reads `::add-mask::TEXT`
 * workflow commands on a step's stdout; GitLab and others have no such command (their masked
 * variables are set in the project settings), so nothing is printed there.
 */

/** Whether this process runs in a step of a runner that reads mask commands. */
export function runnerReadsMasks(env: NodeJS.ProcessEnv): boolean {
  return env.GITHUB_ACTIONS === 'true';
}

/** Workflow-command data escaping, as the runner reverses it. */
function escapeCommandData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** One `::add-mask::` command for each text (the runner masks line by line, so texts hold single lines too). */
export function githubMaskLines(masks: readonly string[]): string[] {
  const texts = new Set<string>();
  for (const text of masks) if (text.trim() !== '') texts.add(text);
  return [...texts].map((t) => `::add-mask::${escapeCommandData(t)}`);
}
