import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, readOnlyLocalKey, REPO_ROOT, type Workspace } from '../support/cli.js';

/*
 * A Lambda-shaped package: handler + secrets/prod.json and secrets/prod/ + node_modules/stage-secrets (the
 * built package, through its "exports" map). It runs in a bare process whose only key is STAGE_SECRETS_KEY_PROD, the
 * way a function would get it; two invocations share the module, as in a warm container.
 */
const HANDLER = `import { SecretClient, SecretError } from 'stage-secrets/client';

const secrets = new SecretClient({ stage: process.env.STAGE });

export async function handler() {
  const dbUrl = await secrets.readSecret('DB_URL');
  const pageSize = await secrets.readSecret('PAGE_SIZE');
  const limits = await secrets.readSecret('LIMITS');
  let missing;
  try {
    await secrets.readSecret('NOT_THERE');
  } catch (err) {
    missing = { isSecretError: err instanceof SecretError, code: err.code, key: err.key };
  }
  return { dbHost: new URL(dbUrl).host, pageSize, limits, missing, used: secrets.getUsedSecrets() };
}
`;

const INVOKE = `import * as fs from 'node:fs';
import { handler } from './handler.mjs';
const first = await handler();
fs.rmSync('secrets', { recursive: true }); // a warm container answers from the instance, not the file
const second = await handler();
process.stdout.write(JSON.stringify({ first, second }));
`;

let ws: Workspace;
let taskRoot: string;

beforeAll(async () => {
  ws = makeWorkspace('shop');
  expect((await ws.run(['init', '--stage', 'prod', '--local'])).code).toBe(0);
  for (const [key, value, type] of [
    ['DB_URL', 'postgres://app:pw@prod-db.internal:5432/shop', 'string'],
    ['PAGE_SIZE', '50', 'number'],
    ['LIMITS', '{"daily":100,"burst":[5,10]}', 'json'],
  ] as const) {
    const r = await ws.run(['set', '--stage', 'prod', key, '--type', type], { input: value });
    expect(r.code, r.stderr).toBe(0);
  }
  taskRoot = path.join(ws.dir, '..', 'task');
  fs.mkdirSync(path.join(taskRoot, 'secrets'), { recursive: true });
  fs.mkdirSync(path.join(taskRoot, 'node_modules'));
  // a v3 stage is its header and its folder of entry files: the package carries both
  fs.copyFileSync(ws.stageFile('prod'), path.join(taskRoot, 'secrets/prod.json'));
  fs.cpSync(path.join(ws.dir, 'secrets', 'prod'), path.join(taskRoot, 'secrets', 'prod'), { recursive: true });
  fs.symlinkSync(REPO_ROOT, path.join(taskRoot, 'node_modules/stage-secrets'), 'dir');
  fs.writeFileSync(path.join(taskRoot, 'handler.mjs'), HANDLER);
  fs.writeFileSync(path.join(taskRoot, 'invoke.mjs'), INVOKE);
});

afterAll(() => ws?.cleanup());

function invoke(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['invoke.mjs'], { cwd: taskRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('stage-secrets/client in a Lambda-shaped package', () => {
  it('reads typed values with the key from the function env, and keeps them across warm invocations', async () => {
    const r = await invoke({
      PATH: process.env.PATH,
      HOME: path.join(taskRoot, 'no-home'),
      LAMBDA_TASK_ROOT: taskRoot,
      STAGE: 'prod',
      STAGE_SECRETS_KEY_PROD: readOnlyLocalKey(ws),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const { first, second } = JSON.parse(r.stdout) as Record<'first' | 'second', unknown>;
    const expected = {
      dbHost: 'prod-db.internal:5432',
      pageSize: 50,
      limits: { daily: 100, burst: [5, 10] },
      missing: { isSecretError: true, code: 'NOT_FOUND', key: 'NOT_THERE' },
      used: ['DB_URL', 'PAGE_SIZE', 'LIMITS'],
    };
    expect(first).toEqual(expected);
    expect(second).toEqual(expected);
  });
});
