import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Stage files as tests read and tamper with them, in either layout: a v3 stage is its header
 * `secrets/<stage>.json` plus one file per secret in `secrets/<stage>/`; a v1/v2 stage is one file.
 */

// biome-ignore lint/suspicious/noExplicitAny: tests edit stage files as free JSON
export type StageDoc = Record<string, any>;

function entriesDir(secretsDir: string, stage: string): string {
  return path.join(secretsDir, stage);
}

/** The stage as one JSON object (header fields plus `secrets`), whatever its layout. */
export function readStageDoc(secretsDir: string, stage: string): StageDoc {
  const doc = JSON.parse(fs.readFileSync(path.join(secretsDir, `${stage}.json`), 'utf8')) as StageDoc;
  if (doc.version !== 3) return doc;
  const secrets: StageDoc = {};
  const dir = entriesDir(secretsDir, stage);
  for (const file of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
    if (!file.endsWith('.json') || file.startsWith('.')) continue;
    secrets[file.slice(0, -5)] = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  }
  return { ...doc, secrets };
}

/** Writes a stage object back: v3 as header plus entry files (sealedTo kept, else the header's key), else one file. */
export function writeStageDoc(secretsDir: string, stage: string, doc: StageDoc): void {
  const file = path.join(secretsDir, `${stage}.json`);
  const dir = entriesDir(secretsDir, stage);
  fs.rmSync(dir, { recursive: true, force: true });
  if (doc.version !== 3) {
    fs.writeFileSync(file, JSON.stringify(doc, null, 2));
    return;
  }
  const { secrets = {}, ...header } = doc;
  fs.writeFileSync(file, JSON.stringify(header, null, 2));
  const own = createHash('sha256')
    .update(Buffer.from(String(doc.publicKey), 'base64'))
    .digest('hex')
    .slice(0, 16);
  if (Object.keys(secrets).length) fs.mkdirSync(dir, { recursive: true });
  for (const [name, entry] of Object.entries(secrets as StageDoc)) {
    const withKey = entry && typeof entry === 'object' && !('sealedTo' in entry) ? { ...entry, sealedTo: own } : entry;
    fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(withKey, null, 2));
  }
}

/**
 * The stage as one JSON text (header fields plus `secrets`, whatever the layout), to compare, edit as
 * text and restore; the raw header text when it does not parse (conflict markers, truncation).
 */
export function snapshotStage(secretsDir: string, stage: string): string {
  try {
    return JSON.stringify(readStageDoc(secretsDir, stage), null, 2);
  } catch {
    return fs.readFileSync(path.join(secretsDir, `${stage}.json`), 'utf8');
  }
}

/**
 * Puts a text back: a v3 object with `secrets` as header plus entry files; anything else (a v1/v2 file,
 * a damaged text) as the one stage file, the entry folder removed.
 */
export function restoreStage(secretsDir: string, stage: string, text: string): void {
  let doc: StageDoc | undefined;
  try {
    doc = JSON.parse(text) as StageDoc;
  } catch {
    doc = undefined;
  }
  if (doc && typeof doc === 'object' && doc.version === 3 && doc.secrets && typeof doc.secrets === 'object') {
    writeStageDoc(secretsDir, stage, doc);
    return;
  }
  fs.rmSync(entriesDir(secretsDir, stage), { recursive: true, force: true });
  fs.writeFileSync(path.join(secretsDir, `${stage}.json`), text);
}

/**
 * Rewrites a stage as the one-file layout of format version 2 (entries without `sealedTo`), the way
 * stage-secrets wrote it before v3: a fixture for the paths that still read and merge old files.
 */
export function writeV2Stage(secretsDir: string, stage: string): void {
  const doc = readStageDoc(secretsDir, stage);
  const secrets: StageDoc = {};
  for (const [name, entry] of Object.entries((doc.secrets ?? {}) as StageDoc)) {
    const { sealedTo: _dropped, ...rest } = entry as StageDoc;
    secrets[name] = rest;
  }
  writeStageDoc(secretsDir, stage, { ...doc, version: 2, secrets });
}

/** Every file of a stage as it is on disk, by path relative to the secrets folder: to compare or put back. */
export type StageFiles = Record<string, string>;

function safeEntryName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}

/**
 * The files a stage text stands for, exactly as given (nothing added, nothing fixed): a text that parses as
 * a v3 object with `secrets` becomes its header plus one entry file per secret (an entry that is no object
 * is written as whatever JSON it is); any other text is the header file alone, over the entry files of
 * `otherwise` (a damaged header next to intact entries). Names no file system can hold are left out.
 */
export function stageFilesOf(text: string, stage: string, otherwise: StageFiles = {}): StageFiles {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = undefined;
  }
  const d = doc as StageDoc | undefined;
  if (!d || typeof d !== 'object' || d.version !== 3 || !d.secrets || typeof d.secrets !== 'object') {
    const entries = Object.entries(otherwise).filter(([p]) => p !== `${stage}.json`);
    return { ...Object.fromEntries(entries), [`${stage}.json`]: text };
  }
  const { secrets, ...header } = d;
  const files: StageFiles = { [`${stage}.json`]: JSON.stringify(header, null, 2) };
  for (const name of Object.keys(secrets as object)) {
    if (safeEntryName(name)) files[`${stage}/${name}.json`] = JSON.stringify((secrets as StageDoc)[name], null, 2);
  }
  return files;
}

/** The files of a stage on disk: its header (or one file) and the files of its entry folder. */
export function readStageFiles(secretsDir: string, stage: string): StageFiles {
  const files: StageFiles = {};
  const header = path.join(secretsDir, `${stage}.json`);
  if (fs.existsSync(header)) files[`${stage}.json`] = fs.readFileSync(header, 'utf8');
  const dir = entriesDir(secretsDir, stage);
  for (const file of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
    files[`${stage}/${file}`] = fs.readFileSync(path.join(dir, file), 'utf8');
  }
  return files;
}

/** Replaces the stage's files on disk with exactly `files`. */
export function writeStageFiles(secretsDir: string, stage: string, files: StageFiles): void {
  fs.rmSync(entriesDir(secretsDir, stage), { recursive: true, force: true });
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(secretsDir, rel)), { recursive: true });
    fs.writeFileSync(path.join(secretsDir, rel), text);
  }
}
