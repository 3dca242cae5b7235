import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { StageSecretsError } from '../core/errors.js';
import { assertStageName, STAGE_NAME_PATTERN } from '../core/names.js';
import { closestWord } from '../core/did-you-mean.js';
import { log } from '../core/log.js';
import { SERVERLESS_CONFIGS } from '../core/serverless-configs.js';
import { displayPath } from '../store/stage-store.js';
import { pastStageFile, type PastStageFile } from '../git/past-stage-file.js';
import { findGitRoot } from '../git/root.js';

/** A preview-stage rule: a stage named like `pattern` (`pr-*`) with no stage file uses `stage`'s file. */
export interface StageFallback {
  pattern: string;
  stage: string;
}

/** Env default for fallbacks where no explicit ones are given: `pr-*=dev,feature-*=dev`. */
export const FALLBACKS_ENV = 'STAGE_SECRETS_FALLBACKS';
export const SECRETS_DIR_ENV = 'STAGE_SECRETS_DIR';
const SECRETS_FOLDER = 'secrets';

/** What locating needs of the file system (node:fs, or memfs in unit tests). */
export interface LocateFs {
  existsSync(path: string): boolean;
  readdirSync?(path: string): string[];
}

export interface LocateInput {
  stage: string;
  /** explicit secrets folder (--dir, custom.stageSecrets.dir), relative to cwd; else STAGE_SECRETS_DIR; else found upward */
  dir?: string;
  /** where the upward search starts (working folder, or the service folder); default process.cwd() */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** used only when the stage has no file (reads of run, export, the plugin, the SST helper, the client) */
  fallbacks?: readonly StageFallback[];
  fs?: LocateFs;
  /** what git history knows of a missing stage file (default: one `git log` in its repository) */
  history?: (file: string, gitRoot: string, env: NodeJS.ProcessEnv) => PastStageFile | undefined | 'unavailable';
}

export interface LocatedStage {
  /** the stage asked for */
  stage: string;
  /** the stage whose file is used: `stage`, or the fallback's */
  fileStage: string;
  /** absolute secrets folder */
  dir: string;
  /** absolute stage file (may not exist yet for init) */
  file: string;
  /** how the folder was chosen */
  how: 'explicit' | 'found' | 'new';
  /** the rule that applied when the stage had no file */
  fallback?: StageFallback;
}

/** A stage pattern as a whole-name regex: `*` stands for any run of stage-name characters. */
function patternRegex(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[A-Za-z0-9_-]*');
  return new RegExp(`^${body}$`);
}

const PATTERN_SYNTAX = /^[A-Za-z0-9*][A-Za-z0-9*_-]*$/;

/**
 * A pattern of nothing but `*` matches every stage, prod included: a writer who deletes prod's stage
 * file would then make the prod build use another stage's secrets. Such a rule is refused everywhere.
 */
export function catchAllPatternError(pattern: string, where: string): StageSecretsError | undefined {
  if (!/^\*+$/.test(pattern)) return undefined;
  return new StageSecretsError(
    'USAGE',
    `${where}: ${JSON.stringify(pattern)} matches every stage, prod included, so a deleted stage file would fall back silently; name the preview stages, e.g. pr-*=dev.`,
  );
}

/** Checks a fallback rule; `where` names its origin for the message. */
export function checkFallback(rule: StageFallback, where: string): StageFallback {
  if (!PATTERN_SYNTAX.test(rule.pattern) || !rule.pattern.includes('*')) {
    throw new StageSecretsError(
      'USAGE',
      `${where}: ${JSON.stringify(rule.pattern)} is not a stage pattern; a pattern needs a *, e.g. pr-*=dev.`,
    );
  }
  const catchAll = catchAllPatternError(rule.pattern, where);
  if (catchAll) throw catchAll;
  if (!STAGE_NAME_PATTERN.test(rule.stage)) {
    throw new StageSecretsError('USAGE', `${where}: the stage for ${rule.pattern} must be a stage name, e.g. dev.`);
  }
  return rule;
}

