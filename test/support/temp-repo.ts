import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initStage } from '../../src/stages/init.js';
import { setSecrets } from '../../src/stages/secrets.js';

/** A temp repository root (a `.git` folder marks it), a service folder in it, and a config home of its own. */
export interface TempRepo {
  root: string;
  serviceDir: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

export function makeTempRepo(label: string, service: string): TempRepo {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `stage-secrets-${label}-`));
  const serviceDir = path.join(root, service);
  fs.mkdirSync(path.join(root, '.git'));
  fs.mkdirSync(serviceDir, { recursive: true });
  return {
    root,
    serviceDir,
    env: { XDG_CONFIG_HOME: path.join(root, 'config') },
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

/** Initialises stage dev of `app` in `cwd` with a local key, holding API_KEY=file-api and RETRIES=3 (a number). */
export async function seedDevStage(app: string, cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  const opts = { stage: 'dev', app, cwd, env };
  await initStage(opts, [{ type: 'local' }]);
  await setSecrets(opts, [
    { name: 'API_KEY', type: 'string', value: 'file-api' },
    { name: 'RETRIES', type: 'number', value: '3' },
  ]);
}
