import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { StageSecretsError } from './errors.js';

export const FORMAT_TAG = 'stage-secrets/v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

// DER headers of X25519 keys: raw 32-byte keys are wrapped in them to import without JWK parsing.
const SPKI_X25519_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export interface StageKeyPair {
  publicKey: Buffer; // raw 32 bytes
  privateKey: Buffer; // raw 32 bytes
}

/** One sealed value as stored in a stage file (all base64). */
export interface SealedValue {
  epk: string;
  nonce: string;
  ct: string;
  tag: string;
}

export function generateStageKeyPair(): StageKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  return {
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_X25519_PREFIX.length),
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_X25519_PREFIX.length),
  };
}

function importPublicKey(raw: Buffer): KeyObject {
  if (raw.length !== KEY_BYTES) throw new StageSecretsError('FORMAT', 'public key is not 32 bytes');
  // JWK, not DER: OpenSSL 3 decodes DER through its generic decoder chain, about ten times slower, and
  // `run` imports one ephemeral public key per secret that was set on its own.
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: raw.toString('base64url') }, format: 'jwk' });
}

function importPrivateKey(raw: Buffer): KeyObject {
  if (raw.length !== KEY_BYTES) throw new StageSecretsError('INTEGRITY', 'unwrapped private key is not 32 bytes');
  // JWK first, as for public keys: the first DER import of a process builds OpenSSL 3's decoder chain,
  // about 1.5 ms of every runtime-mode cold start. Node makes a private OKP key from `d` alone (`x`
  // must be a string, and is what publicKeyOf derives); should a Node refuse this JWK, DER it is.
  try {
    return createPrivateKey({
      key: { kty: 'OKP', crv: 'X25519', d: raw.toString('base64url'), x: '' },
      format: 'jwk',
    });
  } catch {
    return createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, raw]), format: 'der', type: 'pkcs8' });
  }
}

/** The raw public key that belongs to a raw private key. */
export function publicKeyOf(privateKey: Buffer): Buffer {
  const { x } = createPublicKey(importPrivateKey(privateKey)).export({ format: 'jwk' });
  return Buffer.from(x ?? '', 'base64url');
}

export function fingerprint(label: string, bytes: Buffer): string {
  return createHash('sha256').update(label).update('\0').update(bytes).digest('hex').slice(0, 16);
}

/**
 * Which public key (base64, as in the header) a value is sealed to: the first 16 hex digits of its
 * SHA-256. Printed by textconv as the stage's `key:` and recorded as `sealedTo` in v3 entry files.
 */
export function publicKeyFingerprint(publicKey: string): string {
  return createHash('sha256').update(Buffer.from(publicKey, 'base64')).digest('hex').slice(0, 16);
}

/**
 * Associated data: a JSON array, so no field can run into the next. FORMAT_TAG is the protocol's tag,
 * not the stage file's format version: the layouts v1-v3 share it, so `upgrade` keeps values and approval
 * tags byte for byte and they still open and verify after it.
 */
export function associatedData(parts: readonly string[]): Buffer {
  return Buffer.from(JSON.stringify([FORMAT_TAG, ...parts]), 'utf8');
}

/** HKDF-SHA256 (RFC 5869) to one 32-byte key. */
export function hkdf(ikm: Buffer, salt: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, KEY_BYTES));
}

export interface AeadBox {
  nonce: Buffer;
  ct: Buffer;
  tag: Buffer;
}

export function aeadSeal(key: Buffer, aad: Buffer, plaintext: Buffer): AeadBox {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { nonce, ct, tag: cipher.getAuthTag() };
}

/** Returns the plaintext, or undefined when authentication fails (callers name what failed). */
export function aeadOpen(key: Buffer, aad: Buffer, box: AeadBox): Buffer | undefined {
  if (box.nonce.length !== NONCE_BYTES || box.tag.length !== TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, box.nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(box.tag);
    const head = decipher.update(box.ct);
    const tail = decipher.final(); // empty for GCM: no second buffer to join
    return tail.length ? Buffer.concat([head, tail]) : head;
  } catch {
    return undefined;
  }
}

function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!;
  return acc === 0;
}

