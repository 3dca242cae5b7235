import * as path from 'node:path';
import { isStageSecretsError, StageSecretsError } from '../core/errors.js';
import type { IdentityRecord, SecretEntry, StageFile } from '../core/format.js';
import { NOT_SHOWN } from '../core/names.js';
import type { StageStore } from '../store/stage-store.js';
import { claimedEpoch } from './approval-epoch.js';
import { git, repoRoot } from '../git/git.js';
import { findSecretsDir, stagesIn } from './locate.js';
import { entriesSealedToOtherKey } from './open-file.js';
import {
  secretsFoldersAt,
  secretsFoldersInWorkTree,
  type SecretsFolder,
  type UnexpectedFile,
} from '../git/secrets-folders.js';
import { isUnreadable, StageRevisions, type StageAtRevision } from './stage-at-revision.js';
import { keylessTrustText, visiblyUnconfirmed, whoText } from './identity-trust.js';
import { keyFingerprint } from './view.js';
import { stageStoreAt } from './stage-text.js';

/**
 * A change to what decides who can read a stage or which names the build takes. Only a key holder can
 * make a genuine one; a writer can forge any of them (a public key of their own, a copied tag), so each
 * needs a key holder's eye before the merge.
 */
export interface HeaderChange {
  field: 'stage' | 'app' | 'publicKey' | 'identities' | 'policy' | 'approvalEpoch' | 'allowedRefs';
  /** one line in words, e.g. "public key 0123abcd... -> 4567ef01...: a rotate, or a key a writer made" */
  text: string;
}

export interface StageReview {
  stage: string;
  /** the secrets folder from the repository root ('' for the root itself) */
  folder: string;
  /** the header's path from the repository root */
  file: string;
  /** the stage file is new in the change, gone, or there on both sides */
  presence: 'added' | 'removed' | 'both';
  added: string[];
  /** sealed value or type changed */
  replaced: string[];
  /**
   * references the change adds or changes (the target is sealed: without the key, only that it changed), or
   * entries that became a reference or a value; present only when there is one. A key holder approves each again.
   */
  references?: Array<{
    name: string;
    change: 'reference added' | 'reference changed' | 'became a reference' | 'became a value';
  }>;
  removed: string[];
  /** an approval tag appeared on a name that had none (not checked: no key here) */
  approved: string[];
  /** a name kept its entry but lost its tag (approve --revoke, or an edit) */
  revoked: string[];
  /** names without an approval tag after the change: the build refuses them */
  pending: string[];
  /** entries sealed to another key than the header's: the build refuses them */
  sealedToOtherKey: string[];
  /** identity records after the change that no key holder confirmed (no tag; a tag is not checked here) */
  unconfirmedIdentities?: string[];
  header: HeaderChange[];
  /** the stage's format version went up (upgrade): values and tags kept, nothing to review */
  upgraded?: { from: number; to: number };
  /** a side that could not be read, and why (the report still lists the other stages) */
  unreadable?: { side: 'base' | 'change'; reason: string };
  /**
   * A stage of a folder the change adds, whose public key is that of a stage file at the base: the file it
   * copies, and the names whose sealed entries differ from it (added, removed, or another value).
   */
  copyOf?: { file: string; differs: string[] };
}

/** A secrets folder: there on both sides, or added or removed by the change, and the files it should not hold. */
export interface FolderReview {
  /** from the repository root, `/`-separated ('' for the root) */
  folder: string;
  presence: 'added' | 'removed' | 'both';
  /** on the changed side: files that are no header or entry (`new`: not at the base) */
  unexpected: Array<UnexpectedFile & { new: boolean }>;
}

export interface Review {
  /** the base as given, and the commit it named */
  base: string;
  baseCommit: string;
  /** the secrets folder found from the working folder (or --dir), from the repository root ('.' for the root) */
  folder: string;
  /** every secrets folder of the repository on either side: the plugin or run could open each */
  folders: FolderReview[];
  /** the stages of every folder, the found folder's first */
  stages: StageReview[];
}

