/**
 * The age kind against the real age programs (Debian's age and age-keygen): a key made by age-keygen
 * opens a stage; the wrapped stage key in the stage file is an ordinary age file that `age -d` opens to
 * the stage private key; and a key wrapped by `age -r` opens through stage-secrets.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../test/support/cli.js';

interface AgeRecord {
  type: string;
  id: string;
  recipient: string;
  wrapped: string;
}

/** The X25519 public key of a raw 32-byte private key, as base64 (node:crypto, from its PKCS#8 form). */
function x25519PublicKey(privateKey: Buffer): string {
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), privateKey]);
  const jwk = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' });
  return Buffer.from(jwk.x!, 'base64url').toString('base64');
}

describe('age interoperability (real age, age-keygen)', () => {
  let ws: Workspace;
  let keyFile: string;
  let recipient: string;
  let bare: NodeJS.ProcessEnv;
  const stageFile = () =>
    JSON.parse(fs.readFileSync(ws.stageFile('dev'), 'utf8')) as {
      publicKey: string;
      identities: AgeRecord[];
    };

  beforeAll(async () => {
    ws = makeWorkspace('interop-app');
    fs.mkdirSync(path.join(ws.dir, '.git'));
    keyFile = path.join(path.dirname(ws.dir), 'key.txt');
    execFileSync('age-keygen', ['-o', keyFile], { stdio: 'pipe' });
    recipient = execFileSync('age-keygen', ['-y', keyFile], { encoding: 'utf8' }).trim();
    expect((await ws.run(['init', '--stage', 'dev'])).code).toBe(0);
    expect((await ws.run(['set', '--stage', 'dev', 'API_KEY', 'interop-value-77c1'])).code).toBe(0);
    const rewrap = await ws.run(['rewrap', '--stage', 'dev', '--age', recipient], { env: { SOPS_AGE_KEY_FILE: '' } });
    expect(rewrap.code, rewrap.stderr).toBe(0);
    const empty = path.join(path.dirname(ws.dir), 'no-keys');
    fs.mkdirSync(empty);
    bare = { XDG_CONFIG_HOME: empty, SOPS_AGE_KEY_FILE: '', STAGE_SECRETS_AGE_KEY: '', STAGE_SECRETS_AGE_KEY_FILE: '' };
  });
  afterAll(() => ws.cleanup());

  for (const variable of ['STAGE_SECRETS_AGE_KEY_FILE', 'SOPS_AGE_KEY_FILE']) {
    it(`a key made by age-keygen -o opens the stage through ${variable}`, async () => {
      const r = await ws.run(['export', '--stage', 'dev', '--format', 'json'], {
        env: { ...bare, [variable]: keyFile },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ API_KEY: 'interop-value-77c1' });
      const verify = await ws.run(['verify', '--stage', 'dev'], { env: { ...bare, [variable]: keyFile } });
      expect(verify.stdout).toContain(`opened with age:${recipient};`);
    });
  }

  it('the wrapped key in the stage file opens with age -d -i to the stage private key of its publicKey', () => {
    const file = stageFile();
    const record = file.identities.find((r) => r.type === 'age')!;
    expect(record.recipient).toBe(recipient);
    const privateKey = execFileSync('age', ['-d', '-i', keyFile], { input: Buffer.from(record.wrapped, 'base64') });
    expect(privateKey.length).toBe(32);
    expect(x25519PublicKey(privateKey)).toBe(file.publicKey);
    privateKey.fill(0);
  });

  it('a stage key wrapped by age -r (armored or not) opens the stage through stage-secrets', async () => {
    const original = fs.readFileSync(ws.stageFile('dev'), 'utf8');
    const file = stageFile();
    const record = file.identities.find((r) => r.type === 'age')!;
    const privateKey = execFileSync('age', ['-d', '-i', keyFile], { input: Buffer.from(record.wrapped, 'base64') });
    try {
      for (const armor of [false, true]) {
        const args = ['-r', recipient, ...(armor ? ['-a'] : [])];
        const byAge = execFileSync('age', args, { input: privateKey });
        // the record holds the binary age file: an armored one is decoded the way age itself reads it
        const binary = armor
          ? Buffer.from(
              byAge
                .toString('utf8')
                .replace(/-----[A-Z ]+-----/g, '')
                .replace(/\s+/g, ''),
              'base64',
            )
          : byAge;
        record.wrapped = binary.toString('base64');
        const onlyAge = { ...file, identities: [record] };
        fs.writeFileSync(ws.stageFile('dev'), JSON.stringify(onlyAge, null, 2));
        const r = await ws.run(['verify', '--stage', 'dev'], { env: { ...bare, STAGE_SECRETS_AGE_KEY_FILE: keyFile } });
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toContain(`opened with age:${recipient}; 1 of 1 secrets OK`);
      }
    } finally {
      privateKey.fill(0);
      fs.writeFileSync(ws.stageFile('dev'), original);
    }
  });
});
