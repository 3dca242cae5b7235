import * as path from 'node:path';
import { isOsLitter, nameOfEntryFile, parseEntryFile } from '../core/entry-file.js';
import { FORMAT_VERSION, type SecretEntry, type StageFile } from '../core/format.js';
import { claimedEpoch } from './approval-epoch.js';
import { printable } from '../git/past-stage-file.js';
import { git, repoRoot } from '../git/git.js';
import { identityDiff } from './identity-trust.js';
import { parseStageText } from './stage-text.js';

export type ChangeKind =
  | 'added'
  | 'changed'
  | 'removed'
  | 'approved'
  // a reference's target is sealed: without the key, only that it was added or changed (or a switch)
  | 'reference added'
  | 'reference changed'
  | 'became a reference'
  | 'became a value';

export interface NameChange {
  name: string;
  change: ChangeKind;
  /**
   * added with the approval tag the name carried before it was removed: short hash of the earliest commit
   * with that tag. A replay from history, unless a key holder set the name again in the same epoch.
   */
  replayedTagFrom?: string;
}

export interface StageCommit {
  /** short hash */
  commit: string;
  author: string;
  /** author date, ISO 8601 as git gives it */
  date: string;
  changes: NameChange[];
  /** app, stage, public key, identities, policy or approval epoch changed */
  header: boolean;
  /** identity records added, removed or changed against the first parent, each with who it wraps to */
  identities?: string[];
  /** the approval epoch went down (a header rolled back: approvals of the older epoch verify again) */
  epochLowered?: { from: number; to: number };
  /** the stage file at this commit does not parse (hand edit, conflict markers) */
  unreadable?: boolean;
}

const sealed = (e: SecretEntry) => JSON.stringify([e.type, e.updated, e.epk, e.nonce, e.ct, e.tag]);
const header = (f: StageFile) =>
  JSON.stringify([
    f.app,
    f.stage,
    f.publicKey,
    f.identities,
    f.policy ?? null,
    f.approvalEpoch ?? null,
    f.allowedRefs ?? null,
  ]);

/** A changed entry: a value, or a reference (its target sealed: only that it changed), or a switch. */
function changeOf(x: SecretEntry, y: SecretEntry): ChangeKind {
  if (x.ref === true && y.ref === true) return 'reference changed';
  if (y.ref === true) return 'became a reference';
  if (x.ref === true) return 'became a value';
  return 'changed';
}

/** What changed from one version of a stage file to the next, by name (sorted); `before` undefined: the file is new. */
export function stageChanges(
  before: StageFile | undefined,
  after: StageFile | undefined,
): { changes: NameChange[]; header: boolean } {
  const a = before?.secrets ?? {};
  const b = after?.secrets ?? {};
  const changes: NameChange[] = [];
  for (const name of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = Object.hasOwn(a, name) ? a[name] : undefined;
    const y = Object.hasOwn(b, name) ? b[name] : undefined;
    if (!x && y) changes.push({ name, change: y.ref === true ? 'reference added' : 'added' });
    else if (x && !y) changes.push({ name, change: 'removed' });
    else if (x && y) {
      if (sealed(x) !== sealed(y)) changes.push({ name, change: changeOf(x, y) });
      if (y.approved && y.approved !== x.approved) changes.push({ name, change: 'approved' });
    }
  }
  const headerChanged = before !== undefined && after !== undefined && header(before) !== header(after);
  return { changes, header: headerChanged };
}

/**
 * The git history of one stage file, newest first: each commit that changed it, with who, when and what
 * by name. A merge commit lists only what differs from every parent (what the merge itself decided).
 */
