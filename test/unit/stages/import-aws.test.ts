import { describe, expect, it } from 'vitest';
import {
  parseAwsSource,
  planFromParameters,
  planFromSecret,
  secretNameFor,
  secretsOf,
} from '../../../src/stages/import-aws.js';

describe('parseAwsSource', () => {
  it('reads ssm:/PATH/ (trailing slash dropped) and secretsmanager:ID', () => {
    expect(parseAwsSource('ssm:/legacy/app/')).toEqual({ kind: 'ssm', path: '/legacy/app' });
    expect(parseAwsSource('ssm:/')).toEqual({ kind: 'ssm', path: '/' });
    expect(parseAwsSource('secretsmanager:arn:aws:secretsmanager:us-east-1:1:secret:prod/app-Ab12')).toMatchObject({
      kind: 'secretsmanager',
    });
  });

  it('refuses other schemes and paths that are not absolute', () => {
    expect(() => parseAwsSource('s3://bucket/x')).toThrow(/ssm:\/PATH\/ or secretsmanager:ID/);
    expect(() => parseAwsSource('ssm:legacy/app')).toThrow(/starts with \//);
    expect(() => parseAwsSource('ssm:/a//b')).toThrow(/starts with \//);
    expect(() => parseAwsSource('secretsmanager:')).toThrow(/secret name or ARN/);
  });
});

describe('secretNameFor', () => {
  it('keeps letters and digits, one _ for every other run, upper-cased', () => {
    expect(secretNameFor('db-url')).toBe('DB_URL');
    expect(secretNameFor('stripe/webhook.secret')).toBe('STRIPE_WEBHOOK_SECRET');
    expect(secretNameFor('--odd__name--')).toBe('ODD_NAME');
    expect(secretNameFor('-._')).toBe('');
  });
});

describe('planFromParameters', () => {
  it('names each parameter by what follows the path; a value is kept when read', () => {
    const plan = planFromParameters('/legacy/app', [
      { name: '/legacy/app/db-url', value: 'x' },
      { name: '/legacy/app/a/b' },
    ]);
    expect(plan.problems).toEqual([]);
    expect(plan.found).toEqual([
      { from: '/legacy/app/db-url', name: 'DB_URL', type: 'string', value: 'x' },
      { from: '/legacy/app/a/b', name: 'A_B', type: 'string' },
    ]);
  });

  it('lists collisions, invalid and reserved names and empty values, never a value', () => {
    const plan = planFromParameters('/p', [
      { name: '/p/db-url', value: 'v1' },
      { name: '/p/db_url', value: 'v2' },
      { name: '/p/9lives', value: 'v3' },
      { name: '/p/path', value: 'v4' },
      { name: '/p/---', value: 'v5' },
      { name: '/p/empty', value: '' },
    ]);
    expect(plan.problems.join('\n')).toMatch(/\/p\/db-url and \/p\/db_url: all map to DB_URL/);
    expect(plan.problems.join('\n')).toContain('/p/9lives: invalid secret name "9LIVES"');
    expect(plan.problems.join('\n')).toMatch(/\/p\/path: PATH would change how the build runs/);
    expect(plan.problems.join('\n')).toContain('/p/---: no letter or digit to name it by');
    expect(plan.problems.join('\n')).toContain('/p/empty (EMPTY): empty value');
    expect(plan.problems.join('\n')).not.toMatch(/v[1-5]/);
  });

  it('a plan read without values cannot be written', () => {
    expect(() => secretsOf(planFromParameters('/p', [{ name: '/p/a' }]))).toThrow(/no value was read/);
  });
});

describe('planFromSecret', () => {
  it('a JSON object: one secret per key, typed by its value', () => {
    const plan = planFromSecret('prod/app', '{"username":"u","port":5432,"tls":{"on":true},"flag":false}', undefined);
    expect(plan.problems).toEqual([]);
    expect(secretsOf(plan)).toEqual([
      { name: 'USERNAME', type: 'string', value: 'u' },
      { name: 'PORT', type: 'number', value: '5432' },
      { name: 'TLS', type: 'json', value: '{"on":true}' },
      { name: 'FLAG', type: 'json', value: 'false' },
    ]);
  });

  it('with --as, the whole text as one secret: json for an object or array, else string', () => {
    expect(secretsOf(planFromSecret('s', '{"a":1}', 'ALL'))).toEqual([{ name: 'ALL', type: 'json', value: '{"a":1}' }]);
    expect(secretsOf(planFromSecret('s', 'plain\ntext', 'PEM'))).toEqual([
      { name: 'PEM', type: 'string', value: 'plain\ntext' },
    ]);
  });

  it('text that is no JSON object, without --as, is refused asking for it', () => {
    expect(() => planFromSecret('s', 'plain', undefined)).toThrow(/--as NAME/);
    expect(() => planFromSecret('s', '[1,2]', undefined)).toThrow(/--as NAME/);
  });
});
