import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { aeadOpen, aeadSeal, associatedData, fingerprint, hkdf, FORMAT_TAG } from '../core/crypto.js';
import { StageSecretsError } from '../core/errors.js';
import type { z } from 'zod/v3';
import { log } from '../core/log.js';
import { isStageKeyEnvName, stageKeyEnvName } from '../core/names.js';
import type { Identity, IdentityKind, IdentitySpec, Recipient, RecordFields, StageContext } from './types.js';

/** The stage private key wrapped by a local key (AES-256-GCM under a key derived from the local key). */
function recordSchema(zod: typeof z, f: RecordFields) {
  return zod.strictObject({
    type: zod.literal('local'),
    id: f.id,
    created: f.created,
    // names the key file: anything but hex could point the read outside the keys folder
    fingerprint: zod.string().regex(/^[0-9a-f]{16}$/, 'malformed fingerprint'),
    nonce: f.base64.length(16, 'nonce is not 12 bytes'),
    wrapped: f.base64.length(44, 'wrapped key is not 32 bytes'),
    tag: f.base64.length(24, 'tag is not 16 bytes'),
    auth: f.auth,
  });
}

export type LocalIdentityRecord = z.infer<ReturnType<typeof recordSchema>>;

const KEY_PREFIX = 'stage-secrets-key-1:';

export function keysDir(env: NodeJS.ProcessEnv = process.env): string {
  const config = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(config, 'stage-secrets', 'keys');
}

function keyFilePath(fp: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(keysDir(env), `${fp}.key`);
}

function localKeyFingerprint(key: Buffer): string {
  return fingerprint('stage-secrets local key', key);
}

function formatLocalKey(key: Buffer): string {
  return `${KEY_PREFIX}${key.toString('base64url')}`;
}

/** Parses the text of a key file or env var; undefined when it is not a local key. */
function parseLocalKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith(KEY_PREFIX)) return undefined;
  const body = trimmed.slice(KEY_PREFIX.length);
  if (!/^[A-Za-z0-9_-]{43}$/.test(body)) return undefined;
  return Buffer.from(body, 'base64url');
}

function wrapKey(localKey: Buffer): Buffer {
  return hkdf(localKey, Buffer.alloc(0), `${FORMAT_TAG} local-wrap`);
}

function wrapAad(ctx: StageContext): Buffer {
  return associatedData(['wrap', ctx.app, ctx.stage, ctx.publicKey]);
}

function seal(
  localKey: Buffer,
  fp: string,
  privateKey: Buffer,
  ctx: StageContext,
  created: string,
): LocalIdentityRecord {
  const box = aeadSeal(wrapKey(localKey), wrapAad(ctx), privateKey);
  return {
    type: 'local',
    id: `local:${fp}`,
    created,
    fingerprint: fp,
    nonce: box.nonce.toString('base64'),
    wrapped: box.ct.toString('base64'),
    tag: box.tag.toString('base64'),
  };
}

interface FoundKey {
  key: Buffer;
  source: string;
}

/** The fingerprint of the local key in the stage's env var, when it holds one (never the key itself). */
function localKeyInEnv(stage: string, env: NodeJS.ProcessEnv): { envName: string; fingerprint: string } | undefined {
  const envName = stageKeyEnvName(stage);
  const key = env[envName] ? parseLocalKey(env[envName]) : undefined;
  return key && { envName, fingerprint: localKeyFingerprint(key) };
}

/** Finds the local key with this fingerprint: the stage env var first, then the key file. */
function findLocalKey(fp: string, stage: string, env: NodeJS.ProcessEnv): FoundKey {
  const envName = stageKeyEnvName(stage);
  const fromEnv = env[envName];
  let envNote = '';
  if (fromEnv) {
    const key = parseLocalKey(fromEnv);
    if (!key) {
      envNote = ` ${envName} is set but does not hold a stage-secrets key (it should start with "${KEY_PREFIX}").`;
    } else if (localKeyFingerprint(key) === fp) {
      return { key, source: `env ${envName}` };
    } else {
      envNote = ` ${envName} holds key local:${localKeyFingerprint(key)}, not local:${fp}.`;
    }
  }
  const file = keyFilePath(fp, env);
  let text: string;
  try {
    const stat = fs.statSync(file);
    if (stat.isFile() && (stat.mode & 0o077) !== 0) {
      log().warn(
        `key file ${file} is readable by other users (mode ${(stat.mode & 0o777).toString(8)}); run chmod 600 ${file}`,
      );
    }
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new StageSecretsError(
        'KEY_MISSING',
        `stage ${stage} needs local key local:${fp}, which is not here.${envNote} Set ${envName} to the key (in CI, from a masked secret) or put the key file at ${file}.`,
      );
    }
    throw new StageSecretsError(
      'KEY_MISSING',
      `cannot read key file ${file} (${code ?? 'error'}); check its owner and permissions.${envNote}`,
    );
  }
  const key = parseLocalKey(text);
  if (!key || localKeyFingerprint(key) !== fp) {
    throw new StageSecretsError(
      'KEY_MISSING',
      `key file ${file} does not hold key local:${fp}; it is damaged or was replaced.`,
    );
  }
  return { key, source: `key file ${file}` };
}

/**
 * The texts to mask for a key text (a key file's content or a key variable's): the text and each of its
 * lines as they are, and the key itself (with or without its prefix) when the text holds one.
 */
