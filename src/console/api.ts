/**
 * The console's HTTP API as the page (console-ui/) sees it: the answers' types, and the checks the page
 * runs before it sends (the same the server runs). The page imports this module only, so it never holds
 * a copy of a type that can drift; it must stay free of Node modules (the page is bundled for the browser).
 */
import type { ApprovalStatus, SecretInfo } from '../stages/list-types.js';

export type { ApprovalStatus, SecretInfo } from '../stages/list-types.js';
export type { SecretType } from '../core/values.js';
export { keyNameProblem } from '../core/names.js';
export { normalizeValue } from '../core/values.js';

export type CellState = ApprovalStatus | 'missing';

/** A place in the app's code or config that needs a secret name (what the contract check reports). */
export interface Need {
  /** e.g. "service api, function hello" */
  who: string;
  /** e.g. "src/hello.ts:12" */
  where?: string;
}

export interface StageColumn {
  stage: string;
  /** the identity whose key checked the approval tags (a key is at hand for this stage) */
  checkedWith?: string;
  /** a problem of the stage as a whole, with its fix (an unreadable file, a tag that does not verify) */
  problem?: string;
}

export interface MatrixRow {
  name: string;
  /** by stage name */
  cells: Record<string, CellState>;
  /** who needs the name (the contract check's scan); absent when the scan could not run */
  neededBy?: Need[];
}

/** Names x stages: what the app page shows. */
export interface AppMatrix {
  secretsDir: string;
  stages: StageColumn[];
  rows: MatrixRow[];
}

/** One secret on the stage page: what list shows, and who needs it. */
export type StageSecret = SecretInfo & { neededBy?: Need[] };

/** What the stage page shows: never a value. */
export interface StagePage {
  stage: string;
  secrets: StageSecret[];
  /** the identity whose key is at hand here: approving is possible, and says with whose key */
  checkedWith?: string;
  problem?: string;
  /** whether who-needs-what is known (the contract check); false: the delete confirmation says so */
  needsKnown: boolean;
}

/** What a change did to the stage's files, and how to commit it; the console never commits by itself. */
export interface FileChanges {
  /** changed, added or removed files, relative to the folder the console runs in, sorted */
  files: string[];
  /** other files of the stage git does not track yet (a clone would miss them): committed along, sorted */
  untracked: string[];
  /** files of the stage a .gitignore rule hides: left out of `git add` (it refuses them), named in a note */
  ignored: string[];
  /** the commands that commit them (empty outside a git repository) */
  git: string[];
  inGit: boolean;
}

/** What a write did: a summary, notes on approval, and the files to commit. */
export interface WriteOutcome {
  message: string;
  notes: string[];
  changes: FileChanges;
}
