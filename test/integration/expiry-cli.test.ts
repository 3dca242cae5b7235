/**
 * set --expires / --owner as a process: stored in the entry file, shown by list, bound to the sealed value
 * (a hand edit of either breaks the entry: exit 2), and read by check (expiring warns, expired fails like
 * a missing name). Dates are relative to now, so the test does not depend on the clock.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../support/cli.js';

const DAY = 24 * 60 * 60 * 1000;
const day = (offset: number) => new Date(Date.now() + offset * DAY).toISOString().slice(0, 10);
const VALUE = 'expiry-canary-value-41f2';

let ws: Workspace;

async function ok(args: string[]) {
  const r = await ws.run(args);
  expect(r.code, r.stderr).toBe(0);
  return r;
}

beforeAll(async () => {
  ws = makeWorkspace('expiry-app');
  fs.mkdirSync(path.join(ws.dir, '.git'));
  await ok(['init', '--stage', 'dev']);
  fs.writeFileSync(
    path.join(ws.dir, 'serverless.yml'),
    'service: expiry-app\nprovider:\n  name: aws\n  runtime: nodejs20.x\nfunctions:\n  pay:\n    handler: pay.main\n',
  );
  fs.writeFileSync(path.join(ws.dir, 'pay.js'), 'exports.main = async () => process.env.PAY_KEY;\n');
});

afterAll(() => ws?.cleanup());

describe('expiry and owner of a secret', () => {
  it('set stores both in the entry file, list shows them, run still opens the value', async () => {
    const expires = day(60);
    await ok(['set', '--stage', 'dev', 'PAY_KEY', VALUE, '--expires', expires, '--owner', 'team-payments']);
    const entry = JSON.parse(fs.readFileSync(path.join(ws.dir, 'secrets', 'dev', 'PAY_KEY.json'), 'utf8'));
    expect(entry).toMatchObject({ expires, owner: 'team-payments' });
    const list = await ok(['list', '--stage', 'dev']);
    expect(list.stdout).toMatch(/EXPIRES\s+OWNER/);
    expect(list.stdout).toMatch(new RegExp(`PAY_KEY .*${expires}\\s+team-payments`));
    const json = JSON.parse((await ok(['list', '--stage', 'dev', '--json'])).stdout);
    expect(json[0]).toMatchObject({ name: 'PAY_KEY', expires, owner: 'team-payments' });
    const exported = JSON.parse((await ok(['export', '--stage', 'dev', '--format', 'json'])).stdout);
    expect(exported.PAY_KEY).toBe(VALUE);
    // a replacement without the flags keeps them
    await ok(['set', '--stage', 'dev', 'PAY_KEY', VALUE]);
    expect(JSON.parse((await ok(['list', '--stage', 'dev', '--json'])).stdout)[0]).toMatchObject({ expires });
  });

  it('a hand edit of expires or owner breaks the entry: verify and run exit 2 naming it, never the value', async () => {
    const file = path.join(ws.dir, 'secrets', 'dev', 'PAY_KEY.json');
    const original = fs.readFileSync(file, 'utf8');
    try {
      for (const edited of [
        original.replace(/"expires": "[^"]+"/, `"expires": "${day(3650)}"`),
        original.replace('"owner": "team-payments"', '"owner": "someone-else"'),
        original.replace(/ {2}"expires": "[^"]+",\n/, ''),
      ]) {
        expect(edited).not.toBe(original);
        fs.writeFileSync(file, edited);
        const verify = await ws.run(['verify', '--stage', 'dev']);
        expect(verify.code).toBe(2);
        expect(verify.stdout + verify.stderr).toContain('PAY_KEY');
        const run = await ws.run(['run', '--stage', 'dev', '--', process.execPath, '-e', '0']);
        expect(run.code).toBe(2);
        expect(verify.stdout + verify.stderr + run.stdout + run.stderr).not.toContain(VALUE);
      }
    } finally {
      fs.writeFileSync(file, original);
    }
    await ok(['verify', '--stage', 'dev']);
  });

  it('check: expiring is a warning (exit 0), expired fails like a missing name (exit 1)', async () => {
    await ok(['set', '--stage', 'dev', 'PAY_KEY', VALUE, '--expires', day(5)]);
    const soon = await ws.run(['check', '--stage', 'dev']);
    expect(soon.code, soon.stdout).toBe(0);
    expect(soon.stdout).toMatch(/PAY_KEY\s+EXPIRING/);
    expect(soon.stderr).toContain('expiring within 14 days: PAY_KEY in stage dev');
    const narrow = await ws.run(['check', '--stage', 'dev', '--warn-days', '2']);
    expect(narrow.code).toBe(0);
    expect(narrow.stdout).toMatch(/PAY_KEY\s+present/);

    await ok(['set', '--stage', 'dev', 'PAY_KEY', VALUE, '--expires', day(-1)]);
    const expired = await ws.run(['check', '--stage', 'dev']);
    expect(expired.code).toBe(1);
    expect(expired.stdout).toMatch(/PAY_KEY\s+EXPIRED/);
    expect(expired.stdout).toContain('PAY_KEY in stage dev (expired), needed by:');
    expect(expired.stdout).toContain('1 required name is missing or expired');
    const markdown = await ws.run(['check', '--stage', 'dev', '--format', 'markdown']);
    expect(markdown.stdout).toContain('❌ expired');
  });

  it('import takes them from a stage-secrets: comment just above the entry, and refuses a comment it cannot read', async () => {
    const env = path.join(ws.dir, '..', 'with-meta.env');
    const expires = day(90);
    fs.writeFileSync(env, `# stage-secrets: expires=${expires} owner=team-ops\nOPS_TOKEN=${VALUE}\nPLAIN=x1\n`);
    await ok(['import', '--stage', 'dev', env]);
    const listed = JSON.parse((await ok(['list', '--stage', 'dev', '--json'])).stdout) as Array<Record<string, string>>;
    expect(listed.find((s) => s.name === 'OPS_TOKEN')).toMatchObject({ expires, owner: 'team-ops' });
    expect(listed.find((s) => s.name === 'PLAIN')?.expires).toBeUndefined();
    const before = ws.snapshot('dev');
    fs.writeFileSync(env, `# stage-secrets: expire=${expires}\nOPS_TOKEN=${VALUE}\n`);
    const bad = await ws.run(['import', '--stage', 'dev', env]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/line 1: a stage-secrets: comment takes only expires=DATE and owner=TEXT/);
    expect(bad.stderr).not.toContain(VALUE);
    expect(ws.snapshot('dev')).toBe(before);
  });

  it('refuses a bad date, a bad owner and the flags on a version-2 stage, writing nothing', async () => {
    const before = ws.snapshot('dev');
    for (const [flags, message] of [
      [['--expires', 'next week'], /--expires for PAY_KEY is not a date/],
      [['--owner', 'line\nbreak'], /--owner for PAY_KEY must be 1 to 100 printable ASCII/],
    ] as const) {
      const r = await ws.run(['set', '--stage', 'dev', 'PAY_KEY', VALUE, ...flags]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain(VALUE);
    }
    expect(ws.snapshot('dev')).toBe(before);
  });
});