function localKeyTextForms(text: string): string[] {
  const forms = new Set<string>([text.trim()]);
  for (const line of text.split(/\r?\n|\r/)) forms.add(line.trim());
  const key = parseLocalKey(text);
  if (key) {
    forms.add(formatLocalKey(key));
    forms.add(key.toString('base64url'));
  }
  forms.delete('');
  return [...forms];
}

const KEY_FILE_MAX_BYTES = 4096;

/**
 * The content of the key file of each local identity in `records` that this machine has: what opening
 * the stage may have read. Silent and best-effort (a missing, odd or oversized file is skipped): the
 * caller only masks these texts, and opening the stage already reported any problem with them.
 */
function localKeyFileTexts(records: readonly LocalIdentityRecord[], env: NodeJS.ProcessEnv): string[] {
  const texts: string[] = [];
  for (const record of records) {
    const file = keyFilePath(record.fingerprint, env);
    try {
      const stat = fs.statSync(file);
      if (stat.isFile() && stat.size <= KEY_FILE_MAX_BYTES) texts.push(fs.readFileSync(file, 'utf8'));
    } catch {
      // no key file here: nothing was read from it
    }
  }
  return texts;
}

/** Makes a new local key (written to the keys folder, 0600) and wraps the stage key with it. */
function newLocalRecipient(env: NodeJS.ProcessEnv): Recipient {
  return {
    async wrap(privateKey, ctx) {
      const localKey = randomBytes(32);
      const fp = localKeyFingerprint(localKey);
      const file = keyFilePath(fp, env);
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        fs.writeFileSync(file, `${formatLocalKey(localKey)}\n`, { mode: 0o600, flag: 'wx' });
      } catch (err) {
        throw new StageSecretsError(
          'IO',
          `cannot write key file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`,
          { cause: err },
        );
      }
      const envName = stageKeyEnvName(ctx.stage);
      const notice = [
        `New local key local:${fp} saved to ${file} (mode 0600). Keep it out of git.`,
        `To let CI read stage ${ctx.stage}, store the file's content as a masked CI secret named ${envName},`,
        `e.g. GitHub: gh secret set ${envName} < ${file}`,
        `Anyone holding this key can read every secret of stage ${ctx.stage}. This is shown once.`,
      ].join('\n');
      return { record: seal(localKey, fp, privateKey, ctx, new Date().toISOString()), notice };
    },
  };
}

/** Wraps a new stage key for an existing local identity (rotate): its key must be here. */
function localRecipient(record: LocalIdentityRecord, env: NodeJS.ProcessEnv): Recipient {
  return {
    async wrap(privateKey, ctx) {
      const { key } = findLocalKey(record.fingerprint, ctx.stage, env);
      return { record: seal(key, record.fingerprint, privateKey, ctx, record.created) };
    },
  };
}

function localIdentity(record: LocalIdentityRecord, env: NodeJS.ProcessEnv): Identity {
  return {
    description: `local key ${record.id}`,
    async unwrap(ctx) {
      const fp = record.fingerprint;
      const { key } = findLocalKey(fp, ctx.stage, env);
      const plain = aeadOpen(wrapKey(key), wrapAad(ctx), {
        nonce: Buffer.from(record.nonce, 'base64'),
        ct: Buffer.from(record.wrapped, 'base64'),
        tag: Buffer.from(record.tag, 'base64'),
      });
      if (!plain) {
        throw new StageSecretsError(
          'INTEGRITY',
          `the wrapped key of identity local:${fp} failed its integrity check: the stage file was changed or copied from another app or stage.`,
        );
      }
      return plain;
    },
  };
}

/** The texts of every stage key variable in an env (of any stage: the child does not get them, but may find them). */
function stageKeyVariableTexts(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env).flatMap(([name, value]) => (isStageKeyEnvName(name) && value ? [value] : []));
}

export const localKind: IdentityKind<LocalIdentityRecord> = {
  type: 'local',
  recordSchema,
  flags: [
    {
      name: 'local',
      type: 'boolean',
      help: "a new local key in ~/.config/stage-secrets/keys (init's default)",
    },
  ],
  specsFrom: (values) => (values.local ? [{ type: 'local' }] : []),
  lambdaRuntime: false,
  wrappedKey: (record) => record.wrapped,
  keyHere: true,
  initDefault: true,
  canTryQuickly: () => true,
  identity: async (record, env) => localIdentity(record, env),
  recipient: async (target: IdentitySpec | LocalIdentityRecord, env) =>
    'id' in target ? localRecipient(target as LocalIdentityRecord, env) : newLocalRecipient(env),
  describe: (record) => `local key ${record.id}`,
  blobFields: ['nonce', 'wrapped', 'tag'],
  idOf: (record) => `local:${record.fingerprint}`,
  whoFields: (record) => [['local key fingerprint', record.fingerprint]],
  strayKey(records, stage, env) {
    const fromEnv = localKeyInEnv(stage, env);
    if (!fromEnv || records.some((r) => r.fingerprint === fromEnv.fingerprint)) return undefined;
    return {
      holder: `${fromEnv.envName} holds local key local:${fromEnv.fingerprint}`,
      fix: ` If ${fromEnv.envName} holds a key removed from the stage on purpose (rewrap --remove), unset it instead.`,
    };
  },
  isKeyVariable: isStageKeyEnvName,
  keyTexts: (records, env) =>
    [...stageKeyVariableTexts(env), ...localKeyFileTexts(records, env)].flatMap(localKeyTextForms),
};
