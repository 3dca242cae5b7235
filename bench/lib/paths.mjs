import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO, 'dist/cli.mjs');
export const NODE = process.execPath;

/** `run` is a placeholder until the runner lands; the bench then skips what needs it. */
export function runAvailable() {
  const source = path.join(REPO, 'src/cli/commands/run.ts');
  return fs.existsSync(source) && !fs.readFileSync(source, 'utf8').includes('not available in this build');
}
