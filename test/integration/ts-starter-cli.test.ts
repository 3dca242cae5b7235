/**
 * Issue 32 item 4: a service laid out like the Serverless TypeScript starter (fixtures/sls-ts-starter:
 * serverless.ts imports each function's settings from src/functions/<name>/index.ts through the tsconfig
 * alias @functions/*, each handler string is built with handlerPath(__dirname) from @libs/, handlers
 * import helpers through @libs/*). `check`, `rm`'s refusal and the console's "still needed by" must see
 * its functions and the names their code reads, as the framework sees the config when it loads it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContractReport } from '../../src/contract/types.js';
import { namesNeededBy } from '../../src/console/needs.js';
import { makeWorkspace, REPO_ROOT, type Workspace } from '../support/cli.js';

let ws: Workspace;

beforeAll(async () => {
  ws = makeWorkspace('starter');
  fs.cpSync(path.join(REPO_ROOT, 'fixtures', 'sls-ts-starter'), ws.dir, { recursive: true });
  fs.mkdirSync(path.join(ws.dir, '.git'));
  // init reads no service name from a serverless.ts without the framework installed: named here
  for (const stage of ['dev', 'prod']) {
    expect((await ws.run(['init', '--stage', stage, '--app', 'ts-starter'])).code).toBe(0);
  }
  for (const name of ['GREETING_SIGNING_KEY', 'ORDERS_DB_PASSWORD', 'PAYMENTS_API_KEY', 'AUDIT_TOKEN']) {
    expect((await ws.run(['set', '--stage', 'dev', name, `v-${name.toLowerCase()}`])).code).toBe(0);
  }
  // prod lacks the greeting key and the orders database password
  for (const name of ['PAYMENTS_API_KEY', 'AUDIT_TOKEN']) {
    expect((await ws.run(['set', '--stage', 'prod', name, `p-${name.toLowerCase()}`])).code).toBe(0);
  }
});

afterAll(() => ws?.cleanup());

const where = (report: ContractReport, name: string) =>
  report.rows
    .find((r) => r.name === name)
    ?.neededBy.map((n) => `${n.service}/${n.function ?? '-'} ${n.kind} ${n.at.file}:${n.at.line}`);

describe('the TypeScript starter layout', () => {
  it('check sees both functions, their handlers through handlerPath(__dirname), and the names their code reads', async () => {
    const r = await ws.run(['check', '--format', 'json']);
    const report = JSON.parse(r.stdout) as ContractReport;
    expect(report.services).toEqual([{ name: 'ts-starter', config: 'serverless.ts', functions: ['hello', 'orders'] }]);
    expect(report.unreadable).toEqual([]);
    expect(where(report, 'GREETING_SIGNING_KEY')).toEqual(['ts-starter/hello code src/functions/hello/handler.ts:6']);
    // read in a helper reached through the @libs/* alias
    expect(where(report, 'ORDERS_DB_PASSWORD')).toEqual(['ts-starter/orders code src/libs/db.ts:8']);
    expect(where(report, 'PAYMENTS_API_KEY')).toEqual(['ts-starter/orders code src/functions/orders/handler.ts:7']);
    expect(where(report, 'AUDIT_TOKEN')).toEqual(['ts-starter/- required serverless.ts:36']);
    // prod lacks two names the code needs: the check fails naming them
    expect(r.code).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.missing.filter((m) => m.stage === 'prod').map((m) => m.name)).toEqual([
      'GREETING_SIGNING_KEY',
      'ORDERS_DB_PASSWORD',
    ]);
  });

  it("rm refuses a name the starter's code reads, naming the function and the file", async () => {
    const r = await ws.run(['rm', '--stage', 'dev', 'ORDERS_DB_PASSWORD']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /not removing ORDERS_DB_PASSWORD from stage dev: still needed by ORDERS_DB_PASSWORD: ts-starter\/orders \(process\.env\.ORDERS_DB_PASSWORD, src\/libs\/db\.ts:8\)/,
    );
    expect(fs.existsSync(path.join(ws.dir, 'secrets', 'dev', 'ORDERS_DB_PASSWORD.json'))).toBe(true);
  });

  it('the console says who still needs each name', async () => {
    const needs = await namesNeededBy({ cwd: ws.dir, env: ws.env });
    expect(needs?.get('GREETING_SIGNING_KEY')).toEqual([
      { who: 'service ts-starter, function hello', where: 'src/functions/hello/handler.ts:6' },
    ]);
    expect(needs?.get('PAYMENTS_API_KEY')).toEqual([
      { who: 'service ts-starter, function orders', where: 'src/functions/orders/handler.ts:7' },
    ]);
  });
});
