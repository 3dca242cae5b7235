import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  aeadOpen,
  aeadSeal,
  associatedData,
  generateStageKeyPair,
  Opener,
  publicKeyOf,
  Sealer,
} from '../../../src/core/crypto.js';

describe('stage keypair', () => {
  it('derives the public key from the private key', () => {
    const pair = generateStageKeyPair();
    expect(pair.publicKey).toHaveLength(32);
    expect(pair.privateKey).toHaveLength(32);
    expect(publicKeyOf(pair.privateKey).equals(pair.publicKey)).toBe(true);
    expect(publicKeyOf(generateStageKeyPair().privateKey).equals(pair.publicKey)).toBe(false);
  });

  it('derives what a PKCS#8 import of the same raw key gives, edge values included', () => {
    const pkcs8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
    const viaDer = (raw: Buffer) =>
      createPublicKey(createPrivateKey({ key: Buffer.concat([pkcs8, raw]), format: 'der', type: 'pkcs8' }))
        .export({ format: 'der', type: 'spki' })
        .subarray(12);
    for (const raw of [
      Buffer.alloc(32, 0),
      Buffer.alloc(32, 0xff),
      ...Array.from({ length: 20 }, () => randomBytes(32)),
    ])
      expect(publicKeyOf(raw).equals(viaDer(raw)), raw.toString('hex')).toBe(true);
    expect(() => publicKeyOf(Buffer.alloc(31))).toThrow(/not 32 bytes/);
  });
});

describe('sealing values', () => {
  const pair = generateStageKeyPair();
  const aad = associatedData(['value', 'app', 'dev', 'API_KEY', 'string']);

  it('round-trips through Sealer and Opener, unicode included', () => {
    const sealed = new Sealer(pair.publicKey).seal(aad, 'sk-ünïcödé-🔑');
    expect(new Opener(pair.privateKey, pair.publicKey).open(aad, sealed)).toBe('sk-ünïcödé-🔑');
  });

  it('gives a new ciphertext for the same value (random nonce, new ephemeral key per Sealer)', () => {
    const a = new Sealer(pair.publicKey).seal(aad, 'same');
    const b = new Sealer(pair.publicKey).seal(aad, 'same');
    expect(a.epk).not.toBe(b.epk);
    expect(a.ct).not.toBe(b.ct);
  });

  it('shares one ephemeral key within a batch but never a nonce', () => {
    const sealer = new Sealer(pair.publicKey);
    const a = sealer.seal(aad, 'one');
    const b = sealer.seal(aad, 'two');
    expect(a.epk).toBe(b.epk);
    expect(a.nonce).not.toBe(b.nonce);
  });

  it('refuses a value moved to another name, stage, app or type', () => {
    const sealed = new Sealer(pair.publicKey).seal(aad, 'secret');
    const opener = new Opener(pair.privateKey, pair.publicKey);
    for (const parts of [
      ['value', 'app', 'dev', 'OTHER', 'string'],
      ['value', 'app', 'prod', 'API_KEY', 'string'],
      ['value', 'other', 'dev', 'API_KEY', 'string'],
      ['value', 'app', 'dev', 'API_KEY', 'json'],
    ]) {
      expect(opener.open(associatedData(parts), sealed)).toBeUndefined();
    }
  });

  it('refuses a flipped bit in ciphertext, tag or nonce, and the wrong private key', () => {
    const sealed = new Sealer(pair.publicKey).seal(aad, 'secret value');
    const opener = new Opener(pair.privateKey, pair.publicKey);
    const flip = (b64: string) => {
      const buf = Buffer.from(b64, 'base64');
      buf[0]! ^= 1;
      return buf.toString('base64');
    };
    expect(opener.open(aad, { ...sealed, ct: flip(sealed.ct) })).toBeUndefined();
    expect(opener.open(aad, { ...sealed, tag: flip(sealed.tag) })).toBeUndefined();
    expect(opener.open(aad, { ...sealed, nonce: flip(sealed.nonce) })).toBeUndefined();
    expect(opener.open(aad, { ...sealed, epk: flip(sealed.epk) })).toBeUndefined();
    const other = generateStageKeyPair();
    expect(new Opener(other.privateKey, pair.publicKey).open(aad, sealed)).toBeUndefined();
  });

  it('refuses an all-zero (low-order) ephemeral key instead of deriving a known key', () => {
    const sealed = new Sealer(pair.publicKey).seal(aad, 'x');
    const zero = Buffer.alloc(32).toString('base64');
    expect(new Opener(pair.privateKey, pair.publicKey).open(aad, { ...sealed, epk: zero })).toBeUndefined();
  });
});

describe('aead helpers', () => {
  it('authenticates the associated data', () => {
    const key = Buffer.alloc(32, 7);
    const box = aeadSeal(key, Buffer.from('a'), Buffer.from('payload'));
    expect(aeadOpen(key, Buffer.from('a'), box)?.toString()).toBe('payload');
    expect(aeadOpen(key, Buffer.from('b'), box)).toBeUndefined();
  });

  it('encodes associated data so fields cannot run into each other', () => {
    expect(associatedData(['ab', 'c']).equals(associatedData(['a', 'bc']))).toBe(false);
  });
});
