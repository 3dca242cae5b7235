// An age recipient (https://age-encryption.org): the stage private key wrapped as an ordinary age file
// for one person's X25519 public key, so `age -d -i key.txt` opens it too. Uses the age authors' own
// TypeScript library (age-encryption), imported on first use: stages without age never load it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { z } from 'zod/v3';
import { StageSecretsError } from '../core/errors.js';
import type { Identity, IdentityKind, IdentitySpec, Recipient, RecordFields } from './types.js';

type AgeLibrary = typeof import('age-encryption');
const ageLibrary = (): Promise<AgeLibrary> => import('age-encryption');

const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
/** An X25519 recipient as age-keygen prints it: "age1", 52 characters of key, 6 of checksum. */
const RECIPIENT = new RegExp(`^age1[${BECH32}]{58}$`);
const SECRET_KEY = new RegExp(`^AGE-SECRET-KEY-1[${BECH32.toUpperCase()}]{58}$`);
/** an age file for one X25519 recipient of a 32-byte key is about 200 bytes; armor or hand edits stay well below */
const MAX_WRAPPED_CHARS = 8192;
const MAX_KEY_FILE_BYTES = 64 * 1024;

function recordSchema(zod: typeof z, f: RecordFields) {
  const recipient = zod.string().regex(RECIPIENT, 'not an age X25519 recipient (age1...)');
  return zod.strictObject({
    type: zod.literal('age'),
    id: f.id.regex(new RegExp(`^age:age1[${BECH32}]{58}$`), 'age identity id is not age:RECIPIENT'),
    created: f.created,
    recipient,
    /** base64 of the binary age file whose plaintext is the 32-byte stage private key */
    wrapped: f.base64.min(4, 'wrapped key is empty').max(MAX_WRAPPED_CHARS, 'wrapped key longer than any age file'),
    auth: f.auth,
  });
}

export type AgeIdentityRecord = z.infer<ReturnType<typeof recordSchema>>;

/** rewrap/init --age age1... or --age-file FILE */
export interface AgeIdentitySpec extends IdentitySpec {
  type: 'age';
  recipient: string;
}

/** Why a text is not a recipient we wrap to, without quoting it (it may be a secret key pasted by mistake). */
function recipientProblem(text: string): string | undefined {
  if (RECIPIENT.test(text)) return undefined;
  if (SECRET_KEY.test(text.toUpperCase()) || /^AGE-(SECRET|PLUGIN)-/i.test(text)) {
    return (
      'it is an age secret key, not a recipient: give its public key (age-keygen -y KEY_FILE), ' +
      'and treat that key as seen by whoever saw this command'
    );
  }
  if (/^age1[a-z0-9]+1/.test(text) && !/^age1[a-z0-9]{58}$/.test(text)) {
    return (
      'plugin, post-quantum and tag recipients (age1yubikey1..., age1pq1..., age1tag1...) are not supported: ' +
      'give an X25519 recipient (age-keygen)'
    );
  }
  return 'an age X25519 recipient is "age1" and 58 more characters, as age-keygen prints it';
}

function checkRecipient(text: string, where: string): string {
  const problem = recipientProblem(text);
  if (problem) throw new StageSecretsError('USAGE', `${where} is not an age recipient: ${problem}.`);
  return text;
}

/** The recipients of an --age-file: one a line; blank lines and # comments allowed. */
function recipientsInFile(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new StageSecretsError('USAGE', `cannot read --age-file ${file} (${code}).`);
  }
  const recipients: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    recipients.push(checkRecipient(line, `line ${index + 1} of --age-file ${file}`));
  });
  if (recipients.length === 0) throw new StageSecretsError('USAGE', `--age-file ${file} holds no recipient.`);
  return recipients;
}

/** One age identity (secret key) found on this machine, with where it came from (never the key in a message). */
interface FoundIdentity {
  key: string;
  recipient: string;
  from: string;
}

interface KeyPlace {
  from: string;
  text?: string;
  file?: string;
  /** a file the user named: its absence is worth saying */
  named?: boolean;
}