export interface ReviewOptions {
  base: string;
  /** only this stage (default: every stage of the folder on either side) */
  stage?: string;
  dir?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Whether a stage review has anything to show. */
export function hasChanges(r: StageReview): boolean {
  return (
    r.presence !== 'both' ||
    [r.added, r.replaced, r.removed, r.approved, r.revoked, r.header].some((list) => list.length > 0) ||
    r.upgraded !== undefined ||
    r.unreadable !== undefined
  );
}

/**
 * What a change (the work tree) does to the stages of the secrets folder against `base`, keylessly:
 * names added, replaced, removed, approved or revoked, names pending, entries sealed to an old key, and
 * every header change. Nothing here needs or reads a key; approval tags are reported, not verified.
 */
export function reviewStages(options: ReviewOptions): Review {
  const env = options.env ?? process.env;
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const found = findSecretsDir({ stage: options.stage ?? 'review', dir: options.dir, cwd, env });
  const dir = 'dir' in found ? found.dir : path.join(cwd, 'secrets');
  const root = repoRoot(cwd, env);
  const relative = path.relative(root, dir);
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new StageSecretsError('USAGE', `the secrets folder ${dir} is outside the git repository ${root}.`);
  }
  const primary = relative.split(path.sep).join('/');
  const baseCommit = resolveBase(options.base, root, env);
  const explicit = 'dir' in found && found.how === 'explicit' ? [primary] : [];
  const before = byFolder(secretsFoldersAt(root, baseCommit, env, explicit));
  const listed = secretsFoldersInWorkTree(root, env, explicit);
  if (!listed) throw new StageSecretsError('IO', `git cannot list the files of ${root}; review needs a git work tree.`);
  const after = byFolder(listed);
  const order = [...new Set([primary, ...[...before.keys(), ...after.keys()].sort()])];
  const folders: FolderReview[] = [];
  const stages: StageReview[] = [];
  for (const folder of order) {
    const [was, now] = [before.get(folder), after.get(folder)];
    if (folder !== primary && !was && !now) continue;
    const presence = !was && now ? 'added' : was && !now ? 'removed' : 'both';
    const baseFiles = new Set(was?.unexpected.map((u) => u.file) ?? []);
    const unexpected = (now?.unexpected ?? []).map((u) => ({ ...u, new: !baseFiles.has(u.file) }));
    folders.push({ folder, presence, unexpected });
    const revisions = new StageRevisions(root, folder, env);
    const store = stageStoreAt({ dir: path.join(root, folder), cwd });
    // the found folder's stages as the file system has them too (a secrets/ that .gitignore hides)
    const onDisk = folder === primary ? (stagesIn(dir) ?? []) : [];
    const names = options.stage
      ? [options.stage]
      : [...new Set([...(was?.stages ?? []), ...(now?.stages ?? []), ...onDisk])].sort();
    for (const stage of names) {
      const file = folder === '' ? `${stage}.json` : `${folder}/${stage}.json`;
      const review = reviewStage(stage, file, revisions.at(baseCommit, stage), readWorkTree(store, stage), folder);
      if (presence === 'added') review.copyOf = copyAtBase(review, before, root, baseCommit, env, store);
      stages.push(review);
    }
  }
  return { base: options.base, baseCommit, folder: primary || '.', folders, stages };
}

function byFolder(list: SecretsFolder[]): Map<string, SecretsFolder> {
  return new Map(list.map((f) => [f.folder, f]));
}

/** The stage file at the base whose public key a stage of an added folder has, and the names that differ. */
function copyAtBase(
  review: StageReview,
  before: Map<string, SecretsFolder>,
  root: string,
  baseCommit: string,
  env: NodeJS.ProcessEnv,
  store: StageStore,
): StageReview['copyOf'] {
  const now = readWorkTree(store, review.stage);
  if (!now || isUnreadable(now)) return undefined;
  for (const folder of before.values()) {
    const revisions = new StageRevisions(root, folder.folder, env);
    for (const stage of folder.stages) {
      const base = revisions.at(baseCommit, stage);
      if (!base || isUnreadable(base) || base.publicKey !== now.publicKey) continue;
      const names = [...new Set([...Object.keys(base.secrets), ...Object.keys(now.secrets)])].sort();
      const differs = names.filter((n) => {
        const [x, y] = [Object.hasOwn(base.secrets, n) ? base.secrets[n] : undefined, now.secrets[n]];
        return !x || !Object.hasOwn(now.secrets, n) || !y || sealed(x) !== sealed(y);
      });
      return { file: folder.folder === '' ? `${stage}.json` : `${folder.folder}/${stage}.json`, differs };
    }
  }
  return undefined;
}

