import { z } from 'zod/v3';
import { StageSecretsError } from './errors.js';
import { conflictError, quickSecretEntry, secretEntrySchema, type SecretEntry } from './format.js';
import { findDuplicateKeyAt } from './json-duplicates.js';
import { firstConflictMarkerLine } from './conflict-markers.js';
import { KEY_NAME_PATTERN } from './names.js';

/**
 * One secret of a v3 stage: `secrets/<stage>/<NAME>.json`. The name is the file's name (the value's
 * associated data binds it, so a renamed file no longer opens). The sealed bytes and the approval tag are
 * those of a v2 line, unchanged: `upgrade` moves them between layouts byte for byte.
 */
export const ENTRY_SUFFIX = '.json';
const FINGERPRINT = /^[0-9a-f]{16}$/;
/** When a secret expires: a day (it expires at the start of that day, UTC) or a UTC time. */
export const EXPIRES = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z)?$/;
/** Who answers for a secret: printed in CI logs, so printable ASCII only (no line break, no escape). */
export const OWNER = /^[\x20-\x7e]+$/;
export const MAX_OWNER = 100;

export const entryFileSchema = secretEntrySchema.extend({
  sealedTo: z.string().regex(FINGERPRINT, 'sealedTo is not a 16-hex-digit key fingerprint'),
  // bound into the value's associated data (stages/sealing.ts): an edit of either makes the entry fail to open
  expires: z.string().regex(EXPIRES, 'expires is not a date (YYYY-MM-DD or an ISO-8601 UTC time)').optional(),
  owner: z.string().min(1).max(MAX_OWNER).regex(OWNER, 'owner holds characters other than printable ASCII').optional(),
  // a reference (its sealed plaintext is a target); bound into the value's associated data and approval tag
  ref: z.literal(true).optional(),
});

/** The file name of a secret's entry. */
export function entryFileName(name: string): string {
  return `${name}${ENTRY_SUFFIX}`;
}

/** The secret a file name of an entry folder stands for; undefined when the name is no `NAME.json`. */
export function nameOfEntryFile(fileName: string): string | undefined {
  if (!fileName.endsWith(ENTRY_SUFFIX)) return undefined;
  const name = fileName.slice(0, -ENTRY_SUFFIX.length);
  return KEY_NAME_PATTERN.test(name) ? name : undefined;
}

/**
 * Files an operating system leaves in any folder it shows: Finder's `.DS_Store` and AppleDouble `._*`
 * files, Explorer's `Thumbs.db`, `ehthumbs.db` and `desktop.ini`. Never an entry or a stage: readers skip
 * them (never opening them), and review lists them.
 */
export function isOsLitter(fileName: string): boolean {
  return (
    fileName === '.DS_Store' ||
    fileName.startsWith('._') ||
    ['thumbs.db', 'ehthumbs.db', 'desktop.ini'].includes(fileName.toLowerCase())
  );
}

/** Parses an entry file; errors name the file and the field, never a value. */
export function parseEntryFile(text: string, where: string, options: { worktreeFile?: boolean } = {}): SecretEntry {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    const marker = firstConflictMarkerLine(text);
    if (marker !== undefined) throw conflictError(where, marker, options.worktreeFile === true, 'entry');
    throw new StageSecretsError(
      'FORMAT',
      `${where} is not valid JSON; it may be truncated or hand-edited. Restore it from git (git checkout -- ${where}) or set the secret again.`,
    );
  }
  if (findDuplicateKeyAt(text)) {
    throw new StageSecretsError(
      'FORMAT',
      `${where} has a key twice in one object; a reviewer would see one and the tool would read the other. Restore the file from git.`,
    );
  }
  const quick = quickSecretEntry(raw, FINGERPRINT);
  if (quick) return quick;
  const result = entryFileSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
    const problem =
      issue.code === 'unrecognized_keys'
        ? 'unknown field'
        : issue.code === 'invalid_enum_value'
          ? `must be one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`
          : issue.message.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
    const shown = issue.code === 'unrecognized_keys' ? '(top level)' : /^[A-Za-z]+$/.test(field) ? field : '(a field)';
    throw new StageSecretsError(
      'FORMAT',
      `${where} is not a valid secret entry: at ${shown}: ${problem}. Restore it from git or set the secret again.`,
    );
  }
  return result.data;
}

/** Canonical text of an entry file: one field per line in a fixed order, trailing newline. */
export function serializeEntryFile(entry: SecretEntry & { sealedTo: string }): string {
  const fields: Array<[string, string | boolean]> = [
    ['type', entry.type],
    ...(entry.ref ? ([['ref', true]] as Array<[string, boolean]>) : []),
    ['updated', entry.updated],
    ...(entry.expires ? ([['expires', entry.expires]] as Array<[string, string]>) : []),
    ...(entry.owner ? ([['owner', entry.owner]] as Array<[string, string]>) : []),
    ['sealedTo', entry.sealedTo],
    ['epk', entry.epk],
    ['nonce', entry.nonce],
    ['ct', entry.ct],
    ['tag', entry.tag],
    ...(entry.approved ? ([['approved', entry.approved]] as Array<[string, string]>) : []),
  ];
  const lines = fields.map(
    ([key, value], i) => `  ${JSON.stringify(key)}: ${JSON.stringify(value)}${i < fields.length - 1 ? ',' : ''}`,
  );
  return ['{', ...lines, '}', ''].join('\n');
}
