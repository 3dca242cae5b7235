// zod's v3 API (shipped in the zod package): it loads 10 modules where the v4 entry loads 95 (every
// locale), which is about 50 ms of start-up on every command, `run` included.
import { z } from 'zod/v3';
import { StageSecretsError } from './errors.js';
import { KEY_NAME_PATTERN, STAGE_NAME_PATTERN } from './names.js';
import { SECRET_TYPES } from './values.js';
import { findDuplicateKeyAt } from './json-duplicates.js';
import { findJsonSyntaxError, lineColumn } from './json-syntax.js';
import { firstConflictMarkerLine } from './conflict-markers.js';

/**
 * Version 3 (what init writes): the header `secrets/<stage>.json` holds no secret; each secret is its own
 * file `secrets/<stage>/<NAME>.json` (core/entry-file.ts), so any git merge combines branches that touch
 * different secrets. Version 2 (one file, every secret a line) added name approval (an `approved` tag per
 * entry, an optional tagged `policy`), later an optional tagged `approvalEpoch`; a v2 file without it is
 * at epoch 0. v1 and v2 files still open; `upgrade` rewrites them as v3.
 */
export const FORMAT_VERSION = 3;
/** The one-file layout (every secret a line of the stage file): versions 1 and 2. */
export const SINGLE_FILE_VERSION = 2;
/** Version 1 files (before name approval) are still read: every name in them is pending. */
export const OLDEST_READ_VERSION = 1;
/** The first version whose entries carry approval tags (name approval). */
export const APPROVAL_VERSION = 2;

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
  /** a key holder's approval of this name (HMAC-SHA256, see core/approval.ts); absent: pending */
  approved: base64.length(EPK_CHARS, 'approval tag is not 32 bytes').optional(),
});

/**
 * The entry schema's rules by hand, for the common case of a valid entry: a stage of 1,000 entry files
 * is read on every build, and zod takes most of that time. `sealedTo` must pass `sealedTo` when given
 * (a v3 entry file), else it is an unknown field. Returns the entry in the schema's field order, or
 * undefined when any rule fails (then the schema runs, for the message). A unit test holds both to the
 * same verdicts.
 */
export function quickSecretEntry(raw: unknown, sealedTo?: RegExp): (SecretEntry & { sealedTo?: string }) | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const o = raw as Record<string, unknown>;
  const allowed = sealedTo ? QUICK_FIELDS_V3 : QUICK_FIELDS;
  for (const key of Object.keys(o)) if (!allowed.has(key)) return undefined;
  const str = (v: unknown): v is string => typeof v === 'string';
  const b64 = (v: unknown, len?: number, max?: number): v is string =>
    str(v) && (len === undefined || v.length === len) && (max === undefined || v.length <= max) && BASE64.test(v);
  const { type, updated, epk, nonce, ct, tag, approved, ref } = o;
  if (!str(type) || !(SECRET_TYPES as readonly string[]).includes(type)) return undefined;
  if (!str(updated) || !ISO_DATE.test(updated)) return undefined;
  if (!b64(epk, EPK_CHARS) || !b64(nonce, NONCE_CHARS) || !b64(ct, undefined, MAX_CT_CHARS) || !b64(tag, TAG_CHARS))
    return undefined;
  if (Object.hasOwn(o, 'approved') && !b64(approved, EPK_CHARS)) return undefined;
  if (sealedTo && (!str(o.sealedTo) || !sealedTo.test(o.sealedTo))) return undefined;
  if (Object.hasOwn(o, 'ref') && ref !== true) return undefined;
  return {
    type: type as SecretEntry['type'],
    updated,
    epk,
    nonce,
    ct,
    tag,
    ...(approved !== undefined ? { approved: approved as string } : {}),
    ...(sealedTo ? { sealedTo: o.sealedTo as string } : {}),
    ...(ref === true ? { ref: true as const } : {}),
  };
}
const QUICK_FIELDS = new Set(['type', 'updated', 'epk', 'nonce', 'ct', 'tag', 'approved']);
const QUICK_FIELDS_V3 = new Set([...QUICK_FIELDS, 'sealedTo', 'ref']);