export function stageHistory(file: string, cwd: string, env: NodeJS.ProcessEnv, name?: string): StageCommit[] {
  const root = repoRoot(cwd, env);
  const rel = path.relative(root, path.resolve(cwd, file)).split(path.sep).join('/');
  // a v3 stage is its header and the entry files of its folder: plain git log of both
  const folder = rel.replace(/\.json$/, '/');
  const out = git(['log', '--format=%H%x1f%h%x1f%P%x1f%an%x1f%aI', '--', rel, folder], root, env) ?? '';
  const versions = new Map<string, StageFile | undefined | 'unreadable'>();
  const blobs = new Map<string, SecretEntry | 'unreadable'>();
  const entryAt = (hash: string, where: string): SecretEntry | 'unreadable' => {
    if (!blobs.has(hash)) {
      const text = git(['cat-file', 'blob', hash], root, env, true);
      let entry: SecretEntry | 'unreadable';
      try {
        entry = text === undefined ? 'unreadable' : parseEntryFile(text, where);
      } catch {
        entry = 'unreadable';
      }
      blobs.set(hash, entry);
    }
    return blobs.get(hash)!;
  };
  const at = (rev: string): StageFile | undefined | 'unreadable' => {
    if (!versions.has(rev)) {
      const text = git(['show', `${rev}:${rel}`], root, env, true);
      let parsed: StageFile | undefined | 'unreadable';
      try {
        parsed = text === undefined ? undefined : parseStageText(text, rel);
      } catch {
        parsed = 'unreadable';
      }
      if (parsed !== undefined && parsed !== 'unreadable' && parsed.version === FORMAT_VERSION) {
        parsed = withEntriesAt(parsed, rev);
      }
      versions.set(rev, parsed);
    }
    return versions.get(rev);
  };
  const withEntriesAt = (header: StageFile, rev: string): StageFile | 'unreadable' => {
    const listing = git(['ls-tree', '-z', rev, '--', folder], root, env, true) ?? '';
    const secrets: StageFile['secrets'] = {};
    for (const item of listing.split('\0').filter(Boolean)) {
      const [meta, itemPath] = item.split('\t') as [string, string];
      const [, type, hash] = meta.split(' ') as [string, string, string];
      if (isOsLitter(path.posix.basename(itemPath))) continue;
      const secret = nameOfEntryFile(path.posix.basename(itemPath));
      if (type !== 'blob' || secret === undefined) return 'unreadable';
      const entry = entryAt(hash, itemPath);
      if (entry === 'unreadable') return 'unreadable';
      secrets[secret] = entry;
    }
    return { ...header, secrets };
  };
  type LogLine = [hash: string, short: string, parents: string, author: string, date: string];
  const lines = out
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\x1f') as LogLine);
  const firstTagged = earliestTags(lines.map(([hash, short]) => ({ short, file: at(hash) })).reverse());
  const commits: StageCommit[] = [];
  for (const [hash, short, parents, author, date] of lines) {
    const now = at(hash);
    const base = { commit: short, author: printable(author), date };
    if (now === 'unreadable') {
      commits.push({ ...base, changes: [], header: false, unreadable: true });
      continue;
    }
    const parentList = parents.split(' ').filter(Boolean);
    const diffs = (parentList.length ? parentList : [undefined]).map((p) => {
      const before = p === undefined ? undefined : at(p);
      return stageChanges(before === 'unreadable' ? undefined : before, now);
    });
    const key = (c: NameChange) => `${c.name}\0${c.change}`;
    let changes = diffs[0]!.changes.filter((c) => diffs.every((d) => d.changes.some((o) => key(o) === key(c))));
    changes = changes.map((c) => withReplayedTag(c, now, short, firstTagged));
    const headerChanged = diffs.every((d) => d.header);
    if (name !== undefined) changes = changes.filter((c) => c.name === name);
    if (changes.length === 0 && (name !== undefined || !headerChanged)) continue;
    const lowered = name === undefined ? epochLowered(parentList.map(at), now) : undefined;
    const header = name === undefined && headerChanged;
    const first = parentList.length ? at(parentList[0]!) : undefined;
    const identities = header && now && first !== 'unreadable' ? identityDiff(first, now) : [];
    commits.push({
      ...base,
      changes,
      header,
      ...(identities.length ? { identities } : {}),
      ...(lowered ? { epochLowered: lowered } : {}),
    });
  }
  return commits;
}

type Version = StageFile | undefined | 'unreadable';

/** For each name and approval tag, the first commit (oldest first) whose version carries it. */
type FirstTagged = Map<string, { commit: string }>;

function earliestTags(oldestFirst: Array<{ short: string; file: Version }>): FirstTagged {
  const first: FirstTagged = new Map();
  for (const { short, file } of oldestFirst) {
    if (file === undefined || file === 'unreadable') continue;
    for (const [name, entry] of Object.entries(file.secrets)) {
      const key = `${name}\0${entry.approved}`;
      if (entry.approved !== undefined && !first.has(key)) first.set(key, { commit: short });
    }
  }
  return first;
}

/** An added name whose tag an earlier commit already carried came back from history (see NameChange). */
function withReplayedTag(
  change: NameChange,
  now: StageFile | undefined,
  short: string,
  first: FirstTagged,
): NameChange {
  if (change.change !== 'added' && change.change !== 'reference added') return change;
  const tag = now?.secrets[change.name]?.approved;
  const earliest = tag === undefined ? undefined : first.get(`${change.name}\0${tag}`);
  return earliest && earliest.commit !== short ? { ...change, replayedTagFrom: earliest.commit } : change;
}

/** The approval epoch went down from the highest of the parents' (a header rolled back). */
function epochLowered(parents: Version[], now: StageFile | undefined): { from: number; to: number } | undefined {
  if (now === undefined) return undefined;
  const epochs = parents.filter((p): p is StageFile => p !== undefined && p !== 'unreadable').map(claimedEpoch);
  const from = Math.max(...epochs);
  const to = claimedEpoch(now);
  return epochs.length > 0 && to < from ? { from, to } : undefined;
}