/** Where identities are looked for, in order; each is read when set or present. */
function keyPlaces(env: NodeJS.ProcessEnv): KeyPlace[] {
  const config = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  const places: KeyPlace[] = [];
  const text = env.STAGE_SECRETS_AGE_KEY;
  if (text) places.push({ from: 'env STAGE_SECRETS_AGE_KEY', text });
  for (const name of ['STAGE_SECRETS_AGE_KEY_FILE', 'SOPS_AGE_KEY_FILE']) {
    const file = env[name];
    if (file) places.push({ from: `key file ${file} ($${name})`, file, named: true });
  }
  const sopsDefault = path.join(config, 'sops', 'age', 'keys.txt');
  places.push({ from: `key file ${sopsDefault}`, file: sopsDefault });
  return places;
}

/** The text of a key file, or undefined when there is none (a default path that does not exist). */
function readKeyFile(file: string, notes: string[], required: boolean): string | undefined {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile() || stat.size > MAX_KEY_FILE_BYTES) {
      notes.push(`${file} is not an age key file (not a regular file, or over ${MAX_KEY_FILE_BYTES} bytes)`);
      return undefined;
    }
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' || required) notes.push(`cannot read ${file} (${code ?? 'error'})`);
    return undefined;
  }
}

/**
 * The X25519 identities in a key text as age-keygen writes it: AGE-SECRET-KEY-1 lines, # comments and
 * blank lines. Plugin identities (AGE-PLUGIN-...) are skipped: they need the plugin program.
 */
function keysInText(text: string, from: string, notes: string[]): string[] {
  const keys: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('AGE-PLUGIN-')) return;
    if (SECRET_KEY.test(line)) keys.push(line);
    else notes.push(`line ${index + 1} of ${from} is not an age X25519 identity (AGE-SECRET-KEY-1...)`);
  });
  return keys;
}

async function findIdentities(env: NodeJS.ProcessEnv, notes: string[]): Promise<FoundIdentity[]> {
  const { identityToRecipient } = await ageLibrary();
  const found: FoundIdentity[] = [];
  for (const { from, text, file, named } of keyPlaces(env)) {
    const content = text ?? (file ? readKeyFile(file, notes, named === true) : undefined);
    if (content === undefined) continue;
    for (const key of keysInText(content, from, notes)) {
      try {
        found.push({ key, recipient: await identityToRecipient(key), from });
      } catch {
        notes.push(`an identity in ${from} is damaged (its checksum does not match)`);
      }
    }
  }
  return found;
}

async function wrapFor(recipient: string, privateKey: Buffer): Promise<string> {
  const { Encrypter } = await ageLibrary();
  const encrypter = new Encrypter();
  try {
    encrypter.addRecipient(recipient);
  } catch {
    throw new StageSecretsError('USAGE', `age recipient ${recipient} has a bad checksum: it was mistyped or cut.`);
  }
  return Buffer.from(await encrypter.encrypt(new Uint8Array(privateKey))).toString('base64');
}

function newRecipient(spec: AgeIdentitySpec): Recipient {
  return {
    async wrap(privateKey, ctx) {
      const recipient = checkRecipient(spec.recipient, 'the --age value');
      const record: AgeIdentityRecord = {
        type: 'age',
        id: `age:${recipient}`,
        created: new Date().toISOString(),
        recipient,
        wrapped: await wrapFor(recipient, privateKey),
      };
      const notice =
        `Stage ${ctx.stage} key wrapped for age recipient ${recipient}. Its holder opens the stage with the ` +
        'matching age identity in STAGE_SECRETS_AGE_KEY_FILE, SOPS_AGE_KEY_FILE or ~/.config/sops/age/keys.txt ' +
        '(or its text in STAGE_SECRETS_AGE_KEY), and can read every secret of the stage.';
      return { record, notice };
    },
  };
}

function existingRecipient(record: AgeIdentityRecord): Recipient {
  return {
    async wrap(privateKey) {
      return { record: { ...record, wrapped: await wrapFor(record.recipient, privateKey) } };
    },
  };
}

