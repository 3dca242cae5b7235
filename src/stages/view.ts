import { createHash } from 'node:crypto';
import { publicKeyFingerprint } from '../core/crypto.js';
import { parseEntryFile } from '../core/entry-file.js';
import { isStageSecretsError } from '../core/errors.js';
import type { SecretEntry, StageFile } from '../core/format.js';
import { keylessTrustText, whoText } from './identity-trust.js';
import { parseStageText } from './stage-text.js';

/**
 * A stage file as review reads it (git's textconv): no key needed and no ciphertext shown. One line per
 * fact, one line per secret, no column padding, so a change touches only the lines of what changed.
 */

/** First 16 hex digits of the SHA-256 of the stage public key: which key the values are sealed to. */
export const keyFingerprint = publicKeyFingerprint;

/** First 12 hex digits of the SHA-256 of the sealed value (epk, nonce, ciphertext, tag): changes with every set. */
export function sealedDigest(entry: SecretEntry): string {
  const hash = createHash('sha256');
  for (const part of [entry.epk, entry.nonce, entry.ct, entry.tag]) hash.update(Buffer.from(part, 'base64'));
  return hash.digest('hex').slice(0, 12);
}

/** Without the key a tag is not checked (a writer can make up a well-formed one): "tagged (unverified)", never "approved". */
export function secretLine(name: string, entry: SecretEntry): string {
  const approval = entry.approved ? 'tagged (unverified)' : 'pending';
  return `${name}  ${entry.type}${refText(entry)}  ${entry.updated}  ${approval}  ${sealedDigest(entry)}`;
}

/** A reference's mark: its target is sealed, so a changed digest is all a keyless view shows of a new target. */
function refText(entry: SecretEntry): string {
  return entry.ref === true ? '  reference (target sealed)' : '';
}

const UNCHECKED_POLICY = 'tagged (unverified): every name allowed if the tag verifies';

export function stageView(file: StageFile): string {
  const names = Object.keys(file.secrets).sort();
  const secretsLine =
    file.version === 3 ? `secrets: one file per secret in ${file.stage}/` : `secrets: ${names.length}`;
  return [
    `app: ${file.app}`,
    `stage: ${file.stage}`,
    `key: ${keyFingerprint(file.publicKey)}`,
    ...file.identities.map((r) => `identity: ${r.id}  ${whoText(r)}  ${keylessTrustText(r)}`),
    `policy: ${file.policy ? `${file.policy.mode}, ${UNCHECKED_POLICY}` : 'names need approval'}`,
    // only from the first revocation on, so the view of a file that never revoked stays as it was
    ...(file.approvalEpoch ? [`approval epoch: ${file.approvalEpoch.epoch}`] : []),
    ...(file.allowedRefs ? [`reference targets: ${file.allowedRefs.prefixes.join(', ')}, tagged (unverified)`] : []),
    secretsLine,
    ...names.map((name) => secretLine(name, file.secrets[name]!)),
    '',
  ].join('\n');
}

/** One v3 entry file as review reads it; git names the file (and so the secret) in the diff's header. */
export function entryView(entry: SecretEntry): string {
  const approval = entry.approved ? 'tagged (unverified)' : 'pending';
  return `${entry.type}${refText(entry)}  ${entry.updated}  sealed to ${entry.sealedTo ?? '?'}  ${approval}  ${sealedDigest(entry)}\n`;
}

/**
 * The view of a file's text: a stage file or v3 header, or a v3 entry file (an object without
 * `version`); a file that does not parse gives a one-line notice (its content never shown).
 */
export function stageViewOfText(text: string, where: string): string {
  if (!/"version"\s*:/.test(text) && /"sealedTo"\s*:/.test(text)) {
    try {
      return entryView(parseEntryFile(text, where));
    } catch (err) {
      const reason = isStageSecretsError(err) ? err.message : 'it could not be read';
      return `(not a readable secret entry: ${reason.replace(/\s+/g, ' ')})\n`;
    }
  }
  let file: StageFile;
  try {
    file = parseStageText(text, where);
  } catch (err) {
    const reason = isStageSecretsError(err) ? err.message : 'it could not be read';
    return `(not a readable stage file: ${reason.replace(/\s+/g, ' ')})\n`;
  }
  return stageView(file);
}