// Identity fields and the app name are printed in messages and CI logs: a hostile edit must not smuggle
// line breaks or terminal escapes (e.g. CI workflow commands) into them.
const printableAscii = /^[\x20-\x7e]*$/;
const appName = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+$/u;
const MAX_APP_NAME = 128;

/** Why a name cannot be a stage file's app (the schema's rule), without quoting it; undefined when it can. */
export function appNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > MAX_APP_NAME) return `an app name has 1 to ${MAX_APP_NAME} characters`;
  if (!appName.test(name)) return 'it holds control or formatting characters (a line break, a terminal escape, ...)';
  return undefined;
}

const identityId = z
  .string()
  .min(1)
  .max(2048)
  .regex(/^[\x21-\x7e]+$/, 'identity id must be printable ASCII without spaces');
const printableField = z.string().min(1).max(2048).regex(printableAscii, 'identity fields must be printable ASCII');
const MAX_IDENTITY_FIELD = 65_536;

/** What every identity record's schema builds on (src/identities/records.ts), so each rule is spelled once. */
export const identityFields = {
  id: identityId,
  created: isoDate,
  base64,
  printable: printableField,
  /** a key holder's tag over the record but its wrapped blob (core/approval.ts identityTag); absent: unconfirmed */
  auth: base64.length(EPK_CHARS, 'identity tag is not 32 bytes').optional(),
};

/**
 * Any identity record, as core reads it: a kind name, an id and flat printable fields. Each kind's typed
 * schema (src/identities/, which core does not import) is checked on top of it: ParseOptions.identities.
 */
export const identityRecordSchema = z
  .object({
    type: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'identity type must be a kind name'),
    id: identityId,
  })
  .catchall(z.string().min(1).max(MAX_IDENTITY_FIELD).regex(printableAscii, 'identity fields must be printable ASCII'));

/** The typed schema of identity records, the union of every kind's (src/identities/records.ts builds it). */
export type IdentityRecordsSchema = z.ZodTypeAny;

/** `open`: every writer is trusted, names need no approval. Tagged by a key holder like a name. */
export const policySchema = z.strictObject({
  mode: z.literal('open'),
  tag: base64.length(EPK_CHARS, 'policy tag is not 32 bytes'),
});

/**
 * The approval epoch, tagged by a key holder (core/approval.ts): name and policy tags are bound to it, and
 * approve --revoke / --close raise it, so tags of an earlier epoch restored from git history stop verifying.
 * Absent: epoch 0. Zero is never written, so each epoch has one spelling.
 */
export const approvalEpochSchema = z.strictObject({
  epoch: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  /** random per revocation: two branches that both revoked to epoch N do not share tags */
  salt: base64.length(TAG_CHARS, 'approval epoch salt is not 16 bytes'),
  tag: base64.length(EPK_CHARS, 'approval epoch tag is not 32 bytes'),
});

/** A reference target prefix as `approve --allow-ref` takes it: printed in CI logs, so printable ASCII only. */
export const REF_PREFIX = /^(ssm:\/|secretsmanager:)[\x21-\x7e]{0,2000}$/;
export const MAX_REF_PREFIXES = 100;

/**
 * The reference targets a key holder allows (approve --allow-ref): a reference whose target starts with
 * none of the prefixes is refused by the build. Tagged like the policy, so a writer cannot widen it.
 */
export const allowedRefsSchema = z.strictObject({
  prefixes: z
    .array(z.string().regex(REF_PREFIX, 'an allowed reference prefix starts with ssm:/ or secretsmanager:'))
    .min(1)
    .max(MAX_REF_PREFIXES),
  tag: base64.length(EPK_CHARS, 'allowed references tag is not 32 bytes'),
});

