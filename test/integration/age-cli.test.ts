/**
 * Per-person access with age, through the CLI process: rewrap --age / --age-file / --remove age:...,
 * opening with an age identity from each place sops users keep one, and what run does with those keys.
 * The age keys here come from the age-encryption library; e2e/age-interop.test.ts uses the real age.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, readOnlyLocalKey, type Workspace } from '../support/cli.js';

interface Person {
  key: string;
  recipient: string;
  file: string;
}

describe('age recipients (CLI)', () => {
  let ws: Workspace;
  let localKey: string;
  let alice: Person;
  let bob: Person;
  let carol: Person;
  /** no local key, no age source: only what a test gives */
  let bare: NodeJS.ProcessEnv;

  const person = async (name: string): Promise<Person> => {
    const key = await generateX25519Identity();
    const recipient = await identityToRecipient(key);
    const file = path.join(path.dirname(ws.dir), `${name}.txt`);
    fs.writeFileSync(file, `# created: 2026-01-01T00:00:00Z\n# public key: ${recipient}\n${key}\n`, { mode: 0o600 });
    return { key, recipient, file };
  };
  const stageText = () => fs.readFileSync(ws.stageFile('dev'), 'utf8');
  const ids = () => (JSON.parse(stageText()) as { identities: Array<{ id: string }> }).identities.map((r) => r.id);

  beforeAll(async () => {
    ws = makeWorkspace('team-app');
    fs.mkdirSync(path.join(ws.dir, '.git'));
    alice = await person('alice');
    bob = await person('bob');
    carol = await person('carol');
    const init = await ws.run(['init', '--stage', 'dev']);
    expect(init.code, init.stderr).toBe(0);
    localKey = readOnlyLocalKey(ws);
    const set = await ws.run(['set', '--stage', 'dev', 'API_KEY', 'api-value-5e1c2b9a']);
    expect(set.code, set.stderr).toBe(0);
    const empty = path.join(path.dirname(ws.dir), 'empty-config');
    fs.mkdirSync(empty);
    bare = { XDG_CONFIG_HOME: empty, SOPS_AGE_KEY_FILE: '', STAGE_SECRETS_AGE_KEY: '', STAGE_SECRETS_AGE_KEY_FILE: '' };
  });
  afterAll(() => ws.cleanup());

  it('rewrap --age (repeatable) adds recipients without any age private key here', async () => {
    const r = await ws.run(['rewrap', '--stage', 'dev', '--age', alice.recipient, '--age', bob.recipient], {
      env: { SOPS_AGE_KEY_FILE: '' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`wrapped for age recipient ${alice.recipient}`);
    expect(ids()).toEqual([expect.stringMatching(/^local:/), `age:${alice.recipient}`, `age:${bob.recipient}`]);
  });

  it('opens with the identity from STAGE_SECRETS_AGE_KEY, its _FILE, SOPS_AGE_KEY_FILE, sops keys.txt', async () => {
    const sopsHome = path.join(path.dirname(ws.dir), 'sops-home');
    fs.mkdirSync(path.join(sopsHome, 'sops', 'age'), { recursive: true });
    fs.copyFileSync(bob.file, path.join(sopsHome, 'sops', 'age', 'keys.txt'));
    for (const [env, recipient] of [
      [{ STAGE_SECRETS_AGE_KEY: alice.key }, alice.recipient],
      [{ STAGE_SECRETS_AGE_KEY_FILE: alice.file }, alice.recipient],
      [{ SOPS_AGE_KEY_FILE: bob.file }, bob.recipient],
      [{ XDG_CONFIG_HOME: sopsHome }, bob.recipient],
    ] as const) {
      const r = await ws.run(['verify', '--stage', 'dev'], { env: { ...bare, ...env } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`opened with age:${recipient}; 1 of 1 secrets OK`);
      const exported = await ws.run(['export', '--stage', 'dev', '--format', 'json'], { env: { ...bare, ...env } });
      expect(JSON.parse(exported.stdout)).toEqual({ API_KEY: 'api-value-5e1c2b9a' });
    }
  });

  it('list shows the recipients; verify --json names the one that opened', async () => {
    const list = await ws.run(['list', '--stage', 'dev'], { env: bare });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stderr).toContain(`age recipient ${alice.recipient}; age recipient ${bob.recipient}`);
    const verify = await ws.run(['verify', '--stage', 'dev', '--json'], {
      env: { ...bare, STAGE_SECRETS_AGE_KEY_FILE: bob.file },
    });
    expect(JSON.parse(verify.stdout)).toMatchObject({
      identity: `age:${bob.recipient}`,
      identityDescription: `age recipient ${bob.recipient}`,
    });
  });

  it('an identity of nobody on the stage does not open it: exit 3, naming the recipients, never a key', async () => {
    const r = await ws.run(['verify', '--stage', 'dev'], { env: { ...bare, STAGE_SECRETS_AGE_KEY_FILE: carol.file } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`age recipient ${alice.recipient}, whose identity is not here`);
    expect(r.stdout + r.stderr).not.toContain(carol.key);
    expect(r.stdout + r.stderr).not.toMatch(/AGE-SECRET-KEY/);
  });

  it('a changed wrapped key does not open: exit 2', async () => {
    const before = stageText();
    const file = JSON.parse(before) as { identities: Array<{ id: string; wrapped: string }> };
    const record = file.identities.find((r) => r.id === `age:${alice.recipient}`)!;
    const bytes = Buffer.from(record.wrapped, 'base64');
    bytes[bytes.length - 2] ^= 1;
    record.wrapped = bytes.toString('base64');
    fs.writeFileSync(ws.stageFile('dev'), JSON.stringify(file, null, 2));
    try {
      const r = await ws.run(['verify', '--stage', 'dev'], { env: { ...bare, STAGE_SECRETS_AGE_KEY: alice.key } });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/wrapped key of identity age:age1\w+ does not open/);
    } finally {
      fs.writeFileSync(ws.stageFile('dev'), before);
    }
  });

  it('rewrap --age-file adds the recipients of a file with comments and blank lines', async () => {
    const team = path.join(path.dirname(ws.dir), 'team.txt');
    fs.writeFileSync(team, `# team\n\n${carol.recipient}\n# alice is already in\n${alice.recipient}\n`);
    const keyHolder = { SOPS_AGE_KEY_FILE: '' };
    const r = await ws.run(['rewrap', '--stage', 'dev', '--age-file', team], { env: keyHolder });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`already has identity age:${alice.recipient}`);
    fs.writeFileSync(team, `# team\n\n${carol.recipient}\n`);
    const ok = await ws.run(['rewrap', '--stage', 'dev', '--age-file', team], { env: keyHolder });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ids()).toContain(`age:${carol.recipient}`);
  });

  it('refuses bad recipients (exit 1) without changing the file or echoing a pasted secret key', async () => {
    const before = stageText();
    for (const bad of [
      alice.key,
      `age1yubikey1${'q'.repeat(59)}`,
      'age1tooshort',
      // carol's recipient with its last character changed (a bad checksum)
      `${carol.recipient.slice(0, -1)}${carol.recipient.endsWith('x') ? 'y' : 'x'}`,
    ]) {
      const r = await ws.run(['rewrap', '--stage', 'dev', '--age', bad], { env: { SOPS_AGE_KEY_FILE: '' } });
      expect(r.code, bad).toBe(1);
      expect(r.stderr).toMatch(/not an age recipient|checksum/);
      expect(r.stderr).not.toContain(alice.key);
    }
    expect(stageText()).toBe(before);
  });

  it('rewrap --remove age:... removes one recipient and says what its holder keeps until rotate', async () => {
    const r = await ws.run(['rewrap', '--stage', 'dev', '--remove', `age:${bob.recipient}`], {
      env: { SOPS_AGE_KEY_FILE: '' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/keeps what they already read.*rotate --stage dev/s);
    expect(ids()).not.toContain(`age:${bob.recipient}`);
    const gone = await ws.run(['verify', '--stage', 'dev'], { env: { ...bare, SOPS_AGE_KEY_FILE: bob.file } });
    expect(gone.code).toBe(3);
  });

  it('run hands its child no STAGE_SECRETS_AGE_KEY* and masks the age key texts it read', async () => {
    const child = `
      const names = Object.keys(process.env).filter((k) => k.toUpperCase().startsWith('STAGE_SECRETS_AGE_KEY'));
      console.log(JSON.stringify({ names }));
      const text = require('fs').readFileSync(${JSON.stringify(alice.file)}, 'utf8');
      const lines = text.trim().split('\\n');
      console.log('comment=' + lines[1]);
      console.log('key=' + lines[2]);
      console.log('lower=' + lines[2].toLowerCase());
      console.log(text);`;
    const env = { ...bare, STAGE_SECRETS_AGE_KEY_FILE: alice.file, STAGE_SECRETS_AGE_KEY: carol.key };
    const r = await ws.run(['run', '--stage', 'dev', '--', process.execPath, '-e', child], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.split('\n')[0]!)).toEqual({ names: [] });
    expect(r.stdout).not.toContain(alice.key);
    expect(r.stdout).not.toContain(alice.key.toLowerCase());
    expect(r.stdout).toContain(`comment=# public key: ${alice.recipient}`);
    expect(r.stdout).toContain('key=***');
    expect(r.stdout).toContain('lower=***');
    expect(localKey).toMatch(/^stage-secrets-key-1:/);
  });
});