/** `pr-*=dev` (a --fallback option, or one item of STAGE_SECRETS_FALLBACKS). */
export function parseFallback(text: string, where: string): StageFallback {
  const eq = text.indexOf('=');
  if (eq < 0)
    throw new StageSecretsError('USAGE', `${where}: ${JSON.stringify(text)} must be PATTERN=STAGE, e.g. pr-*=dev.`);
  return checkFallback({ pattern: text.slice(0, eq).trim(), stage: text.slice(eq + 1).trim() }, where);
}

/** STAGE_SECRETS_FALLBACKS: comma-separated PATTERN=STAGE rules, or none. */
export function fallbacksFromEnv(env: NodeJS.ProcessEnv): StageFallback[] {
  const text = env[FALLBACKS_ENV]?.trim();
  if (!text) return [];
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)
    .map((item) => parseFallback(item, FALLBACKS_ENV));
}

/** The rules as the env variable writes them (what run hands on to its command). */
export function fallbacksToEnv(rules: readonly StageFallback[]): string {
  return rules.map((r) => `${r.pattern}=${r.stage}`).join(',');
}

/** The first rule whose pattern matches the stage name. */
export function matchFallback(stage: string, rules: readonly StageFallback[] | undefined): StageFallback | undefined {
  return rules?.find((r) => patternRegex(r.pattern).test(stage));
}

/** Stage names that have a file in a secrets folder, sorted; undefined when the folder cannot be listed. */
export function stagesIn(dir: string, fs: LocateFs = nodeFs): string[] | undefined {
  if (!fs.readdirSync) return undefined;
  try {
    return fs
      .readdirSync(dir)
      .filter((name) => name.endsWith('.json') && !name.startsWith('.'))
      .map((name) => name.slice(0, -'.json'.length))
      .filter((stage) => STAGE_NAME_PATTERN.test(stage))
      .sort();
  } catch {
    return undefined;
  }
}

/** The folders the upward search looks at: `start`, then each parent up to the git root (only `start` outside git). */
function searchPath(start: string, fs: LocateFs): { folders: string[]; gitRoot?: string } {
  const gitRoot = findGitRoot(start, fs);
  if (!gitRoot) return { folders: [start] };
  const folders: string[] = [];
  for (let dir = start; ; dir = path.dirname(dir)) {
    folders.push(dir);
    if (dir === gitRoot || path.dirname(dir) === dir) break;
  }
  return { folders, gitRoot };
}

/**
 * Where an app's first `init` belongs when no secrets folder is found: the nearest folder at or above
 * `start`, not past the git root, holding a serverless config or package.json, else the git root.
 * Outside git, undefined: discovery then searches only the working folder, so that is the app's.
 */
export function appRootOf(start: string, fs: LocateFs = nodeFs): { dir: string; why: string } | undefined {
  const { folders, gitRoot } = searchPath(path.resolve(start), fs);
  if (!gitRoot) return undefined;
  for (const folder of folders) {
    const marker = [...SERVERLESS_CONFIGS, 'package.json'].find((name) => fs.existsSync(path.join(folder, name)));
    if (marker) return { dir: folder, why: `it holds ${marker}` };
  }
  return { dir: gitRoot, why: 'the git root; no folder from here up to it holds a serverless config or package.json' };
}

/** Whether `folder/secrets` holds a stage file: then `folder` is an app root. */
function isAppRoot(folder: string, stage: string, fs: LocateFs): boolean {
  const dir = path.join(folder, SECRETS_FOLDER);
  if (!fs.existsSync(dir)) return false;
  const stages = stagesIn(dir, fs);
  return stages === undefined ? fs.existsSync(path.join(dir, `${stage}.json`)) : stages.length > 0;
}

