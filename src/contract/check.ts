/**
 * The keyless contract check of an app: every service's needs against every checked stage's names.
 * Entry points (the CLI's check and rm, the GitHub Action, the console) call checkApp / appNeeds.
 */
import * as path from 'node:path';
import { StageSecretsError } from '../core/errors.js';
import type { SecretInfo } from '../stages/list.js';
import { findSecretsDir, stagesIn } from '../stages/locate.js';
import { findGitRoot } from '../git/root.js';
import { pastSecretNames } from '../git/past-names.js';
import { secretsFoldersInWorkTree, type UnexpectedFile } from '../git/secrets-folders.js';
import { declaredNames, serviceNeeds, sortNeeds } from './needs.js';
import { dedupe, scanServiceCode, type FileCache } from './service-code.js';
import { appServices } from './services.js';
import { knownSecretNames, stageSecretInfos } from './stage-names.js';
import type {
  CellStatus,
  CheckedFolder,
  ContractReport,
  ContractRow,
  MissingName,
  Need,
  Unreadable,
  WithheldRead,
} from './types.js';

export interface CheckInput {
  /** secrets folder (--dir), relative to cwd; default STAGE_SECRETS_DIR, else found upward from cwd */
  dir?: string;
  /** default process.cwd(); paths in the report are relative to it */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** stages to check; default every stage with a file in the secrets folder */
  stages?: string[];
  /** expiring: within this many days of its expiry (default 14) */
  warnDays?: number;
  /** the time expiries are measured against, ms since the epoch (default now) */
  now?: number;
}

export const DEFAULT_WARN_DAYS = 14;
const DAY_MS = 24 * 60 * 60 * 1000;

/** When an entry's expiry (a day: its start, UTC; or a time) is reached, in ms since the epoch. */
export function expiryTime(expires: string): number {
  return Date.parse(expires.length === 10 ? `${expires}T00:00:00Z` : expires);
}

/**
 * A secret's cell in the matrix at time `now`: missing, sealed to an old key (set before a rotate and
 * merged after it: the build refuses the stage), expired, expiring within `warnDays`, pending, present.
 */
export function cellOf(info: SecretInfo | undefined, now = Date.now(), warnDays = DEFAULT_WARN_DAYS): CellStatus {
  if (!info) return 'missing';
  if (info.sealedToOtherKey) return 'sealed-to-old-key';
  if (info.expires !== undefined) {
    const at = expiryTime(info.expires);
    if (at <= now) return 'expired';
    if (at - now <= warnDays * DAY_MS) return 'expiring';
  }
  return info.approval === 'pending' ? 'pending' : 'present';
}

function secretsDirOf(input: CheckInput, cwd: string, env: NodeJS.ProcessEnv): string {
  const found = findSecretsDir({ stage: input.stages?.[0] ?? 'dev', dir: input.dir, cwd, env });
  if ('dir' in found) return found.dir;
  throw new StageSecretsError(
    'NOT_FOUND',
    `no secrets/ folder with a stage file ${found.searched}. ` +
      `Run this in the app's folder (or below it), or pass --dir.`,
  );
}

function shower(cwd: string): (file: string) => string {
  return (file) => {
    const rel = path.relative(cwd, file);
    return (rel === '' ? '.' : rel).split(path.sep).join('/');
  };
}

export interface AppNeeds {
  secretsDir: string;
  services: Awaited<ReturnType<typeof appServices>>['services'];
  needs: Need[];
  withheld: WithheldRead[];
  unreadable: Unreadable[];
}

/**
 * Every need of every service of the app whose secrets folder is `dir` (found as commands find it).
 * `known`: names that are secrets somewhere, to which code reads are limited (declared names always count).
 */
export async function appNeeds(input: CheckInput & { known?: Iterable<string> }): Promise<AppNeeds> {
  const cwd = path.resolve(input.cwd ?? process.cwd());
  const env = input.env ?? process.env;
  const secretsDir = secretsDirOf(input, cwd, env);
  const shown = shower(cwd);
  const known = new Set(input.known ?? knownSecretNames(secretsDir, cwd, env));
  const { services, unreadable } = await appServices(secretsDir, env, shown);
  for (const s of services) for (const n of declaredNames(s)) known.add(n);
  const cache: FileCache = new Map();
  const scanned = await Promise.all(services.map((s) => scanServiceCode(s, shown, cache)));
  const needs: Need[] = [];
  const withheld: WithheldRead[] = [];
  services.forEach((s, i) => {
    const found = serviceNeeds(s, scanned[i]!, known, shown);
    needs.push(...found.needs);
    withheld.push(...found.withheld);
  });
  return {
    secretsDir,
    services,
    needs: sortNeeds(needs),
    withheld,
    unreadable: dedupe([...unreadable, ...scanned.flatMap((s) => s.unreadable)]),
  };
}

