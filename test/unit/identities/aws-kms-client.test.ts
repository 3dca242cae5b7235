import { afterEach, describe, expect, it } from 'vitest';
import { kmsClient } from '../../../src/identities/aws-kms-client.js';

const SETTINGS = { maxAttempts: 1, timeoutMs: 1000 };
const NAMES = ['AWS_ENDPOINT_URL_KMS', 'AWS_ENDPOINT_URL', 'AWS_PROFILE', 'AWS_ACCESS_KEY_ID'] as const;
const saved = Object.fromEntries(NAMES.map((n) => [n, process.env[n]]));

afterEach(() => {
  for (const n of NAMES) {
    if (saved[n] === undefined) delete process.env[n];
    else process.env[n] = saved[n];
  }
});

describe('kmsClient', () => {
  it('reuses one client while the endpoint and credentials it was built from stay', async () => {
    process.env.AWS_ENDPOINT_URL_KMS = 'http://127.0.0.1:1';
    expect(await kmsClient('eu-west-1', SETTINGS)).toBe(await kmsClient('eu-west-1', SETTINGS));
  });

  it('builds a new client when the KMS endpoint, the general endpoint or the credentials changed (the SDK reads them when built)', async () => {
    process.env.AWS_ENDPOINT_URL_KMS = 'http://127.0.0.1:1';
    const first = await kmsClient('eu-west-1', SETTINGS);
    process.env.AWS_ENDPOINT_URL_KMS = 'http://127.0.0.1:2';
    const second = await kmsClient('eu-west-1', SETTINGS);
    expect(second).not.toBe(first);
    delete process.env.AWS_ENDPOINT_URL_KMS;
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:3';
    const third = await kmsClient('eu-west-1', SETTINGS);
    expect(third).not.toBe(second);
    process.env.AWS_ACCESS_KEY_ID = 'AKIDOTHER';
    expect(await kmsClient('eu-west-1', SETTINGS)).not.toBe(third);
  });
});
