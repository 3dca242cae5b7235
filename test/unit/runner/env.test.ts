import { describe, expect, it } from 'vitest';
import type { SecretValue } from '../../../src/core/values.js';
import { runEnvMacMatches } from '../../../src/core/run-env.js';
import { childEnv, type RunProof } from '../../../src/runner/env.js';
import { maskTexts, MIN_MASK_LENGTH, unmaskedSecrets } from '../../../src/core/mask-texts.js';

const secrets = (entries: Record<string, SecretValue>) => new Map(Object.entries(entries));
const PROOF: RunProof = {
  stageFile: '/repo/secrets/prod-eu.json',
  tokenFile: '/tmp/stage-secrets-run-x/token',
  token: Buffer.alloc(32, 7),
};

describe('childEnv', () => {
  it('puts secrets over inherited variables, adds the stage and key names, and passes on no stage key', () => {
    const env = childEnv(
      {
        ...{ HOME: '/h', API_TOKEN: 'inherited' },
        ...{ STAGE_SECRETS_KEY_PROD_EU: 'key', STAGE_SECRETS_KEY_DEV: 'other', stage_secrets_key_x: 'k' },
      },
      secrets({ API_TOKEN: { type: 'string', text: 'from-stage' }, PORT: { type: 'number', text: '5432' } }),
      'prod-eu',
      PROOF,
    );
    expect(env.API_TOKEN).toBe('from-stage');
    expect(env.PORT).toBe('5432');
    expect(env.HOME).toBe('/h');
    expect(env.STAGE_SECRETS_STAGE).toBe('prod-eu');
    expect(env.STAGE_SECRETS_KEYS).toBe('API_TOKEN,PORT');
    expect('STAGE_SECRETS_KEY_PROD_EU' in env).toBe(false);
    expect(Object.keys(env).filter((k) => /^stage_secrets_key_/i.test(k))).toEqual([]);
  });

  it('names the stage file and the token file, and sets a MAC over the stage file, stage, names and values', () => {
    const values = secrets({
      API_TOKEN: { type: 'string', text: 'from-stage' },
      PORT: { type: 'number', text: '5432' },
    });
    const env = childEnv({ STAGE_SECRETS_RUN_MAC: 'stale', STAGE_SECRETS_FILE: '/old' }, values, 'prod-eu', PROOF);
    expect(env.STAGE_SECRETS_FILE).toBe(PROOF.stageFile);
    expect(env.STAGE_SECRETS_RUN_TOKEN).toBe(PROOF.tokenFile);
    const claim = {
      stageFile: PROOF.stageFile,
      stage: 'prod-eu',
      values: new Map([
        ['API_TOKEN', 'from-stage'],
        ['PORT', '5432'],
      ]),
    };
    expect(runEnvMacMatches(PROOF.token, claim, env.STAGE_SECRETS_RUN_MAC!)).toBe(true);
    expect(runEnvMacMatches(Buffer.alloc(32, 8), claim, env.STAGE_SECRETS_RUN_MAC!)).toBe(false);
    expect(env.STAGE_SECRETS_RUN_MAC).not.toContain('from-stage');
  });

  it('refuses a value with a NUL byte, naming the secret only', () => {
    expect(() => childEnv({}, secrets({ BAD: { type: 'string', text: 'x\0hidden' } }), 'dev', PROOF)).toThrow(
      /^the value of BAD contains a NUL character[\s\S]*$/,
    );
    try {
      childEnv({}, secrets({ BAD: { type: 'string', text: 'x\0hidden' } }), 'dev', PROOF);
    } catch (err) {
      expect((err as Error).message).not.toContain('hidden');
    }
  });
});

describe('maskTexts and unmaskedSecrets', () => {
  it(`masks values of ${MIN_MASK_LENGTH}+ characters and names the shorter ones`, () => {
    const all = secrets({
      LONG: { type: 'string', text: 'abcd' },
      SHORT: { type: 'string', text: 'abc' },
      N: { type: 'number', text: '42' },
    });
    expect(maskTexts(all)).toEqual(['abcd']);
    expect(unmaskedSecrets(all)).toEqual(['SHORT', 'N']);
  });

  it('counts characters, not UTF-16 units', () => {
    expect(unmaskedSecrets(secrets({ E: { type: 'string', text: '😀😀😀' } }))).toEqual(['E']);
  });

  it('masks JSON compact and each string leaf of 4+ characters', () => {
    const text = JSON.stringify({
      user: 'admin',
      pw: 'p@ss"word',
      n: 12345,
      short: 'ab',
      nested: [{ k: 'deep-value' }],
    });
    const texts = maskTexts(secrets({ DB: { type: 'json', text } }));
    expect(texts).toEqual(expect.arrayContaining([text, 'admin', 'p@ss"word', 'p@ss\\"word', 'deep-value']));
    expect(texts).not.toContain('ab');
    expect(texts).not.toContain('12345');
  });

  it('masks each line of a multi-line value and its JSON-escaped form', () => {
    const pem = '-----BEGIN KEY-----\nMIIBVwIBADANBgkq\nab\n-----END KEY-----\n';
    const texts = maskTexts(secrets({ PEM: { type: 'string', text: pem } }));
    expect(texts).toEqual(
      expect.arrayContaining([pem, JSON.stringify(pem).slice(1, -1), 'MIIBVwIBADANBgkq', '-----END KEY-----']),
    );
    expect(texts).not.toContain('ab');
  });
});