/**
 * The contract report of the app: names × stages, who needs each missing name, what could not be read;
 * and the same check of every other secrets folder of the repository (the plugin or run in a service
 * below one opens it), with the files in each that are no header or entry.
 */
export async function checkApp(input: CheckInput = {}): Promise<ContractReport> {
  const cwd = path.resolve(input.cwd ?? process.cwd());
  const env = input.env ?? process.env;
  const secretsDir = secretsDirOf(input, cwd, env);
  const report = await checkFolder(input, secretsDir, input.stages, cwd, env);
  const shown = shower(cwd);
  const root = findGitRoot(secretsDir);
  const listed = (root && secretsFoldersInWorkTree(root, env)) || [];
  const absolute = (folder: string) => path.resolve(root ?? cwd, folder);
  const primary = listed.find((f) => absolute(f.folder) === path.resolve(secretsDir));
  const folders: CheckedFolder[] = [folderSummary(report, primary?.unexpected ?? [], shown, root)];
  for (const other of listed) {
    if (other === primary) continue;
    const dir = absolute(other.folder);
    const wanted = input.stages?.length ? input.stages.filter((s) => other.stages.includes(s)) : other.stages;
    // a folder without the stages asked for: listed, its services not checked against stages it lacks
    const sub = wanted.length ? await checkFolder(input, dir, wanted, cwd, env) : undefined;
    folders.push(folderSummary(sub ?? { secretsDir: shown(dir), stages: [] }, other.unexpected, shown, root));
  }
  return { ...report, folders, ok: folders.every((f) => f.ok) };
}

function folderSummary(
  report: Pick<ContractReport, 'secretsDir' | 'stages'> & Partial<ContractReport>,
  unexpected: UnexpectedFile[],
  shown: (file: string) => string,
  root: string | undefined,
): CheckedFolder {
  return {
    folder: report.secretsDir,
    stages: report.stages,
    services: (report.services ?? []).map((s) => s.name),
    missing: report.missing ?? [],
    unexpected: unexpected.map((u) => ({ ...u, file: shown(path.resolve(root ?? '.', u.file)) })),
    ok: report.ok ?? true,
  };
}

/** The check of one secrets folder (its stages, the services that use it). */
async function checkFolder(
  input: CheckInput,
  secretsDir: string,
  wanted: string[] | undefined,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<ContractReport> {
  const all = stagesIn(secretsDir) ?? [];
  const stages = [...new Set(wanted?.length ? wanted : all)].sort();
  const infos = new Map(
    all.concat(stages.filter((s) => !all.includes(s))).map((s) => [s, stageSecretInfos(s, secretsDir, cwd, env)]),
  );
  // names of the stages, and those git history knows: a name removed from every stage is still needed
  const known = new Set(
    [...infos.values()].flatMap((m) => [...m.keys()]).concat([...pastSecretNames(secretsDir, env)]),
  );
  const app = await appNeeds({ ...input, dir: secretsDir, cwd, env, known });

  const now = input.now ?? Date.now();
  const warnDays = input.warnDays ?? DEFAULT_WARN_DAYS;
  const names = new Set([...stages.flatMap((s) => [...infos.get(s)!.keys()]), ...app.needs.map((n) => n.name)]);
  const rows: ContractRow[] = [...names].sort().map((name) => {
    const references = stages.filter((s) => infos.get(s)!.get(name)?.ref === true);
    return {
      name,
      cells: Object.fromEntries(stages.map((s) => [s, cellOf(infos.get(s)!.get(name), now, warnDays)])),
      ...(references.length ? { references } : {}),
      neededBy: app.needs.filter((n) => n.name === name),
    };
  });
  const missing: MissingName[] = [];
  for (const row of rows) {
    if (row.neededBy.length === 0) continue;
    for (const stage of stages) {
      const cell = row.cells[stage];
      if (cell !== 'missing' && cell !== 'expired') continue;
      const required = row.neededBy.some((n) => n.required);
      missing.push({ name: row.name, stage, status: cell, required, neededBy: row.neededBy });
    }
  }
  const shown = shower(cwd);
  return {
    secretsDir: shown(secretsDir),
    stages,
    services: app.services.map((s) => ({
      name: s.name,
      config: shown(s.configFile),
      functions: s.functions.map((f) => f.name),
    })),
    rows,
    missing,
    withheld: app.withheld,
    unreadable: app.unreadable,
    folders: [],
    ok: !missing.some((m) => m.required),
  };
}
