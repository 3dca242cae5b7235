import { describe, expect, it } from 'vitest';
import { parseReferenceTarget, referenceGrants, resolveReferences } from '../../../src/aws/references.js';
import { StageSecretsError } from '../../../src/core/errors.js';
import type { SecretValue } from '../../../src/core/values.js';

function refusal(text: string): StageSecretsError {
  try {
    parseReferenceTarget(text, '--ref');
  } catch (err) {
    expect(err).toBeInstanceOf(StageSecretsError);
    return err as StageSecretsError;
  }
  throw new Error(`${text} was accepted`);
}

describe('parseReferenceTarget', () => {
  it('takes an SSM parameter name', () => {
    expect(parseReferenceTarget('ssm:/org/shared/stripe-key', '--ref')).toEqual({
      store: 'ssm',
      id: '/org/shared/stripe-key',
      text: 'ssm:/org/shared/stripe-key',
    });
    expect(parseReferenceTarget('ssm:/a_b.c-D9', '--ref').id).toBe('/a_b.c-D9');
  });

  it('takes a Secrets Manager name or ARN, with or without #KEY', () => {
    expect(parseReferenceTarget('secretsmanager:prod/db', '--ref')).toEqual({
      store: 'secretsmanager',
      id: 'prod/db',
      text: 'secretsmanager:prod/db',
    });
    expect(parseReferenceTarget('secretsmanager:prod/db#password', '--ref')).toEqual({
      store: 'secretsmanager',
      id: 'prod/db',
      key: 'password',
      text: 'secretsmanager:prod/db#password',
    });
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbC123';
    expect(parseReferenceTarget(`secretsmanager:${arn}#db-port`, '--ref')).toEqual({
      store: 'secretsmanager',
      id: arn,
      key: 'db-port',
      text: `secretsmanager:${arn}#db-port`,
    });
    expect(parseReferenceTarget('secretsmanager:a+b=c.d@e_f-g', '--ref').id).toBe('a+b=c.d@e_f-g');
  });

  it('refuses a folder, a relative name, bad characters and empty parts, naming the flag and the forms', () => {
    for (const text of [
      'ssm:/org/shared/',
      'ssm:org/x',
      'ssm:',
      'ssm:/org//x',
      'ssm:/org/x y',
      'ssm:/org/*',
      'ssm:/org/x:3',
      'ssm:/org/x#k',
      `ssm:${'/a'.repeat(16)}`,
      `ssm:/${'a'.repeat(1011)}`,
      'secretsmanager:',
      'secretsmanager:#key',
      'secretsmanager:prod/db#',
      'secretsmanager:prod/*',
      'secretsmanager:prod db',
      'secretsmanager:prod/$db',
      'secretsmanager:prod/db#a#b',
      'secretsmanager:prod/db#a\nb',
      `secretsmanager:${'a'.repeat(513)}`,
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x',
      's3://bucket/key',
      '/org/x',
      'SSM:/org/x',
      'plain value',
    ]) {
      const err = refusal(text);
      expect(err.code, text).toBe('USAGE');
      expect(err.message, text).toContain('--ref');
      expect(err.message, text).toContain('ssm:/PATH/NAME');
      expect(err.message, text).toContain('secretsmanager:ID[#KEY]');
    }
  });

  it('says why: a folder is not a parameter', () => {
    expect(refusal('ssm:/org/shared/').message).toContain('not a folder');
  });

  it('shortens what it quotes, so a value pasted by mistake does not fill the error', () => {
    const pasted = `x${'y'.repeat(500)}`;
    expect(refusal(pasted).message).not.toContain(pasted);
  });
});

describe('referenceGrants', () => {
  const t = (text: string) => parseReferenceTarget(text, '--ref');

  it('grants ssm:GetParameters on exactly the referenced parameters, in the deploying account and region', () => {
    expect(referenceGrants([t('ssm:/org/a'), t('ssm:/org/b'), t('ssm:/org/a')])).toEqual([
      {
        Effect: 'Allow',
        Action: ['ssm:GetParameters'],
        Resource: [
          { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/org/a' },
          { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/org/b' },
        ],
      },
    ]);
  });

  it('grants secretsmanager:GetSecretValue on a secret ARN as given, and on a name with its 6-character suffix', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbC123';
    expect(
      referenceGrants([
        t(`secretsmanager:${arn}`),
        t('secretsmanager:prod/app#password'),
        t('secretsmanager:prod/app#user'),
      ]),
    ).toEqual([
      {
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue'],
        Resource: [
          arn,
          { 'Fn::Sub': 'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:prod/app-??????' },
        ],
      },
    ]);
  });

  it('never grants on * and names no wildcard but the secret suffix', () => {
    const statements = referenceGrants(
      [t('ssm:/org/a'), t('secretsmanager:prod/app')],
      ['arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'],
    );
    const text = JSON.stringify(statements);
    expect(text).not.toContain('*');
    expect(text.replace('-??????', '')).not.toContain('?');
  });

  it('adds kms:Decrypt on the given customer managed keys, only through the services referenced', () => {
    const key = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const statements = referenceGrants([t('ssm:/org/a')], [key, key]);
    expect(statements[1]).toEqual({
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: [key],
      Condition: { StringEquals: { 'kms:ViaService': [{ 'Fn::Sub': 'ssm.${AWS::Region}.amazonaws.com' }] } },
    });
    expect(referenceGrants([t('ssm:/org/a')])).toHaveLength(1);
  });

  it('refuses a key that is not an ARN (an alias or * would widen the grant)', () => {
    for (const key of ['alias/x', '*', 'arn:aws:kms:us-east-1:123456789012:key/*', '1234abcd']) {
      expect(() => referenceGrants([t('ssm:/org/a')], [key]), key).toThrow(/not a KMS key ARN/);
    }
  });

  it('grants nothing for no target', () => {
    expect(referenceGrants([], ['arn:aws:kms:us-east-1:123456789012:key/abc'])).toEqual([]);
  });
});

describe('resolveReferences without references', () => {
  it('passes values through as the same objects and loads no SDK', async () => {
    const a: SecretValue = { type: 'string', text: 'not-a-ref' };
    const b: SecretValue = { type: 'number', text: '5' };
    const loaded: string[] = [];
    const out = await resolveReferences(
      new Map([
        ['A', a],
        ['B', b],
      ]),
      {},
      { load: (pkg) => loaded.push(pkg) },
    );
    expect([...out.keys()]).toEqual(['A', 'B']);
    expect(out.get('A')).toBe(a);
    expect(out.get('B')).toBe(b);
    expect(loaded).toEqual([]);
  });

  it('refuses a reference whose sealed target is not a reference, naming the secret', async () => {
    const bad = { type: 'string', text: 'ssm:relative', ref: true } as SecretValue;
    await expect(resolveReferences(new Map([['API_KEY', bad]]), {}, { load: () => ({}) })).rejects.toThrow(
      /reference of API_KEY/,
    );
  });
});