export const stageFileSchema = z.strictObject({
  version: z.union([z.literal(OLDEST_READ_VERSION), z.literal(SINGLE_FILE_VERSION)]),
  app: z.string().min(1).max(MAX_APP_NAME).regex(appName, 'app name has control characters'),
  stage: z.string().regex(STAGE_NAME_PATTERN, 'invalid stage name'),
  publicKey: base64.length(44, 'public key is not 32 bytes'),
  policy: policySchema.optional(),
  approvalEpoch: approvalEpochSchema.optional(),
  allowedRefs: allowedRefsSchema.optional(),
  identities: z.array(identityRecordSchema).min(1, 'no identity: nobody could open this stage'),
  secrets: z.record(z.string().regex(KEY_NAME_PATTERN, 'invalid secret name'), secretEntrySchema),
});

/** A v3 header: the stage file without secrets (they are the files of secrets/<stage>/). */
export const stageHeaderSchema = z.strictObject({
  version: z.literal(FORMAT_VERSION),
  app: stageFileSchema.shape.app,
  stage: stageFileSchema.shape.stage,
  publicKey: stageFileSchema.shape.publicKey,
  policy: stageFileSchema.shape.policy,
  approvalEpoch: stageFileSchema.shape.approvalEpoch,
  allowedRefs: stageFileSchema.shape.allowedRefs,
  identities: stageFileSchema.shape.identities,
});

/**
 * A sealed entry as the tool holds it. `sealedTo` (v3 entry files) is the fingerprint of the public key
 * it was sealed to (stages/view.ts keyFingerprint); absent in v1/v2 files, whose entries are all sealed
 * to the file's own key. It is not authenticated: a wrong one can only make an entry fail closed.
 */
export type SecretEntry = z.infer<typeof secretEntrySchema> & {
  sealedTo?: string;
  /** v3 entry files only: when the secret expires, and who answers for it; both bound to the sealed value */
  expires?: string;
  owner?: string;
  /** v3 entry files only: a reference (its sealed plaintext is a target, see core/values.ts); bound to the value */
  ref?: true;
};
export type AllowedRefs = z.infer<typeof allowedRefsSchema>;
export type StagePolicy = z.infer<typeof policySchema>;
export type ApprovalEpoch = z.infer<typeof approvalEpochSchema>;
/** An identity record of any kind; each kind module narrows it to its own record type. */
export type IdentityRecord = z.infer<typeof identityRecordSchema>;
/** A stage as read: a v1/v2 file, or a v3 header with the entries of its folder. */
export type StageFile = Omit<z.infer<typeof stageFileSchema>, 'version' | 'secrets'> & {
  version: 1 | 2 | 3;
  secrets: Record<string, SecretEntry>;
};
export type StageHeader = Omit<StageFile, 'secrets'>;

export interface ParseOptions {
  /** `where` is a file in the work tree (not a blob or a merge side): errors may say how to fix it with git */
  worktreeFile?: boolean;
  /**
   * every identity kind's record schema, checked on top of the generic record (core does not import the
   * kinds: stages/stage-text.ts passes src/identities/records.ts's)
   */
  identities: IdentityRecordsSchema;
}

/**
 * Parses and validates a stage file's text (a v3 header gives no secrets: the store reads its entry
 * files); `where` names the file in every error. Errors never quote
 * the file: a fault is given by line and column, and only keys that are valid names (what `list` prints
 * anyway) are named; any other key or value is described by where it is.
 */
