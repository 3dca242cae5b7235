// zod's v3 API (shipped in the zod package): it loads 10 modules where the v4 entry loads 95 (every
// locale), which is about 50 ms of start-up on every command, `run` included.
import { z } from 'zod/v3';
import { StageSecretsError } from './errors.js';
import { KEY_NAME_PATTERN, STAGE_NAME_PATTERN } from './names.js';
import { SECRET_TYPES } from './values.js';
import { findDuplicateKey } from './json-duplicates.js';

export const FORMAT_VERSION = 1;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const EPK_CHARS = 44;
const NONCE_CHARS = 16;
const TAG_CHARS = 24;
const MAX_CT_CHARS = 60_000;

const base64 = z.string().regex(BASE64, 'not base64');
const isoDate = z.string().regex(ISO_DATE, 'not an ISO-8601 UTC time');

export const secretEntrySchema = z.strictObject({
  type: z.enum(SECRET_TYPES),
  updated: isoDate,
  epk: base64.length(EPK_CHARS, 'ephemeral key is not 32 bytes'),
  nonce: base64.length(NONCE_CHARS, 'nonce is not 12 bytes'),
  ct: base64.max(MAX_CT_CHARS, 'ciphertext longer than any allowed value'),
  tag: base64.length(TAG_CHARS, 'tag is not 16 bytes'),
});

const ENTRY_FIELDS = 6;

const BASE64_CHAR = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64_CHAR[c.charCodeAt(0)] = 1;
const PAD = 0x3d; // '='

/** Same answer as BASE64.test within the length bounds, as a loop over char codes (no regex engine). */
function isBase64(value: unknown, minChars: number, maxChars: number): boolean {
  if (typeof value !== 'string' || value.length < minChars || value.length > maxChars || value.length % 4 !== 0) return false;
  let end = value.length;
  if (end > 0 && value.charCodeAt(end - 1) === PAD) end -= value.charCodeAt(end - 2) === PAD ? 2 : 1;
  for (let i = 0; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || BASE64_CHAR[c] === 0) return false;
  }
  return true;
}

/**
 * The checks of secretEntrySchema, written out by hand: zod takes about 12 µs per entry, which is
 * 12 ms of every `run` over 1,000 secrets. Only ever says yes to entries the schema accepts (a test
 * holds it to that); on any no, the caller runs the schema for its message.
 */
export function isWellFormedEntry(value: unknown): value is SecretEntry {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const e = value as Record<string, unknown>;
  let fields = 0;
  for (const key in e) {
    if (key !== 'type' && key !== 'updated' && key !== 'epk' && key !== 'nonce' && key !== 'ct' && key !== 'tag') return false;
    fields++;
  }
  return (
    fields === ENTRY_FIELDS &&
    (SECRET_TYPES as readonly unknown[]).includes(e.type) &&
    typeof e.updated === 'string' &&
    ISO_DATE.test(e.updated) &&
    isBase64(e.epk, EPK_CHARS, EPK_CHARS) &&
    isBase64(e.nonce, NONCE_CHARS, NONCE_CHARS) &&
    isBase64(e.ct, 0, MAX_CT_CHARS) &&
    isBase64(e.tag, TAG_CHARS, TAG_CHARS)
  );
}

/** The stage file when every secret entry passes isWellFormedEntry; the rest still goes through zod. */
function quickParse(raw: unknown): StageFile | undefined {
  if (raw === null || typeof raw !== 'object' || !('secrets' in raw)) return undefined;
  const secrets = (raw as { secrets: unknown }).secrets;
  if (secrets === null || typeof secrets !== 'object' || Array.isArray(secrets)) return undefined;
  for (const name in secrets) {
    if (!Object.hasOwn(secrets, name) || !KEY_NAME_PATTERN.test(name) || !isWellFormedEntry((secrets as Record<string, unknown>)[name])) return undefined;
  }
  const header = stageFileSchema.safeParse({ ...raw, secrets: {} });
  return header.success ? { ...header.data, secrets: secrets as Record<string, SecretEntry> } : undefined;
}

// Identity fields and the app name are printed in messages and CI logs: a hostile edit must not smuggle
// line breaks or terminal escapes (e.g. CI workflow commands) into them.
const printableAscii = /^[\x20-\x7e]*$/;
const appName = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+$/u;

/** Identity records carry provider-specific string fields; each provider checks its own. */
export const identityRecordSchema = z
  .object({
    type: z.enum(['local', 'aws-kms']),
    id: z.string().min(1).max(2048).regex(/^[\x21-\x7e]+$/, 'identity id must be printable ASCII without spaces'),
    created: isoDate,
  })
  .catchall(z.string().max(65_536).regex(printableAscii, 'identity fields must be printable ASCII'));