function valueKey(shared: Buffer, epk: Buffer, stagePublicKey: Buffer): Buffer {
  if (isAllZero(shared)) {
    throw new StageSecretsError('INTEGRITY', 'a sealed value uses an invalid ephemeral key');
  }
  return hkdf(shared, Buffer.concat([epk, stagePublicKey]), `${FORMAT_TAG} value-key`);
}

/**
 * The AES key of the values sealed with ephemeral public key `epk` (raw 32 bytes), or undefined when
 * `epk` is not a usable X25519 key. One ECDH and one HKDF: the whole cost of opening a value that was
 * set on its own.
 */
function deriveValueKey(stagePrivateKey: KeyObject, epk: Buffer, stagePublicKey: Buffer): Buffer | undefined {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: stagePrivateKey, publicKey: importPublicKey(epk) });
  } catch {
    return undefined;
  }
  if (isAllZero(shared)) return undefined;
  return valueKey(shared, epk, stagePublicKey);
}

function unusableStageKey(cause?: unknown): StageSecretsError {
  return new StageSecretsError(
    'INTEGRITY',
    'the stage public key is not a usable X25519 public key (a point of small order): the publicKey field of the stage file was damaged or changed. Restore the stage file from git.',
    { cause },
  );
}

let probeKey: KeyObject | undefined;

/**
 * Whether `raw` is a 32-byte X25519 public key that values can be sealed to. Keys of small order (0, 1,
 * the points of order 8, their non-canonical encodings...) give every sender the same all-zero shared
 * secret; Node throws on some and returns zeros on others, so this tries one ECDH with a fixed key of
 * this process and accepts neither.
 */
export function isUsablePublicKey(raw: Buffer): boolean {
  if (raw.length !== KEY_BYTES) return false;
  try {
    probeKey ??= generateKeyPairSync('x25519').privateKey;
    return !isAllZero(diffieHellman({ privateKey: probeKey, publicKey: importPublicKey(raw) }));
  } catch {
    return false;
  }
}

/**
 * Seals values to a stage public key. One ephemeral key per Sealer: a batch (import, rotate) shares
 * one ECDH; each value still has its own random nonce and its own associated data.
 */
export class Sealer {
  private readonly key: Buffer;
  private readonly epk: string;

  constructor(stagePublicKey: Buffer) {
    const eph = generateKeyPairSync('x25519');
    const epkRaw = eph.publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_X25519_PREFIX.length);
    const stageKey = importPublicKey(stagePublicKey);
    let shared: Buffer;
    try {
      shared = diffieHellman({ privateKey: eph.privateKey, publicKey: stageKey });
    } catch (err) {
      throw unusableStageKey(err);
    }
    if (isAllZero(shared)) throw unusableStageKey();
    this.key = valueKey(shared, epkRaw, stagePublicKey);
    this.epk = epkRaw.toString('base64');
  }

  seal(aad: Buffer, plaintext: string): SealedValue {
    const box = aeadSeal(this.key, aad, Buffer.from(plaintext, 'utf8'));
    return {
      epk: this.epk,
      nonce: box.nonce.toString('base64'),
      ct: box.ct.toString('base64'),
      tag: box.tag.toString('base64'),
    };
  }
}

/** Opens values sealed to a stage; one ECDH per distinct ephemeral key. */
export class Opener {
  private readonly privateKey: KeyObject;
  /** value key per ephemeral key (base64 as stored); null: the key is not usable */
  private readonly keys = new Map<string, Buffer | null>();

  constructor(
    privateKey: Buffer,
    private readonly stagePublicKey: Buffer,
  ) {
    this.privateKey = importPrivateKey(privateKey);
  }

  /** Returns the plaintext, or undefined when the value fails authentication. */
  open(aad: Buffer, sealed: SealedValue): string | undefined {
    let key = this.keys.get(sealed.epk);
    if (key === undefined) {
      key = deriveValueKey(this.privateKey, Buffer.from(sealed.epk, 'base64'), this.stagePublicKey) ?? null;
      this.keys.set(sealed.epk, key);
    }
    if (key === null) return undefined;
    const plain = aeadOpen(key, aad, {
      nonce: Buffer.from(sealed.nonce, 'base64'),
      ct: Buffer.from(sealed.ct, 'base64'),
      tag: Buffer.from(sealed.tag, 'base64'),
    });
    return plain?.toString('utf8');
  }
}
