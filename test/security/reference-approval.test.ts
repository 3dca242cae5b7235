/**
 * A reference's target is part of what a key holder approves: a writer without the key who points a
 * reference elsewhere, turns an approved value into a reference or a reference into a value, or widens the
 * allowed target prefixes, leaves a stage the build refuses (exit 2) before any AWS call, naming the fix.
 * Through the real CLI, local identity; the build never reaches AWS here (no endpoint is configured).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectNoCanary, readStageText, secureWorkspace, type SecureWorkspace } from './support.js';

let ws: SecureWorkspace;
let baseline: string;

/** The writer: no key anywhere, only the repo. */
const writer = () => ({ XDG_CONFIG_HOME: path.join(ws.root, 'writer-config') });
/** CI: the key in STAGE_SECRETS_KEY_DEV; AWS pointed at a closed port, so a resolve attempt would fail fast. */
const ci = () => ({
  XDG_CONFIG_HOME: path.join(ws.root, 'ci-config'),
  STAGE_SECRETS_KEY_DEV: ws.key,
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
});

async function ok(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = await ws.run(args, { env });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

/** What the build says: run refuses before it starts the child. */
async function build() {
  const marker = path.join(ws.root, 'child-ran');
  fs.rmSync(marker, { force: true });
  const child = `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`;
  const r = await ws.run(['run', '--stage', 'dev', '--', process.execPath, '-e', child], { env: ci() });
  expectNoCanary(r.stdout + r.stderr, 'run output');
  return { ...r, childRan: fs.existsSync(marker) };
}

async function pendingOf(): Promise<string[]> {
  const r = await ws.run(['list', '--stage', 'dev', '--json'], { env: ci() });
  expect(r.code, r.stderr).toBe(0);
  const rows = JSON.parse(r.stdout) as Array<{ name: string; approval: string }>;
  return rows.filter((row) => row.approval !== 'approved').map((row) => row.name);
}

beforeAll(async () => {
  ws = await secureWorkspace('ref-approval-app');
  // the key holder (ws.env holds the key file) sets an approved reference
  await ok(['set', '--stage', 'dev', 'SHARED_KEY', '--ref', 'ssm:/org/shared/stripe-key']);
  baseline = readStageText(ws);
});

afterAll(() => ws.cleanup());
afterEach(() => ws.restore('dev', baseline));

describe('reference approval covers the target', () => {
  it("a key holder's set --ref approves the reference; the entry says ref in clear, never the target", async () => {
    expect(await pendingOf()).toEqual([]);
    const entry = fs.readFileSync(path.join(ws.dir, 'secrets', 'dev', 'SHARED_KEY.json'), 'utf8');
    expect(JSON.parse(entry).ref).toBe(true);
    expect(entry).not.toContain('stripe-key');
  });

  it("a writer's new target makes the name pending, and the build refuses it (exit 2) naming the approve fix", async () => {
    const r = await ws.run(['set', '--stage', 'dev', 'SHARED_KEY', '--ref', 'ssm:/attacker/key'], { env: writer() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/pending approval: SHARED_KEY/);
    expect(await pendingOf()).toEqual(['SHARED_KEY']);
    const b = await build();
    expect(b.code).toBe(2);
    expect(b.childRan).toBe(false);
    expect(b.stderr).toContain('SHARED_KEY');
    expect(b.stderr).toContain('is a reference');
    expect(b.stderr).toContain('approve --stage dev SHARED_KEY');
  });

  it("a writer's tag kept by hand over a new target does not verify", async () => {
    const file = path.join(ws.dir, 'secrets', 'dev', 'SHARED_KEY.json');
    const approved = JSON.parse(fs.readFileSync(file, 'utf8')).approved as string;
    await ws.run(['set', '--stage', 'dev', 'SHARED_KEY', '--ref', 'ssm:/attacker/key'], { env: writer() });
    const entry = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...entry, approved }, null, 2));
    expect(await pendingOf()).toEqual(['SHARED_KEY']);
    expect((await build()).code).toBe(2);
  });

  it('a writer who turns an approved value into a reference makes the name pending', async () => {
    const r = await ws.run(['set', '--stage', 'dev', 'PORT', '--ref', 'ssm:/attacker/port', '--type', 'number'], {
      env: writer(),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(await pendingOf()).toEqual(['PORT']);
    const b = await build();
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('PORT');
  });

  it('a writer who turns an approved reference into a value makes the name pending', async () => {
    const r = await ws.run(['set', '--stage', 'dev', 'SHARED_KEY'], { env: writer(), input: 'a-value' });
    expect(r.code, r.stderr).toBe(0);
    expect(await pendingOf()).toEqual(['SHARED_KEY']);
    expect((await build()).code).toBe(2);
  });

  it('a hand edit of the ref flag (dropped, or added to a value) leaves an entry that does not open', async () => {
    const file = path.join(ws.dir, 'secrets', 'dev', 'SHARED_KEY.json');
    const { ref: _ref, ...entry } = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify(entry, null, 2));
    const b = await build();
    expect(b.code).toBe(2);
    expect(b.childRan).toBe(false);
    ws.restore('dev', baseline);
    const portFile = path.join(ws.dir, 'secrets', 'dev', 'PORT.json');
    fs.writeFileSync(
      portFile,
      JSON.stringify({ ...JSON.parse(fs.readFileSync(portFile, 'utf8')), ref: true }, null, 2),
    );
    const c = await build();
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('PORT');
  });
});