export const stageFileSchema = z.strictObject({
  version: z.literal(FORMAT_VERSION),
  app: z.string().min(1).max(128).regex(appName, 'app name has control characters'),
  stage: z.string().regex(STAGE_NAME_PATTERN, 'invalid stage name'),
  publicKey: base64.length(44, 'public key is not 32 bytes'),
  identities: z.array(identityRecordSchema).min(1, 'no identity: nobody could open this stage'),
  secrets: z.record(z.string().regex(KEY_NAME_PATTERN, 'invalid secret name'), secretEntrySchema),
});

export type SecretEntry = z.infer<typeof secretEntrySchema>;
export type IdentityRecord = z.infer<typeof identityRecordSchema>;
export type StageFile = z.infer<typeof stageFileSchema>;

/** Parses and validates a stage file's text; `where` names the file in every error. */
export function parseStageFile(text: string, where: string): StageFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof SyntaxError ? printable(err.message.replace(/, ".*" is not valid JSON$/s, '').replace(/\s*in JSON at.*$/s, '')) : 'parse error';
    throw new StageSecretsError(
      'FORMAT',
      `${where} is not valid JSON (${detail}); it may be truncated or hand-edited. Restore it from git (git checkout -- ${where}).`,
    );
  }
  // A file as this tool writes it is its own canonical text, which cannot hold a key twice (the
  // second one would be gone from the serialization): the character scan is only for other files.
  const quick = quickParse(raw);
  if (quick && serializeStageFile(quick) === text) return quick;
  const duplicate = findDuplicateKey(text);
  if (duplicate) {
    throw new StageSecretsError(
      'FORMAT',
      `${where} has the key ${printable(JSON.stringify(duplicate.slice(0, 120)))} twice in one object; a reviewer would see one and the tool would read the other. Restore the file from git.`,
    );
  }
  if (raw && typeof raw === 'object' && 'version' in raw) {
    const version = (raw as { version: unknown }).version;
    if (typeof version === 'number' && version > FORMAT_VERSION) {
      throw new StageSecretsError(
        'UNSUPPORTED_VERSION',
        `${where} has format version ${version}; this stage-secrets reads version ${FORMAT_VERSION}. Upgrade stage-secrets.`,
      );
    }
  }
  if (quick) return quick;
  const result = stageFileSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = printable(issue.path.map(String).join('.').slice(0, 200)) || '(top level)';
    const message = issue.message === 'invalid secret name' ? 'invalid secret name (a letter, then letters, digits or _)' : printable(issue.message.slice(0, 300));
    throw new StageSecretsError(
      'FORMAT',
      `${where} is not a valid stage file: at ${path}: ${message}. Restore it from git or re-create the stage with init.`,
    );
  }
  return result.data;
}

/** Text from a (possibly hostile) file, made safe to print: no line breaks, no terminal escapes. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function line(value: unknown): string {
  return JSON.stringify(value);
}

function orderedIdentity(record: IdentityRecord): Record<string, string> {
  const { type, id, ...rest } = record;
  const out: Record<string, string> = { type, id };
  for (const key of Object.keys(rest).sort()) out[key] = rest[key] as string;
  return out;
}

/**
 * Canonical text: fixed field order, secrets sorted by name, one secret per line. The same content
 * always gives the same bytes, so an edit touches only the lines of the entries it changes.
 */
export function serializeStageFile(file: StageFile): string {
  const names = Object.keys(file.secrets).sort();
  const secretLines = names.map((name) => {
    const e = file.secrets[name]!;
    const entry = { type: e.type, updated: e.updated, epk: e.epk, nonce: e.nonce, ct: e.ct, tag: e.tag };
    return `    ${line(name)}: ${line(entry)}`;
  });
  const identityLines = file.identities.map((r) => `    ${line(orderedIdentity(r))}`);
  return [
    '{',
    `  "version": ${FORMAT_VERSION},`,
    `  "app": ${line(file.app)},`,
    `  "stage": ${line(file.stage)},`,
    `  "publicKey": ${line(file.publicKey)},`,
    '  "identities": [',
    identityLines.join(',\n'),
    '  ],',
    names.length ? '  "secrets": {' : '  "secrets": {}',
    ...(names.length ? [secretLines.join(',\n'), '  }'] : []),
    '}',
    '',
  ].join('\n');
}
