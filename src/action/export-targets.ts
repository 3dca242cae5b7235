import * as fs from 'node:fs';
import * as path from 'node:path';
import { StageSecretsError } from '../core/errors.js';
import type { SecretValue } from '../core/values.js';
import { assertFolderInside, writeFileSafely, type WriteFs } from '../store/safe-write.js';

/**
 * Each secret as DIR/<NAME> (mode 0600; DIR created 0700 when new), through the safe writer: never
 * through a symbolic link, nor into a folder a link leads out of the repository. Unlike run's
 * --files-dir the files stay for the later steps of the job; put DIR on the runner's temporary disk.
 */
export function writeSecretFiles(dir: string, secrets: ReadonlyMap<string, SecretValue>, cwd: string): void {
  const role = 'export files:';
  assertFolderInside(fs as unknown as WriteFs, dir, cwd, role);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new StageSecretsError('IO', `${role} cannot create the folder ${dir} (${code}); nothing was written.`);
  }
  for (const [name, value] of secrets) {
    writeFileSafely({ file: path.join(dir, name), cwd, role }, value.text, { mode: 0o600 });
  }
}
