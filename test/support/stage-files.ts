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
