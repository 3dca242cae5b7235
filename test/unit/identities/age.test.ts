import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod/v3';
import { generateStageKeyPair } from '../../../src/core/crypto.js';
import { identityFields } from '../../../src/core/format.js';
import { ageKind, type AgeIdentityRecord } from '../../../src/identities/age.js';
import type { StageContext } from '../../../src/identities/types.js';
import { usageMessage } from '../../support/errors.js';

async function person(): Promise<{ key: string; recipient: string }> {
  const key = await generateX25519Identity();
  return { key, recipient: await identityToRecipient(key) };
}

describe('age identity kind', () => {
  let dir: string;
  /** no identity source at all: an empty config home, no variables */
  let none: NodeJS.ProcessEnv;
  const pair = generateStageKeyPair();
  const ctx: StageContext = { app: 'shop', stage: 'dev', publicKey: pair.publicKey.toString('base64') };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'age-kind-'));
    none = { XDG_CONFIG_HOME: path.join(dir, 'config'), HOME: dir };
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const wrapTo = async (recipient: string) => {
    const r = await ageKind.recipient({ type: 'age', recipient }, none);
    return (await r.wrap(pair.privateKey, ctx)).record as AgeIdentityRecord;
  };
  const unwrap = async (record: AgeIdentityRecord, env: NodeJS.ProcessEnv) =>
    (await ageKind.identity(record, env)).unwrap(ctx);

  it('wraps to a recipient without any private key; the record is the schema and opens with the identity', async () => {
    const alice = await person();
    const record = await wrapTo(alice.recipient);
    expect(record).toMatchObject({ type: 'age', id: `age:${alice.recipient}`, recipient: alice.recipient });
    expect(Buffer.from(record.wrapped, 'base64').subarray(0, 22).toString()).toBe('age-encryption.org/v1\n');
    expect(ageKind.recordSchema(z, identityFields).safeParse(record).success).toBe(true);
    const key = await unwrap(record, { ...none, STAGE_SECRETS_AGE_KEY: alice.key });
    expect(key.equals(pair.privateKey)).toBe(true);
  });

  it('finds the identity in each source: the variable, its _FILE, SOPS_AGE_KEY_FILE, the sops default', async () => {
    const alice = await person();
    const other = await person();
    const record = await wrapTo(alice.recipient);
    const file = path.join(dir, 'keys.txt');
    // as age-keygen writes it, with another key first
    fs.writeFileSync(
      file,
      `# created: 2026-01-01T00:00:00Z\n# public key: ${other.recipient}\n${other.key}\n\n` +
        `# public key: ${alice.recipient}\n${alice.key}\n`,
    );
    for (const env of [
      { STAGE_SECRETS_AGE_KEY: `${alice.key}\n` },
      { STAGE_SECRETS_AGE_KEY_FILE: file },
      { SOPS_AGE_KEY_FILE: file },
    ]) {
      expect(
        (await unwrap(record, { ...none, ...env })).equals(pair.privateKey),
        JSON.stringify(Object.keys(env)),
      ).toBe(true);
    }
    fs.mkdirSync(path.join(dir, 'config', 'sops', 'age'), { recursive: true });
    fs.copyFileSync(file, path.join(dir, 'config', 'sops', 'age', 'keys.txt'));
    expect((await unwrap(record, none)).equals(pair.privateKey)).toBe(true);
  });

  it('without the matching identity: KEY_MISSING naming the recipient and where keys go, no key text', async () => {
    const alice = await person();
    const bob = await person();
    const record = await wrapTo(alice.recipient);
    const err = await unwrap(record, { ...none, STAGE_SECRETS_AGE_KEY: bob.key }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'KEY_MISSING' });
    expect((err as Error).message).toContain(alice.recipient);
    expect((err as Error).message).toMatch(/STAGE_SECRETS_AGE_KEY_FILE/);
    expect((err as Error).message).not.toContain(bob.key);
    const named = await unwrap(record, { ...none, SOPS_AGE_KEY_FILE: path.join(dir, 'absent.txt') }).catch(
      (e: unknown) => e,
    );
    expect((named as Error).message).toMatch(/cannot read .*absent\.txt \(ENOENT\)/);
  });

  it('a changed wrapped key is INTEGRITY; a line that is no identity is named by number, not quoted', async () => {
    const alice = await person();
    const record = await wrapTo(alice.recipient);
    const bytes = Buffer.from(record.wrapped, 'base64');
    bytes[bytes.length - 1] ^= 1;
    const env = { ...none, STAGE_SECRETS_AGE_KEY: alice.key };
    await expect(unwrap({ ...record, wrapped: bytes.toString('base64') }, env)).rejects.toMatchObject({
      code: 'INTEGRITY',
    });
    const junk = 'not-a-key-Zq9xW';
    const err = await unwrap(record, { ...none, STAGE_SECRETS_AGE_KEY: `${junk}\n` }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/line 1 of env STAGE_SECRETS_AGE_KEY is not an age X25519 identity/);
    expect((err as Error).message).not.toContain(junk);
  });

  it('turns --age (repeatable) and --age-file (comments, blank lines) into one spec per recipient', async () => {
    const [a, b, c] = await Promise.all([person(), person(), person()]);
    const file = path.join(dir, 'team.txt');
    fs.writeFileSync(file, `# the team\n${b.recipient}\n\n  ${c.recipient}\n`);
    expect(ageKind.specsFrom({ age: [a.recipient, b.recipient], 'age-file': file }, 'rewrap')).toEqual(
      [a, b, c].map((p) => ({ type: 'age', recipient: p.recipient })),
    );
    expect(ageKind.specsFrom({}, 'rewrap')).toEqual([]);
  });

  it('refuses what is not an X25519 recipient, never quoting it (a secret key pasted by mistake)', async () => {
    const alice = await person();
    const secret = usageMessage(() => ageKind.specsFrom({ age: [alice.key] }, 'rewrap'));
    expect(secret).toMatch(/age secret key, not a recipient.*age-keygen -y/);
    expect(secret).not.toContain(alice.key);
    const lower = usageMessage(() => ageKind.specsFrom({ age: [alice.key.toLowerCase()] }, 'rewrap'));
    expect(lower).not.toContain(alice.key.toLowerCase());
    const plugin = `age1yubikey1${'q'.repeat(59)}`;
    expect(usageMessage(() => ageKind.specsFrom({ age: [plugin] }, 'rewrap'))).toMatch(/plugin.*not supported/);
    expect(usageMessage(() => ageKind.specsFrom({ age: ['age1short'] }, 'rewrap'))).toMatch(/"age1" and 58 more/);
    const file = path.join(dir, 'bad.txt');
    fs.writeFileSync(file, `${alice.recipient}\n# ok\n${alice.key}\n`);
    const inFile = usageMessage(() => ageKind.specsFrom({ 'age-file': file }, 'rewrap'));
    expect(inFile).toMatch(/line 3 of --age-file/);
    expect(inFile).not.toContain(alice.key);
  });

  it('refuses a recipient with a bad checksum when wrapping', async () => {
    const alice = await person();
    const last = alice.recipient.at(-1) === 'q' ? 'p' : 'q';
    const typo = `${alice.recipient.slice(0, -1)}${last}`;
    await expect(wrapTo(typo)).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/checksum/) });
  });

  it('keeps its variables from run, masks every form of the keys run read, says what removal leaves', async () => {
    const alice = await person();
    const record = await wrapTo(alice.recipient);
    expect(ageKind.isKeyVariable!('STAGE_SECRETS_AGE_KEY')).toBe(true);
    expect(ageKind.isKeyVariable!('stage_secrets_age_key_file')).toBe(true);
    expect(ageKind.isKeyVariable!('SOPS_AGE_KEY_FILE')).toBe(false);
    const file = path.join(dir, 'keys.txt');
    fs.writeFileSync(file, `# public key: ${alice.recipient}\n${alice.key}\n`);
    const texts = ageKind.keyTexts!([record], { ...none, SOPS_AGE_KEY_FILE: file });
    expect(texts).toContain(alice.key);
    expect(texts).toContain(alice.key.toLowerCase());
    expect(ageKind.keyTexts!([], { ...none, SOPS_AGE_KEY_FILE: file })).toEqual([]);
    expect(ageKind.removalNotice!(record, 'dev')).toMatch(/keeps what they already read.*rotate --stage dev/);
    expect(ageKind.describe(record)).toBe(`age recipient ${alice.recipient}`);
    expect(ageKind.lambdaRuntime).toBe(false);
  });
});
