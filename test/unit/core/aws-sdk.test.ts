import { describe, expect, it } from 'vitest';
import { envEndpoint } from '../../../src/core/aws-sdk.js';

describe('envEndpoint', () => {
  it("takes the service's own variable first, then AWS_ENDPOINT_URL, else none", () => {
    const env = { AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:1', AWS_ENDPOINT_URL: 'http://127.0.0.1:2' };
    expect(envEndpoint(env, 'AWS_ENDPOINT_URL_SSM')).toBe('http://127.0.0.1:1');
    expect(envEndpoint(env, 'AWS_ENDPOINT_URL_SECRETS_MANAGER')).toBe('http://127.0.0.1:2');
    expect(envEndpoint({ AWS_ENDPOINT_URL_SSM: '' }, 'AWS_ENDPOINT_URL_SSM')).toBeUndefined();
  });

  it('gives none when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true, as the SDK does', () => {
    const env = { AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:1', AWS_ENDPOINT_URL: 'http://127.0.0.1:2' };
    expect(
      envEndpoint({ ...env, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'TRUE' }, 'AWS_ENDPOINT_URL_SSM'),
    ).toBeUndefined();
    expect(envEndpoint({ ...env, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'false' }, 'AWS_ENDPOINT_URL_SSM')).toBe(
      'http://127.0.0.1:1',
    );
  });
});