/** The secrets folder for these options: explicit, else the nearest app root's, else undefined. */
export function findSecretsDir(
  input: LocateInput,
): { dir: string; how: 'explicit' | 'found' } | { searched: string; start: string } {
  const fs = input.fs ?? nodeFs;
  const env = input.env ?? process.env;
  const cwd = path.resolve(input.cwd ?? process.cwd());
  const explicit = input.dir ?? env[SECRETS_DIR_ENV];
  if (explicit !== undefined && explicit !== '') return { dir: path.resolve(cwd, explicit), how: 'explicit' };
  const { folders, gitRoot } = searchPath(cwd, fs);
  for (const folder of folders) {
    if (isAppRoot(folder, input.stage, fs)) return { dir: path.join(folder, SECRETS_FOLDER), how: 'found' };
  }
  const searched = gitRoot
    ? folders.length === 1
      ? `in ${cwd} (the git root)`
      : `in ${cwd} and each folder above it up to the git root ${gitRoot}`
    : `in ${cwd} (outside a git repository only the working folder is searched)`;
  return { searched, start: cwd };
}

/**
 * What one locate step found: the secrets folder in use (absolute, when there is one, whether or not it
 * holds this stage's file) and either the stage file to use or why there is none (NOT_FOUND, saying where
 * it looked and how to create the stage).
 */
export type FoundStage = { secretsDir?: string } & (
  | { located: LocatedStage; missing?: undefined }
  | { located?: undefined; missing: StageSecretsError }
);

/**
 * Finds the stage file the way git finds .git: an explicit folder wins (--dir, STAGE_SECRETS_DIR,
 * custom.stageSecrets.dir); otherwise the nearest folder at or above the start (not past the git root)
 * whose secrets/ holds a stage file is the app root, and the search stops there even when that app has
 * no file for this stage, so a nested app never falls through to an outer app's secrets.
 *
 * `read`: the stage file must exist, or a fallback rule names one that does. `write`: it must exist.
 * `create` (init): the folder to create the file in: the app root found, else <start>/secrets.
 */
export function locateStage(input: LocateInput, purpose: 'read' | 'write' | 'create'): LocatedStage {
  const found = findStage(input, purpose);
  if (found.missing) throw found.missing;
  return found.located;
}

/** locateStage without throwing for a missing file: the folder found is still known (the plugin excludes it). */
export function findStage(input: LocateInput, purpose: 'read' | 'write' | 'create'): FoundStage {
  assertStageName(input.stage);
  for (const rule of input.fallbacks ?? []) {
    const catchAll = catchAllPatternError(rule.pattern, 'fallbacks');
    if (catchAll) throw catchAll;
  }
  const fs = input.fs ?? nodeFs;
  const cwd = path.resolve(input.cwd ?? process.cwd());
  const found = findSecretsDir(input);
  if ('searched' in found) {
    if (purpose === 'create') {
      const dir = path.join(found.start, SECRETS_FOLDER);
      const file = path.join(dir, `${input.stage}.json`);
      return { located: { stage: input.stage, fileStage: input.stage, dir, file, how: 'new' } };
    }
    const missing = new StageSecretsError(
      'NOT_FOUND',
      `no stage file for stage ${input.stage}: no ${SECRETS_FOLDER}/ folder with a stage file ${found.searched}. ` +
        `Run this in the app's folder (or a folder below it), pass --dir, or create the stage with: npx --no-install stage-secrets init --stage ${input.stage} ` +
        `(init makes secrets/ in the folder it runs in: run it in the app's root folder).`,
    );
    return { missing };
  }
  const { dir, how } = found;
  const file = path.join(dir, `${input.stage}.json`);
  const here: LocatedStage = { stage: input.stage, fileStage: input.stage, dir, file, how };
  if (purpose === 'create' || fs.existsSync(file)) return { secretsDir: dir, located: here };
  const rule = purpose === 'read' ? matchFallback(input.stage, input.fallbacks) : undefined;
  const where = how === 'found' ? ` (app root ${displayPath(cwd, path.dirname(dir))}, found from ${cwd})` : '';
  if (rule) {
    const refused = fallbackRefusedByHistory(input, file, rule, cwd);
    if (refused) return { secretsDir: dir, missing: refused };
    const target = path.join(dir, `${rule.stage}.json`);
    if (fs.existsSync(target))
      return { secretsDir: dir, located: { ...here, fileStage: rule.stage, file: target, fallback: rule } };
    const missing = new StageSecretsError(
      'NOT_FOUND',
      `stage ${input.stage} has no stage file and its fallback ${rule.pattern} → ${rule.stage} names a stage without one either: no ${displayPath(cwd, target)}${where}. ` +
        `Create it with: npx --no-install stage-secrets init --stage ${rule.stage}, or fix the fallback.`,
    );
    return { secretsDir: dir, missing };
  }
  const others = stagesIn(dir, fs);
  const near = others && closestWord(input.stage, others);
  const list = others?.length ? `stages there: ${others.join(', ')}` : '';
  const preview =
    purpose === 'read'
      ? ` For preview stages, configure a fallback (--fallback 'pr-*=dev', or custom.stageSecrets.fallbacks).`
      : '';
  const init = `npx --no-install stage-secrets init --stage ${input.stage}`;
  const missingFile = `no stage file ${displayPath(cwd, file)} for stage ${input.stage}${where}`;
  // a typo of a stage that exists is likelier than a new stage: the suggestion comes before how to create one
  const missing = new StageSecretsError(
    'NOT_FOUND',
    near
      ? `${missingFile}; did you mean ${near}? (${list}). To make a new stage ${input.stage}: ${init}.${preview}`
      : `${missingFile}${list ? `; ${list}` : ''}; create it with: ${init}.${preview}`,
  );
  return { secretsDir: dir, missing };
}