function ageIdentity(record: AgeIdentityRecord, env: NodeJS.ProcessEnv): Identity {
  return {
    description: ageKind.describe(record),
    async unwrap(ctx) {
      const notes: string[] = [];
      const mine = (await findIdentities(env, notes)).filter((found) => found.recipient === record.recipient);
      if (mine.length === 0) {
        const detail = notes.length ? ` (${notes.join('; ')})` : '';
        throw new StageSecretsError(
          'KEY_MISSING',
          `stage ${ctx.stage} has age recipient ${record.recipient}, whose identity is not here${detail}. ` +
            'Put the key file (age-keygen -o) in STAGE_SECRETS_AGE_KEY_FILE or SOPS_AGE_KEY_FILE or at ' +
            '~/.config/sops/age/keys.txt, or its text in STAGE_SECRETS_AGE_KEY.',
        );
      }
      const { Decrypter } = await ageLibrary();
      const decrypter = new Decrypter();
      decrypter.addIdentity(mine[0]!.key);
      let plain: Uint8Array;
      try {
        plain = await decrypter.decrypt(new Uint8Array(Buffer.from(record.wrapped, 'base64')));
      } catch {
        throw new StageSecretsError(
          'INTEGRITY',
          `the wrapped key of identity ${record.id} does not open with its age identity from ${mine[0]!.from}: ` +
            'the stage file was changed. Restore it from git.',
        );
      }
      if (plain.length !== 32) {
        throw new StageSecretsError(
          'INTEGRITY',
          `identity ${record.id} unwraps something that is not a stage key; restore the stage file from git.`,
        );
      }
      return Buffer.from(plain);
    },
  };
}

/**
 * Every form of the age keys in a text that a child could print: each key, in either case (bech32 is
 * read in both). Comments and public keys are not secret and stay readable.
 */
function keyTextForms(text: string): string[] {
  const forms = new Set<string>();
  for (const line of text.split(/\r?\n|\r/)) {
    const trimmed = line.trim();
    if (!SECRET_KEY.test(trimmed.toUpperCase())) continue;
    forms.add(trimmed);
    forms.add(trimmed.toUpperCase());
    forms.add(trimmed.toLowerCase());
    forms.add(trimmed.slice('AGE-SECRET-KEY-1'.length));
  }
  return [...forms];
}

export const ageKind: IdentityKind<AgeIdentityRecord, AgeIdentitySpec> = {
  type: 'age',
  recordSchema,
  flags: [
    {
      name: 'age',
      type: 'string',
      multiple: true,
      value: 'age1...',
      help: "a person's age public key (X25519, from age-keygen); needs no private key",
    },
    {
      name: 'age-file',
      type: 'string',
      value: 'FILE',
      help: 'age recipients, one a line (# comments and blank lines allowed)',
    },
  ],
  specsFrom(values) {
    const given = Array.isArray(values.age) ? values.age : typeof values.age === 'string' ? [values.age] : [];
    const recipients = given.map((text, i) =>
      checkRecipient(text.trim(), given.length > 1 ? `--age value ${i + 1}` : 'the --age value'),
    );
    if (typeof values['age-file'] === 'string') recipients.push(...recipientsInFile(values['age-file']));
    return [...new Set(recipients)].map((recipient) => ({ type: 'age', recipient }));
  },
  lambdaRuntime: false,
  wrappedKey: (record) => record.wrapped,
  canTryQuickly: () => true,
  identity: async (record, env) => ageIdentity(record, env),
  recipient: async (target, _env) =>
    'id' in target ? existingRecipient(target as AgeIdentityRecord) : newRecipient(target as AgeIdentitySpec),
  describe: (record) => `age recipient ${record.recipient}`,
  blobFields: ['wrapped'],
  idOf: (record) => `age:${record.recipient}`,
  whoFields: (record) => [['age recipient', record.recipient]],
  removalNotice: (record, stage) =>
    `removed age recipient ${record.recipient}. Whoever holds its identity keeps what they already read, and can ` +
    `still open the stage key from older versions of the stage file in git; to shut them out of the values from ` +
    `now on, run: npx --no-install stage-secrets rotate --stage ${stage} (then set again any secret they knew).`,
  isKeyVariable: (name) => name.toUpperCase().startsWith('STAGE_SECRETS_AGE_KEY'),
  keyTexts(records, env) {
    const texts: string[] = [];
    if (env.STAGE_SECRETS_AGE_KEY) texts.push(env.STAGE_SECRETS_AGE_KEY);
    // the files are read only when the stage has an age recipient
    if (records.length) {
      for (const { file } of keyPlaces(env)) {
        const text = file ? readKeyFile(file, [], false) : undefined;
        if (text !== undefined) texts.push(text);
      }
    }
    return texts.flatMap(keyTextForms);
  },
};