export function parseStageFile(text: string, where: string, options: ParseOptions): StageFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    const marker = firstConflictMarkerLine(text);
    if (marker !== undefined) {
      const kind = /"version":\s*3\b/.test(text) ? 'header' : 'stage file';
      throw conflictError(where, marker, options.worktreeFile === true, kind);
    }
    const fault = findJsonSyntaxError(text);
    const detail = !fault
      ? 'a syntax error'
      : text.trim() === ''
        ? fault.problem
        : `${fault.problem} at ${at(text, fault.offset)}`;
    throw new StageSecretsError(
      'FORMAT',
      `${where} is not valid JSON (${detail}); it may be truncated or hand-edited. Restore it from git (git checkout -- ${where}).`,
    );
  }
  const duplicate = findDuplicateKeyAt(text);
  if (duplicate) {
    const key = isPrintableName(duplicate.key) ? `the key ${JSON.stringify(duplicate.key)}` : 'a key';
    throw new StageSecretsError(
      'FORMAT',
      `${where} has ${key} twice in one object (${at(text, duplicate.offset)}); a reviewer would see one and the tool would read the other. Restore the file from git.`,
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
  const typed = options.identities;
  const knownKinds = (file: { identities: unknown[] }, ctx: z.RefinementCtx) => {
    file.identities.forEach((record, index) => {
      const check = typed.safeParse(record);
      if (!check.success)
        for (const issue of check.error.issues)
          ctx.addIssue({ ...issue, path: ['identities', index, ...issue.path] } as z.IssueData);
    });
  };
  const v3 = raw !== null && typeof raw === 'object' && (raw as { version?: unknown }).version === FORMAT_VERSION;
  const result = v3
    ? stageHeaderSchema
        .superRefine(knownKinds)
        .transform((header) => ({ ...header, secrets: {} }) as StageFile)
        .safeParse(raw)
    : stageFileSchema.superRefine(knownKinds).safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.map((segment) => keyText(text, segment)).join('.') || '(top level)';
    throw new StageSecretsError(
      'FORMAT',
      `${where} is not a valid stage file: at ${path}: ${issueText(text, issue)}. Restore it from git or re-create the stage with init.`,
    );
  }
  return result.data;
}

/**
 * An unfinished merge. For a work-tree file, says how to finish it: restoring the file from git would drop
 * one side's secrets. Elsewhere (a merge side, a blob of history) the markers were committed as they were.
 */
export function conflictError(
  where: string,
  line: number,
  worktreeFile: boolean,
  kind: 'stage file' | 'header' | 'entry' = 'stage file',
): StageSecretsError {
  const found = `${where} has git merge conflict markers (the first at line ${line})`;
  if (!worktreeFile) {
    const fix = 'it was committed with a merge left unfinished. Resolve the conflict in the file and commit it.';
    return new StageSecretsError('FORMAT', `${found}: ${fix}`);
  }
  if (kind === 'entry') {
    return new StageSecretsError(
      'FORMAT',
      `${found}: both sides of a merge or rebase changed this one secret. Keep one side with ` +
        `git checkout --ours ${where} or git checkout --theirs ${where} (then git add it), and if the kept ` +
        'value is not the one you want, set it again with npx --no-install stage-secrets set. ' +
        'No other secret is affected.',
    );
  }
  if (kind === 'header') {
    return new StageSecretsError(
      'FORMAT',
      `${found}: both sides of a merge or rebase changed the stage header. If one side upgraded the stage to ` +
        'version 3 (one file per secret) and the other still wrote the version-2 file, keep the version-2 side ' +
        `(git checkout --ours ${where} or git checkout --theirs ${where}, whichever shows "version": 2), then run ` +
        'npx --no-install stage-secrets upgrade --stage STAGE, which folds its secrets into the entry files and keeps ' +
        'those only the folder has. If both changed the public key, identities, policy or approval epoch, keep one ' +
        "side the same way and run the other side's rotate, rewrap or approve again. Then check with verify.",
    );
  }
  return new StageSecretsError(
    'FORMAT',
    `${found}: a merge or rebase stopped on it. ` +
      `Finish the merge rather than checking out an older version, which would drop one side's secrets: ` +
      `keep one side (dropping the other's changes) with git checkout --ours ${where} ` +
      `or git checkout --theirs ${where}; ` +
      `or edit it by hand, keeping the entries of both sides (one line per secret, a comma after each but the last) ` +
      `and deleting the marker lines; or let the merge driver merge entry by entry: ` +
      `npx --no-install stage-secrets git-setup, then git merge --abort and merge again.`,
  );
}

/** "line L, column C" of an offset. */
function at(text: string, offset: number): string {
  const { line, column } = lineColumn(text, offset);
  return `line ${line}, column ${column}`;
}

/** A key may be named in a message only when it is a valid name: the same rule as secret names. */
function isPrintableName(key: string): boolean {
  return KEY_NAME_PATTERN.test(key);
}