/**
 * A pattern with a fixed part can still match a real stage (`pr*` matches `prod`): a stage whose file git
 * history knows — a commit deleted it, or it is only gone from the work tree — never falls back, or a
 * writer who deletes secrets/prod.json would make the prod build use dev's secrets. Outside git (or when
 * git cannot answer) only the work tree counts. A shallow clone only knows the commits it fetched.
 */
function fallbackRefusedByHistory(
  input: LocateInput,
  file: string,
  rule: StageFallback,
  cwd: string,
): StageSecretsError | undefined {
  const fs = input.fs ?? nodeFs;
  const gitRoot = findGitRoot(path.dirname(file), fs);
  if (gitRoot === undefined) return undefined;
  const past = (input.history ?? pastStageFile)(file, gitRoot, input.env ?? process.env);
  const shown = displayPath(cwd, file);
  if (past === 'unavailable') {
    log().warn(
      `cannot read git history in ${gitRoot}, so fallback ${rule.pattern} → ${rule.stage} for stage ` +
        `${input.stage} is checked only against the work tree.`,
    );
    return undefined;
  }
  if (past === undefined) {
    if (fs.existsSync(path.join(gitRoot, '.git', 'shallow'))) {
      log().warn(
        `${gitRoot} is a shallow clone: fallback ${rule.pattern} → ${rule.stage} for stage ${input.stage} was ` +
          'checked only against the fetched commits (fetch all history, e.g. fetch-depth: 0, for the full check).',
      );
    }
    return undefined;
  }
  const how = past.deleted
    ? `commit ${past.commit} deleted it`
    : `it was last changed in commit ${past.commit} and is missing from the work tree`;
  const restore = past.deleted ? `git checkout ${past.commit.split(' ')[0]}^ -- ${shown}` : `git checkout -- ${shown}`;
  return new StageSecretsError(
    'NOT_FOUND',
    `stage ${input.stage} has no stage file ${shown}, but git history has one (${how}); a stage that had its own ` +
      `file never falls back, so fallback ${rule.pattern} → ${rule.stage} does not apply. Review that commit; ` +
      `if the deletion was a mistake, restore the file (${restore}), or narrow the pattern.`,
  );
}

/** "stage pr-7 has no stage file; using stage dev's secrets/dev.json (fallback pr-* → dev)", for logs. */
export function describeFallback(located: LocatedStage, cwd: string): string | undefined {
  const rule = located.fallback;
  if (!rule) return undefined;
  return `stage ${located.stage} has no stage file; using stage ${rule.stage}'s ${displayPath(path.resolve(cwd), located.file)} (fallback ${rule.pattern} → ${rule.stage})`;
}
