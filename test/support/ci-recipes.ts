/**
 * Plays CI platforms well enough to run a recipe from the docs against a fixture app: the blocks marked
 * `<!-- recipe: KIND -->` in README.md and docs/*.md, their commands run with bash as each platform
 * runs them. Steps that need the platform itself (checkout, setup-node, AWS credentials) and `npm ci`
 * are taken as done; anything else a recipe says is executed, so a recipe that drifts from the CLI or
 * the action fails.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from './cli.js';
import { parseFileCommands, runAction } from './github-runner.js';

export interface Recipe {
  /** the file and line it was found at */
  where: string;
  kind: string;
  text: string;
}

/** Every marked recipe of the user docs, in file order. */
export function docRecipes(): Recipe[] {
  const files = [
    'README.md',
    ...fs
      .readdirSync(path.join(REPO_ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => `docs/${f}`),
  ];
  return files.flatMap((file) => {
    const text = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
    return [...text.matchAll(/^<!-- recipe: ([a-z-]+) -->\n```[a-z]*\n([\s\S]*?)^```$/gm)].map((m) => ({
      where: `${file}:${text.slice(0, m.index).split('\n').length}`,
      kind: m[1]!,
      text: m[2]!,
    }));
  });
}

/** `npm ci` lines: the fixture is installed already (its node_modules hold the CLI and the stubs). */
function withoutInstall(script: string): string {
  return script.replace(/^(\s*)npm ci\b.*$/gm, '$1: npm ci: the fixture app is installed');
}

export interface ShellResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A script as the platforms run one: bash without profiles, stopping at the first failing command or pipe. */
export function bash(script: string, cwd: string, env: NodeJS.ProcessEnv): ShellResult {
  const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', withoutInstall(script)], {
    cwd,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function check(result: ShellResult, what: string): ShellResult {
  if (result.code !== 0) {
    throw new Error(`${what} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

type Yaml = Record<string, unknown>;

function asMap(value: unknown, what: string): Yaml {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what}: not a mapping`);
  return value as Yaml;
}

function stringMap(value: unknown, what: string): Record<string, string> {
  if (value === undefined) return {};
  return Object.fromEntries(Object.entries(asMap(value, what)).map(([k, v]) => [k, String(v)]));
}

export interface GithubContext {
  /** the repository's secrets, for ${{ secrets.NAME }} */
  secrets: Record<string, string>;
  /** the pull request number, for ${{ github.event.number }} */
  eventNumber?: number;
}

export interface WorkflowRun {
  /** every step's stdout, in order */
  stdout: string[];
  /** the steps taken as done (uses: of other actions) */
  skipped: string[];
}

const TAKEN_AS_DONE = /^(actions\/checkout|actions\/setup-node|aws-actions\/configure-aws-credentials)@/;

/**
 * Runs the one job of a workflow as the runner does: `run:` steps with bash in the workspace, the
 * stage-secrets action (`uses: .../stage-secrets@REF`) as `node action/index.mjs` with its inputs
 * (defaults from action.yml), each step with fresh GITHUB_ENV and GITHUB_OUTPUT files whose variables
 * join the env of the later steps, and `${{ }}` expressions of secrets, runner, github.event and steps.
 */
export async function runGithubWorkflow(text: string, cwd: string, env: NodeJS.ProcessEnv, context: GithubContext) {
  const doc = asMap(parseYaml(text), 'workflow');
  const jobs = Object.values(asMap(doc.jobs, 'jobs'));
  if (jobs.length !== 1) throw new Error('a recipe workflow has one job');
  const job = asMap(jobs[0], 'job');
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-runner-temp-'));
  const outputs = new Map<string, Map<string, string>>();
  const expression = (expr: string): string => {
    const e = expr.trim();
    let m: RegExpExecArray | null;
    if ((m = /^secrets\.([A-Za-z0-9_]+)$/.exec(e))) return context.secrets[m[1]!] ?? '';
    if (e === 'runner.temp') return temp;
    if (e === 'github.event.number' && context.eventNumber !== undefined) return String(context.eventNumber);
    if ((m = /^steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)$/.exec(e))) {
      const step = outputs.get(m[1]!);
      if (!step?.has(m[2]!)) throw new Error(`no output ${m[2]} of step ${m[1]}`);
      return step.get(m[2]!)!;
    }
    throw new Error(`expression not played by this test: \${{ ${e} }}`);
  };
  const expand = (value: string): string => value.replace(/\$\{\{([^}]*)\}\}/g, (_, e: string) => expression(e));
  const jobEnv: NodeJS.ProcessEnv = {
    ...env,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: cwd,
    RUNNER_TEMP: temp,
    ...stringMap(doc.env, 'env'),
    ...stringMap(job.env, 'job env'),
  };
  const actionYml = asMap(parseYaml(fs.readFileSync(path.join(REPO_ROOT, 'action.yml'), 'utf8')), 'action.yml');
  const declared = asMap(actionYml.inputs, 'inputs');
  const run: WorkflowRun = { stdout: [], skipped: [] };
  try {
    for (const [i, raw] of (job.steps as unknown[]).entries()) {
      const step = asMap(raw, `step ${i + 1}`);
      const what = `step ${i + 1} (${String(step.name ?? step.uses ?? step.run)})`;
      const stepEnv = Object.fromEntries(
        Object.entries(stringMap(step.env, `${what} env`)).map(([k, v]) => [k, expand(v)]),
      );
      if (typeof step.uses === 'string' && TAKEN_AS_DONE.test(step.uses)) {
        run.skipped.push(step.uses);
        continue;
      }
      let envFile = '';
      let outputFile = '';
      if (typeof step.uses === 'string') {
        if (!/^[A-Za-z0-9-]+\/stage-secrets@[A-Za-z0-9._-]+$/.test(step.uses))
          throw new Error(`${what}: unknown action`);
        const given = Object.fromEntries(
          Object.entries(stringMap(step.with, `${what} with`)).map(([k, v]) => [k, expand(v)]),
        );
        const unknown = Object.keys(given).filter((k) => !Object.hasOwn(declared, k));
        if (unknown.length > 0) throw new Error(`${what}: the action has no input ${unknown.join(', ')}`);
        const inputs: Record<string, string> = {};
        for (const [name, spec] of Object.entries(declared)) {
          const fallback = (spec as { default?: unknown }).default;
          inputs[name] = given[name] ?? (fallback === undefined ? '' : String(fallback));
        }
        const r = await runAction(path.join(REPO_ROOT, 'action', 'index.mjs'), {
          cwd,
          env: { ...jobEnv, ...stepEnv },
          inputs,
        });
        check(r, what);
        run.stdout.push(r.stdout);
        ({ envFile, outputFile } = r);
      } else if (typeof step.run === 'string') {
        const files = fs.mkdtempSync(path.join(temp, 'step-'));
        const ghEnv = path.join(files, 'env');
        const ghOut = path.join(files, 'output');
        fs.writeFileSync(ghEnv, '');
        fs.writeFileSync(ghOut, '');
        const r = check(
          bash(expand(step.run), cwd, { ...jobEnv, ...stepEnv, GITHUB_ENV: ghEnv, GITHUB_OUTPUT: ghOut }),
          what,
        );
        run.stdout.push(r.stdout);
        envFile = fs.readFileSync(ghEnv, 'utf8');
        outputFile = fs.readFileSync(ghOut, 'utf8');
      } else {
        throw new Error(`${what}: neither uses nor run`);
      }
      for (const [name, value] of parseFileCommands(envFile)) jobEnv[name] = value;
      if (typeof step.id === 'string') outputs.set(step.id, parseFileCommands(outputFile));
    }
    return run;
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

const GITLAB_KEYWORDS = new Set(['stages', 'variables', 'default', 'include', 'workflow', 'image', 'services']);

/**
 * Runs each job of a .gitlab-ci.yml as a shell runner does: before_script and script in one bash, with
 * the job's variables, the project's CI/CD variables and GitLab's predefined CI_* variables.
 */
export function runGitlabPipeline(
  text: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  project: { variables: Record<string, string>; branch: string; defaultBranch: string },
): Record<string, ShellResult> {
  const doc = asMap(parseYaml(text), '.gitlab-ci.yml');
  const results: Record<string, ShellResult> = {};
  for (const [name, raw] of Object.entries(doc)) {
    if (GITLAB_KEYWORDS.has(name) || name.startsWith('.')) continue;
    const job = asMap(raw, name);
    const script = [...((job.before_script as string[] | undefined) ?? []), ...(job.script as string[])];
    const jobEnv = {
      ...env,
      CI: 'true',
      GITLAB_CI: 'true',
      CI_PROJECT_DIR: cwd,
      CI_JOB_NAME: name,
      CI_JOB_STAGE: String(job.stage ?? 'test'),
      CI_COMMIT_BRANCH: project.branch,
      CI_COMMIT_REF_NAME: project.branch,
      CI_COMMIT_REF_SLUG: project.branch.toLowerCase().replace(/[^a-z0-9]/g, '-'),
      CI_DEFAULT_BRANCH: project.defaultBranch,
      ...project.variables,
      ...stringMap(doc.variables, 'variables'),
      ...stringMap(job.variables, `${name} variables`),
    };
    results[name] = check(bash(script.join('\n'), cwd, jobEnv), `job ${name}`);
  }
  return results;
}

export const SEED_HOOKS = ['before_compile', 'before_build', 'before_deploy', 'after_deploy', 'before_remove'];

/**
 * A Seed build: before_compile, before_build, then Seed's own `serverless deploy --stage $SEED_STAGE_NAME`,
 * then after_deploy, each hook's commands in one bash, with the stage's secret env vars and SEED_*.
 */
export function runSeedBuild(
  text: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  build: { app: string; service: string; stage: string; stageEnv: Record<string, string> },
): ShellResult[] {
  const doc = asMap(parseYaml(text), 'seed.yml');
  const unknown = Object.keys(doc).filter((k) => !SEED_HOOKS.includes(k) && k !== 'sls_set_secret_envs');
  if (unknown.length > 0) throw new Error(`seed.yml: not a build-spec key: ${unknown.join(', ')}`);
  const seedEnv = {
    ...env,
    CI: 'true',
    SEED_APP_NAME: build.app,
    SEED_SERVICE_NAME: build.service,
    SEED_STAGE_NAME: build.stage,
    ...build.stageEnv,
  };
  const hook = (name: string) => ((doc[name] as string[] | undefined) ?? []).join('\n');
  return [
    check(bash(hook('before_compile'), cwd, seedEnv), 'before_compile'),
    check(bash(hook('before_build'), cwd, seedEnv), 'before_build'),
    check(bash('npx serverless deploy --stage "$SEED_STAGE_NAME"', cwd, seedEnv), "Seed's own deploy"),
    check(bash(hook('after_deploy'), cwd, seedEnv), 'after_deploy'),
  ];
}