/** What a branch, tag, commit or `HEAD~2` looks like: anything else given as --base is never echoed. */
const GIT_REF_LIKE = /^[A-Za-z0-9][A-Za-z0-9._/~^-]{0,199}$/;

function resolveBase(base: string, root: string, env: NodeJS.ProcessEnv): string {
  const commit = base.startsWith('-')
    ? undefined
    : git(['rev-parse', '--verify', '--quiet', `${base}^{commit}`], root, env, true);
  if (!commit?.trim()) {
    throw new StageSecretsError(
      'USAGE',
      `--base ${GIT_REF_LIKE.test(base) ? JSON.stringify(base) : NOT_SHOWN} is no commit of this repository. In a pull request's CI, fetch the ` +
        'base branch first (git fetch origin main, or actions/checkout with fetch-depth: 0) and pass --base origin/main.',
    );
  }
  return commit.trim();
}

function readWorkTree(store: StageStore, stage: string): StageAtRevision {
  try {
    return store.read(stage);
  } catch (err) {
    if (isStageSecretsError(err) && err.code === 'NOT_FOUND') return undefined;
    if (isStageSecretsError(err)) return { unreadable: err.message };
    throw err;
  }
}

/** Identity ids as a list of names may show them (a writer chose them): kind, key, ARN and region characters only. */
const SHOWN_ID = /^[A-Za-z0-9][A-Za-z0-9:@._/+=-]{0,300}$/;

const sealed = (e: SecretEntry) => JSON.stringify([e.type, e.epk, e.nonce, e.ct, e.tag]);

/** The review of one stage from its two versions. */
export function reviewStage(
  stage: string,
  file: string,
  before: StageAtRevision,
  after: StageAtRevision,
  folder = path.posix.dirname(file) === '.' ? '' : path.posix.dirname(file),
): StageReview {
  const review: StageReview = {
    stage,
    folder,
    file,
    presence: before === undefined ? 'added' : after === undefined ? 'removed' : 'both',
    added: [],
    replaced: [],
    removed: [],
    approved: [],
    revoked: [],
    pending: [],
    sealedToOtherKey: [],
    header: [],
  };
  if (isUnreadable(after)) return { ...review, unreadable: { side: 'change', reason: after.unreadable } };
  if (isUnreadable(before)) return { ...review, unreadable: { side: 'base', reason: before.unreadable } };
  const a = before?.secrets ?? {};
  const b = after?.secrets ?? {};
  for (const name of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = Object.hasOwn(a, name) ? a[name] : undefined;
    const y = Object.hasOwn(b, name) ? b[name] : undefined;
    const refChange = referenceChange(x, y);
    if (refChange) (review.references ??= []).push({ name, change: refChange });
    if (!x && y) review.added.push(name);
    else if (x && !y) review.removed.push(name);
    else if (x && y) {
      if (sealed(x) !== sealed(y)) review.replaced.push(name);
      if (!x.approved && y.approved) review.approved.push(name);
      if (x.approved && !y.approved) review.revoked.push(name);
    }
  }
  if (after) {
    review.pending = Object.keys(b)
      .filter((name) => !b[name]!.approved)
      .sort();
    review.sealedToOtherKey = entriesSealedToOtherKey(after).sort();
    const unconfirmed = after.identities
      .map((r, i) => (SHOWN_ID.test(r.id) ? r.id : `identity ${i + 1} (an id review does not print)`))
      .filter((_id, i) => visiblyUnconfirmed(after.identities[i]!));
    if (unconfirmed.length) review.unconfirmedIdentities = unconfirmed;
  }
  review.header = headerChanges(before, after);
  if (before && after && after.version > before.version) {
    review.upgraded = { from: before.version, to: after.version };
  }
  return review;
}

