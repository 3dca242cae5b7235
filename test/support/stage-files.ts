import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Stage files as tests read and tamper with them, in either layout: a v3 stage is its header
 * `secrets/<stage>.json` plus one file per secret in `secrets/<stage>/`; a v1/v2 stage is one file.
 */

/** Separates the files of a snapshot: never in a JSON text. */
const SEPARATOR = '\n\u0000--- ';

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

/** Every file of the stage as one text (header first, then each entry by name): compare or restore it. */
export function snapshotStage(secretsDir: string, stage: string): string {
  const parts = [fs.readFileSync(path.join(secretsDir, `${stage}.json`), 'utf8')];
  const dir = entriesDir(secretsDir, stage);
  for (const file of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
    parts.push(`${file}\n${fs.readFileSync(path.join(dir, file), 'utf8')}`);
  }
  return parts.join(SEPARATOR);
}

/** Puts a snapshot back (or a whole-file text: then the stage is that one file, its folder removed). */
export function restoreStage(secretsDir: string, stage: string, snapshot: string): void {
  const [header, ...entries] = snapshot.split(SEPARATOR);
  const dir = entriesDir(secretsDir, stage);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.writeFileSync(path.join(secretsDir, `${stage}.json`), header!);
  if (entries.length) fs.mkdirSync(dir, { recursive: true });
  for (const part of entries) {
    const cut = part.indexOf('\n');
    fs.writeFileSync(path.join(dir, part.slice(0, cut)), part.slice(cut + 1));
  }
}
