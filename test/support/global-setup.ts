import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** SLS_SCHEMA_CACHE_BASE_DIR for every serverless/osls run of this test run (test/support/sls-service.ts) */
    slsSchemaCacheDir: string;
  }
}

/**
 * serverless and osls compile their config schema (their own, plus what plugins such as ours add) into a
 * validator, about 2 s of CPU, and cache it by the schema's hash under SLS_SCHEMA_CACHE_BASE_DIR, else
 * under $HOME, which is new for every service the tests prepare. One cache for the run: each schema is
 * compiled on its first use in the run, and later runs of the frameworks load it as a second deploy would.
 */
export default function setup(project: TestProject): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-sls-schemas-'));
  project.provide('slsSchemaCacheDir', dir);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