/** A path segment or key as a message may show it: a valid name or an index as is, else where it is. */
function keyText(text: string, key: string | number): string {
  if (typeof key === 'number' || isPrintableName(key)) return String(key);
  const line = lineOfKey(text, key);
  return line === undefined ? '(a key that is not a valid name)' : `(a key at line ${line})`;
}

/** The line of the first place `key` is used as an object key in `text` (valid JSON), if found as written. */
function lineOfKey(text: string, key: string): number | undefined {
  const quoted = JSON.stringify(key);
  for (let i = text.indexOf(quoted); i !== -1; i = text.indexOf(quoted, i + 1)) {
    if (i > 0 && text[i - 1] === '\\') continue; // inside another string
    let j = i + quoted.length;
    while (j < text.length && /\s/.test(text[j]!)) j++;
    if (text[j] === ':') return lineColumn(text, i).line;
  }
  return undefined;
}

/** The schema problem in words. zod's own text quotes the offending value or key for two kinds of issue. */
function issueText(text: string, issue: z.ZodIssue): string {
  switch (issue.code) {
    case 'invalid_enum_value':
      return `must be one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => keyText(text, k)).join(', ')}`;
    default:
      if (issue.message === 'invalid secret name') return 'invalid secret name (a letter, then letters, digits or _)';
      return printable(issue.message.slice(0, 300));
  }
}

/** Text that is not from the file (schema messages), made safe to print: no line breaks, no terminal escapes. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function line(value: unknown): string {
  return JSON.stringify(value);
}

function orderedEpoch(e: ApprovalEpoch): ApprovalEpoch {
  return { epoch: e.epoch, salt: e.salt, tag: e.tag };
}

function orderedIdentity(record: IdentityRecord): Record<string, string> {
  const { type, id, ...rest } = record;
  const fields = rest as Record<string, string | undefined>;
  const out: Record<string, string> = { type, id };
  for (const key of Object.keys(fields).sort()) if (fields[key] !== undefined) out[key] = fields[key];
  return out;
}

/**
 * Canonical text: fixed field order, secrets sorted by name, one secret per line. The same content
 * always gives the same bytes, so an edit touches only the lines of the entries it changes.
 */
export function serializeStageFile(file: StageFile): string {
  if (file.version === FORMAT_VERSION) return serializeStageHeader(file);
  const names = Object.keys(file.secrets).sort();
  const secretLines = names.map((name) => {
    const e = file.secrets[name]!;
    const entry = {
      type: e.type,
      updated: e.updated,
      epk: e.epk,
      nonce: e.nonce,
      ct: e.ct,
      tag: e.tag,
      ...(e.approved ? { approved: e.approved } : {}),
    };
    return `    ${line(name)}: ${line(entry)}`;
  });
  return [
    ...headerLines(file, SINGLE_FILE_VERSION),
    '  ],',
    names.length ? '  "secrets": {' : '  "secrets": {}',
    ...(names.length ? [secretLines.join(',\n'), '  }'] : []),
    '}',
    '',
  ].join('\n');
}

/** The header fields in their fixed order, up to the identities (one per line), the closing bracket left out. */
function headerLines(file: StageHeader, version: number): string[] {
  return [
    '{',
    `  "version": ${version},`,
    `  "app": ${line(file.app)},`,
    `  "stage": ${line(file.stage)},`,
    `  "publicKey": ${line(file.publicKey)},`,
    ...(file.policy ? [`  "policy": ${line({ mode: file.policy.mode, tag: file.policy.tag })},`] : []),
    ...(file.approvalEpoch ? [`  "approvalEpoch": ${line(orderedEpoch(file.approvalEpoch))},`] : []),
    ...(file.allowedRefs
      ? [`  "allowedRefs": ${line({ prefixes: file.allowedRefs.prefixes, tag: file.allowedRefs.tag })},`]
      : []),
    '  "identities": [',
    file.identities.map((r) => `    ${line(orderedIdentity(r))}`).join(',\n'),
  ];
}

/** Canonical text of a v3 header: fixed field order, one identity per line, trailing newline. */
export function serializeStageHeader(file: StageHeader): string {
  return [...headerLines(file, FORMAT_VERSION), '  ]', '}', ''].join('\n');
}
