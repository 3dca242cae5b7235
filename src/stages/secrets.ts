import { Sealer } from '../core/crypto.js';
import { StageSecretsError } from '../core/errors.js';
import type { SecretEntry, StageFile } from '../core/format.js';
import { assertKeyName } from '../core/names.js';
import { normalizeValue, type SecretType } from '../core/values.js';
import type { StageOptions } from './options.js';
import { requireCurrent, storeFor } from './read.js';
import { valueAad } from './sealing.js';

export interface NewSecret {
  name: string;
  type: SecretType;
  /** as typed by the user; checked and normalised here */
  value: string;
}

function sameNameOtherCase(names: Iterable<string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const existing of names) if (existing !== name && existing.toLowerCase() === lower) return existing;
  return undefined;
}

/** Seals new or replaced secrets with the public key only. All or nothing: one bad entry, no write. */
export async function setSecrets(opts: StageOptions, secrets: NewSecret[]): Promise<{ added: string[]; replaced: string[] }> {
  const normalized = secrets.map((s) => {
    assertKeyName(s.name);
    return { ...s, value: normalizeValue(s.name, s.type, s.value) };
  });
  const batchNames = new Map<string, string>();
  for (const s of normalized) {
    const clash = batchNames.get(s.name.toLowerCase());
    if (clash !== undefined && clash !== s.name) {
      throw new StageSecretsError('INVALID_NAME', `${clash} and ${s.name} differ only in case; pick one name.`);
    }
    batchNames.set(s.name.toLowerCase(), s.name);
  }
  const store = storeFor(opts);
  const added: string[] = [];
  const replaced: string[] = [];
  await store.update(opts.stage, (found) => {
    const current = requireCurrent(found, opts, store);
    const sealer = new Sealer(Buffer.from(current.publicKey, 'base64'));
    const updated = new Date().toISOString();
    const next: StageFile = { ...current, secrets: { ...current.secrets } };
    for (const s of normalized) {
      const clash = sameNameOtherCase(Object.keys(current.secrets), s.name);
      if (clash) {
        throw new StageSecretsError(
          'INVALID_NAME',
          `stage ${opts.stage} already has ${clash}, which differs from ${s.name} only in case; use the same spelling or rm ${clash} first.`,
        );
      }
      (Object.hasOwn(current.secrets, s.name) ? replaced : added).push(s.name);
      const entry: SecretEntry = { type: s.type, updated, ...sealer.seal(valueAad(current, s.name, s.type), s.value) };
      next.secrets[s.name] = entry;
    }
    return next;
  });
  return { added, replaced };
}

/** Removes secrets by name; an unknown name writes nothing. */
export async function removeSecrets(opts: StageOptions, names: string[]): Promise<void> {
  const store = storeFor(opts);
  await store.update(opts.stage, (found) => {
    const current = requireCurrent(found, opts, store);
    const next: StageFile = { ...current, secrets: { ...current.secrets } };
    for (const name of names) {
      if (!Object.hasOwn(next.secrets, name)) {
        const other = sameNameOtherCase(Object.keys(next.secrets), name);
        const hint = other ? `; it has ${other} (names are case-sensitive)` : `; see stage-secrets list --stage ${opts.stage}`;
        throw new StageSecretsError('NOT_FOUND', `stage ${opts.stage} has no secret named ${name}${hint}.`);
      }
      delete next.secrets[name];
    }
    return next;
  });
}
