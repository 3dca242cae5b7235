import { describe, expect, it } from 'vitest';
import { serializeStageFile, type StageFile } from '../../../src/core/format.js';
import { keyFingerprint, sealedDigest, stageViewOfText } from '../../../src/stages/view.js';

const file: StageFile = {
  version: 2,
  app: 'shop',
  stage: 'prod',
  publicKey: Buffer.alloc(32, 7).toString('base64'),
  policy: { mode: 'open', tag: Buffer.alloc(32, 9).toString('base64') },
  identities: [
    {
      type: 'local',
      id: 'local:0011223344556677',
      created: '2026-01-01T00:00:00.000Z',
      fingerprint: '0011223344556677',
      nonce: Buffer.alloc(12).toString('base64'),
      wrapped: Buffer.alloc(32).toString('base64'),
      tag: Buffer.alloc(16).toString('base64'),
    },
  ],
  secrets: {
    ZED: {
      type: 'json',
      updated: '2026-02-02T00:00:00.000Z',
      epk: Buffer.alloc(32, 1).toString('base64'),
      nonce: Buffer.alloc(12, 2).toString('base64'),
      ct: Buffer.from('ciphertext-bytes').toString('base64'),
      tag: Buffer.alloc(16, 3).toString('base64'),
    },
    API_KEY: {
      type: 'string',
      updated: '2026-02-01T00:00:00.000Z',
      epk: Buffer.alloc(32, 4).toString('base64'),
      nonce: Buffer.alloc(12, 5).toString('base64'),
      ct: Buffer.from('other').toString('base64'),
      tag: Buffer.alloc(16, 6).toString('base64'),
      approved: Buffer.alloc(32, 8).toString('base64'),
    },
  },
};

describe('stageView', () => {
  it('shows the header and one line per secret, sorted, without ciphertext', () => {
    const view = stageViewOfText(serializeStageFile(file), 'f');
    expect(view).toBe(
      [
        'app: shop',
        'stage: prod',
        `key: ${keyFingerprint(file.publicKey)}`,
        'identity: local:0011223344556677  local key fingerprint 0011223344556677  NOT CONFIRMED (no key holder tag)',
        'policy: open, tagged (unverified): every name allowed if the tag verifies',
        'secrets: 2',
        `API_KEY  string  2026-02-01T00:00:00.000Z  tagged (unverified)  ${sealedDigest(file.secrets.API_KEY!)}`,
        `ZED  json  2026-02-02T00:00:00.000Z  pending  ${sealedDigest(file.secrets.ZED!)}`,
        '',
      ].join('\n'),
    );
    expect(keyFingerprint(file.publicKey)).toMatch(/^[0-9a-f]{16}$/);
    expect(sealedDigest(file.secrets.ZED!)).toMatch(/^[0-9a-f]{12}$/);
    expect(view).not.toContain(file.secrets.ZED!.ct);
  });

  it('gives a one-line notice for a file that does not parse', () => {
    const view = stageViewOfText('{"app": "sk-live-123', 'f');
    expect(view.split('\n').filter(Boolean)).toHaveLength(1);
    expect(view).toMatch(/^\(not a readable stage file: /);
    expect(view).not.toContain('sk-live');
  });
});