describe('allowed reference prefixes (approve --allow-ref)', () => {
  it('a reference outside the allowed prefixes is refused by the build (exit 2, name, target, fix) and by approve', async () => {
    await ok(['set', '--stage', 'dev', 'OTHER', '--ref', 'secretsmanager:prod/db#password']);
    const a = await ok(['approve', '--stage', 'dev', '--allow-ref', 'ssm:/org/shared/']);
    expect(a.stderr).toContain('OTHER');
    const b = await build();
    expect(b.code).toBe(2);
    expect(b.childRan).toBe(false);
    expect(b.stderr).toContain('OTHER -> secretsmanager:prod/db#password');
    expect(b.stderr).toContain('ssm:/org/shared/');
    expect(b.stderr).toContain('--allow-ref');
    // a writer's new reference outside the list: refused by set (the list is in clear), and by approve
    const s = await ws.run(['set', '--stage', 'dev', 'EVIL', '--ref', 'ssm:/attacker/x'], { env: writer() });
    expect(s.code).toBe(1);
    expect(s.stderr).toContain('ssm:/org/shared/');
    const approve = await ws.run(['approve', '--stage', 'dev', 'OTHER']);
    expect(approve.code).toBe(2);
    expect(approve.stderr).toContain('not approving');
  });

  it("a writer's edit of the allowed list fails its tag: the build refuses, naming the fix", async () => {
    await ok(['approve', '--stage', 'dev', '--allow-ref', 'ssm:/org/shared/']);
    const header = ws.stageFile('dev');
    const doc = JSON.parse(fs.readFileSync(header, 'utf8'));
    doc.allowedRefs.prefixes = ['ssm:/'];
    fs.writeFileSync(header, JSON.stringify(doc, null, 2));
    const b = await build();
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('allowedRefs');
    expect(b.stderr).toContain('--allow-ref');
    // the key holder repairs an edited list by setting it again
    await ok(['approve', '--stage', 'dev', '--allow-ref', 'ssm:/org/shared/']);
    const list = await ok(['list', '--stage', 'dev']);
    expect(list.stderr).toContain('reference targets limited to: ssm:/org/shared/');
  });

  it("a writer's deletion of the allowed list leaves every reference pending (their tags cover the list)", async () => {
    await ok(['approve', '--stage', 'dev', '--allow-ref', 'ssm:/org/shared/']);
    expect(await pendingOf()).toEqual([]);
    const header = ws.stageFile('dev');
    const { allowedRefs: _list, ...doc } = JSON.parse(fs.readFileSync(header, 'utf8'));
    fs.writeFileSync(header, JSON.stringify(doc, null, 2));
    expect(await pendingOf()).toEqual(['SHARED_KEY']);
    const b = await build();
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('SHARED_KEY');
  });

  it('--clear-allow-ref lifts the limit; a writer cannot set a list (no tag of theirs verifies)', async () => {
    await ok(['set', '--stage', 'dev', 'OTHER', '--ref', 'secretsmanager:prod/db']);
    await ok(['approve', '--stage', 'dev', '--allow-ref', 'ssm:/org/shared/']);
    const w = await ws.run(['approve', '--stage', 'dev', '--clear-allow-ref'], { env: writer() });
    expect(w.code).not.toBe(0);
    await ok(['approve', '--stage', 'dev', '--clear-allow-ref']);
    expect(JSON.parse(fs.readFileSync(ws.stageFile('dev'), 'utf8')).allowedRefs).toBeUndefined();
    expect(await pendingOf()).toEqual([]);
  });

  it('revoke (a new approval epoch) keeps the list and the approved references valid', async () => {
    await ok(['approve', '--stage', 'dev', '--allow-ref', 'ssm:/org/shared/']);
    await ok(['approve', '--stage', 'dev', '--revoke', 'PORT']);
    expect(await pendingOf()).toEqual(['PORT']);
    await ok(['approve', '--stage', 'dev', 'PORT']);
    expect(await pendingOf()).toEqual([]);
    const list = await ok(['list', '--stage', 'dev']);
    expect(list.stderr).not.toContain('does not verify');
  });
});
