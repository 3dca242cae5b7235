import { isStageSecretsError } from '../core/errors.js';
import { serializeStageFile, type SecretEntry, type StageFile } from '../core/format.js';
import { parseStageText } from './stage-text.js';

/**
 * Three-way merge of stage files, entry by entry, for git's merge driver. Needs no key: it only moves
 * sealed entries around, and writes the result in the canonical text (serializeStageFile), so a clean
 * merge is byte for byte the file that applying both sides' set/rm/approve in turn would have given.
 *
 * Each secret is merged in two parts, each three-way: its sealed value (type, updated, epk, nonce, ct,
 * tag) and its approval tag. A tag depends on the name only, so one side approving a name while the other
 * replaces its value merges into the new value, approved, as the two commands would give in either order.
 *
 * The header (app, stage, publicKey, identities, policy, approval epoch) is merged as one part. A tag made
 * on one side under an approval epoch the other side raised (approve --revoke) merges as written and then
 * does not verify: that name is pending, which fails closed. When one side changed the
 * sealing context (app, stage or public key: rotate), entries the other side changed were sealed and
 * approved under the old context and cannot be combined with it: a header conflict, naming those secrets.
 */

export interface MergeConflicts {
  /** both sides changed the header differently, or one replaced the public key while the other changed secrets */
  header: boolean;
  /** secrets both sides changed differently (or changed under a sealing context the other side replaced), sorted */
  names: string[];
}

export interface MergeResult {
  /** clean merge, or: the clean part merged with our side kept where the sides conflict */
  file: StageFile;
  conflicts: MergeConflicts;
  clean: boolean;
}

type Header = Omit<StageFile, 'secrets' | 'version'>;

function headerOf(file: StageFile): Header {
  const { secrets: _secrets, version: _version, ...header } = file;
  return header;
}

/** Canonical form of a part for comparing: serializeStageFile's own field order. */
function headerKey(file: StageFile): string {
  return serializeStageFile({ ...file, secrets: {} });
}

function sealedKey(entry: SecretEntry | undefined): string | undefined {
  if (!entry) return undefined;
  return JSON.stringify([entry.type, entry.updated, entry.epk, entry.nonce, entry.ct, entry.tag]);
}

function contextKey(file: StageFile): string {
  return JSON.stringify([file.app, file.stage, file.publicKey]);
}

/** Classic three-way choice of one part; `conflict` when both sides changed it differently. */
function pick<T>(base: T, ours: T, theirs: T, same: (a: T, b: T) => boolean): { value: T; conflict: boolean } {
  if (same(ours, theirs)) return { value: ours, conflict: false };
  if (same(base, ours)) return { value: theirs, conflict: false };
  if (same(base, theirs)) return { value: ours, conflict: false };
  return { value: ours, conflict: true };
}

function entryOf(file: StageFile, name: string): SecretEntry | undefined {
  return Object.hasOwn(file.secrets, name) ? file.secrets[name] : undefined;
}

function mergeEntry(
  base: SecretEntry | undefined,
  ours: SecretEntry | undefined,
  theirs: SecretEntry | undefined,
): { entry: SecretEntry | undefined; conflict: boolean } {
  // presence and sealed value together: a removal against a change of the same entry is a conflict
  const sealed = pick(base, ours, theirs, (a, b) => sealedKey(a) === sealedKey(b));
  if (sealed.conflict) return { entry: ours, conflict: true };
  const chosen = sealed.value;
  if (!chosen) {
    // removed on one side: a pure approval of it on the other side conflicts with the removal
    const other = ours ? ours : theirs;
    const conflict = other !== undefined && other.approved !== base?.approved;
    return { entry: conflict ? ours : undefined, conflict };
  }
  const approved = pick(base?.approved, ours?.approved, theirs?.approved, (a, b) => a === b);
  if (approved.conflict) return { entry: ours, conflict: true };
  const { approved: _approved, ...rest } = chosen;
  return { entry: { ...rest, ...(approved.value ? { approved: approved.value } : {}) }, conflict: false };
}

export function mergeStageFiles(base: StageFile, ours: StageFile, theirs: StageFile): MergeResult {
  const header = pick(base, ours, theirs, (a, b) => headerKey(a) === headerKey(b));
  const oursContext = contextKey(ours) !== contextKey(base);
  const theirsContext = contextKey(theirs) !== contextKey(base);
  const names = new Set([...Object.keys(base.secrets), ...Object.keys(ours.secrets), ...Object.keys(theirs.secrets)]);
  const secrets: Record<string, SecretEntry> = {};
  const conflicted: string[] = [];
  let contextConflict = false;
  for (const name of [...names].sort()) {
    const b = entryOf(base, name);
    const o = entryOf(ours, name);
    const t = entryOf(theirs, name);
    let { entry, conflict } = mergeEntry(b, o, t);
    if (!conflict && !header.conflict) {
      // an entry changed on one side under a sealing context the other side replaced cannot be used
      const oursChanged = JSON.stringify(o) !== JSON.stringify(b);
      const theirsChanged = JSON.stringify(t) !== JSON.stringify(b);
      if ((oursContext && theirsChanged && !oursChanged) || (theirsContext && oursChanged && !theirsChanged)) {
        conflict = true;
        contextConflict = true;
        entry = o;
      }
    }
    if (conflict) conflicted.push(name);
    if (entry) secrets[name] = entry;
  }
  if (header.conflict || contextConflict) {
    // entries of two different headers (or sealed to two keys) cannot be combined: keep our side whole
    return { file: ours, conflicts: { header: true, names: conflicted }, clean: false };
  }
  const file: StageFile = { version: ours.version, ...headerOf(header.value), secrets };
  return { file, conflicts: { header: false, names: conflicted }, clean: conflicted.length === 0 };
}

export type MergeTextResult =
  | { kind: 'merged'; text: string }
  | { kind: 'conflict'; text: string; conflicts: MergeConflicts }
  | { kind: 'unreadable'; problems: string[] };

/**
 * Merges the three texts git hands the driver. `where` names the file in messages (git's %P).
 * A side that does not parse is reported, never thrown. A clean result is canonical text; a conflict's
 * text is the clean part merged with our side kept where the sides conflict (our file whole on a header
 * conflict), so the file stays a valid stage file while git marks it conflicted.
 */
export function mergeStageTexts(base: string, ours: string, theirs: string, where: string): MergeTextResult {
  const problems: string[] = [];
  const read = (text: string, side: string): StageFile | undefined => {
    try {
      return parseStageText(text, `${where} (${side})`);
    } catch (err) {
      problems.push(isStageSecretsError(err) ? err.message : `${where} (${side}) could not be read`);
      return undefined;
    }
  };
  // a file added on both sides has an empty base: merge against an empty stage of our header
  const o = read(ours, 'ours');
  const t = read(theirs, 'theirs');
  const emptyBase = base.trim() === '';
  const b = emptyBase ? (o ? { ...o, secrets: {} } : undefined) : read(base, 'base');
  if (!b || !o || !t) return { kind: 'unreadable', problems };
  if (emptyBase && headerKey(o) !== headerKey(t)) {
    // the stage created on both sides, with different keys: nothing in common to merge against
    return { kind: 'conflict', text: serializeStageFile(o), conflicts: { header: true, names: [] } };
  }
  const result = mergeStageFiles(b, o, t);
  const text = serializeStageFile(result.file);
  return result.clean ? { kind: 'merged', text } : { kind: 'conflict', text, conflicts: result.conflicts };
}