function headerChanges(before: StageFile | undefined, after: StageFile | undefined): HeaderChange[] {
  if (!before && after) {
    return [
      {
        field: 'publicKey',
        text:
          `new stage, sealed to key ${keyFingerprint(after.publicKey)} with identities ` +
          `${after.identities.map(identityText).join(', ')}: make sure the key is one your team made`,
      },
    ];
  }
  if (!before || !after) return [];
  const changes: HeaderChange[] = [];
  if (before.stage !== after.stage) {
    changes.push({ field: 'stage', text: `stage name in the file ${before.stage} -> ${after.stage}` });
  }
  if (before.app !== after.app) {
    changes.push({ field: 'app', text: `app ${JSON.stringify(before.app)} -> ${JSON.stringify(after.app)}` });
  }
  if (before.publicKey !== after.publicKey) {
    changes.push({
      field: 'publicKey',
      text:
        `public key ${keyFingerprint(before.publicKey)} -> ${keyFingerprint(after.publicKey)}: a rotate by a key ` +
        'holder, or a key a writer made to read what is set from now on',
    });
  }
  const ids = (f: StageFile) => new Map(f.identities.map((r) => [`${r.type}\0${r.id}`, r]));
  const [was, now] = [ids(before), ids(after)];
  for (const [key, record] of now) {
    if (!was.has(key)) changes.push({ field: 'identities', text: `identity added: ${identityText(record)}` });
    // a new public key wraps every identity anew: the public-key line above says it
    // only a key holder's tag changed (approve --revoke tags confirmed records again): nothing to review
    else if (before.publicKey === after.publicKey && withoutTag(was.get(key)!) !== withoutTag(record)) {
      const [old, now] = [whoText(was.get(key)!), whoText(record)];
      const swapped = old === now ? '' : ` (was ${old}: WHO IT WRAPS TO CHANGED under the same id)`;
      changes.push({ field: 'identities', text: `identity rewrapped: ${identityText(record)}${swapped}` });
    }
  }
  for (const [key, record] of was) {
    if (!now.has(key)) changes.push({ field: 'identities', text: `identity removed: ${identityText(record)}` });
  }
  const policy = (f: StageFile) => (f.policy ? `open (tag ${f.policy.tag.slice(0, 8)})` : 'names need approval');
  if (policy(before) !== policy(after)) {
    changes.push({ field: 'policy', text: `policy ${policy(before)} -> ${policy(after)}` });
  }
  const allowed = (f: StageFile) =>
    f.allowedRefs ? `limited to ${f.allowedRefs.prefixes.join(', ')} (tag not checked without the key)` : 'any target';
  if (allowed(before) !== allowed(after)) {
    changes.push({ field: 'allowedRefs', text: `reference targets ${allowed(before)} -> ${allowed(after)}` });
  }
  const [from, to] = [claimedEpoch(before), claimedEpoch(after)];
  if (JSON.stringify(before.approvalEpoch ?? null) !== JSON.stringify(after.approvalEpoch ?? null)) {
    const lowered = to < from ? ': LOWERED, so approvals an earlier revoke withdrew would verify again' : '';
    changes.push({ field: 'approvalEpoch', text: `approval epoch ${from} -> ${to}${lowered}` });
  }
  return changes;
}

/** What a change did to a reference, without the key: the target is sealed, so only that it changed. */
function referenceChange(
  x: SecretEntry | undefined,
  y: SecretEntry | undefined,
): NonNullable<StageReview['references']>[number]['change'] | undefined {
  if (y?.ref !== true) return x?.ref === true && y ? 'became a value' : undefined;
  if (!x) return 'reference added';
  if (x.ref !== true) return 'became a reference';
  return sealed(x) !== sealed(y) ? 'reference changed' : undefined;
}

function withoutTag(record: IdentityRecord): string {
  const { auth: _tag, ...rest } = record;
  return JSON.stringify(rest);
}

function identityText(record: IdentityRecord): string {
  return `${record.type} ${record.id} (${whoText(record)}; ${keylessTrustText(record)})`;
}
