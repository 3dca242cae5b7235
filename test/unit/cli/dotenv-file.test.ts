import { createHash } from 'node:crypto';
import { parse as parseDotenv } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { keyMaterialProblems, looksLikeKeyMaterial } from '../../../src/cli/dotenv-file.js';

const problemsOf = (text: string) => keyMaterialProblems(text, parseDotenv(text));

describe('import: names that look like key material', () => {
  it('keeps names people write', () => {
    const names = [
      'STRIPE_KEY',
      'DB_URL',
      'A1B2C3',
      'K',
      'apiKey',
      'DATABASEPASSWORD',
      'databaseConnectionString',
      'OAuth2ClientSecretV2Token',
      'GitHubAppPrivateKeyPEM',
      'IPv4AddressOfDb1Server',
      'X509CertificateChain',
      'ReactAppFirebaseApiKey',
      'MyS3IAMRoleARNForCI',
      'VERY_LONG_NAME_WITH_UNDERSCORES_THAT_GOES_ON_AND_ON_FOR_A_WHILE',
      'q7Xz9K2mWbC1dE', // short names are judged by their line, not alone
    ];
    for (const name of names) expect(looksLikeKeyMaterial(name), name).toBe(false);
  });

  it('catches base64 runs without underscores: 40+ characters always, 20+ when they read as random', () => {
    const names = [
      'bXlwcm9qZWN0LTEyMzQ1NiIsCiAgInByaXZhdGVfa2V5X2lkIjogImFiYzEyMyIKfQo',
      'Tm90QVJlYWxLZXkxMjM0NQ',
      'aB1cD2eF3gH4iJ5kL6mN7',
      'A'.repeat(40),
    ];
    for (const name of names) expect(looksLikeKeyMaterial(name), name).toBe(true);
  });

  it('catches at least 99% of random 64-character base64 lines and most random 24-character ones', () => {
    // Deterministic "random" base64: SHA-256 of a counter. Names must start with a letter: x.
    const sample = (length: number) =>
      Array.from({ length: 2000 }, (_, i) => {
        let s = '';
        for (let k = 0; s.length < length; k++)
          s += createHash('sha256')
            .update(`${length}/${i}/${k}`)
            .digest('base64')
            .replace(/[^A-Za-z0-9]/g, '');
        return `x${s.slice(1, length)}`;
      });
    const caught = (names: string[]) => names.filter(looksLikeKeyMaterial).length / names.length;
    expect(caught(sample(64))).toBe(1);
    expect(caught(sample(24))).toBeGreaterThan(0.8);
  });

  it('names lines inside an unquoted PEM block, and a PEM value cut to its first line', () => {
    const text =
      'A=1\nKEY=-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\nQzA1Nw==\n-----END RSA PRIVATE KEY-----\nB=2\n';
    expect(problemsOf(text)).toEqual([
      { line: 2, problem: expect.stringMatching(/begins a PEM block/) },
      { line: 4, problem: expect.stringMatching(/inside a -----BEGIN\/-----END block/) },
    ]);
  });

  it('finds nothing in a file with quoted multi-line values, comments, export and the YAML-ish form', () => {
    const text = [
      '# a comment',
      'export DB_URL=postgres://db',
      'KEY="-----BEGIN PRIVATE KEY-----',
      'MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu',
      'QzA1Nw==',
      '-----END PRIVATE KEY-----"',
      "SINGLE='-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----'",
      'ESCAPED="-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----"',
      'YAML_STYLE: v',
      'AFTER=1',
    ].join('\n');
    expect(Object.keys(parseDotenv(text))).toEqual(['DB_URL', 'KEY', 'SINGLE', 'ESCAPED', 'YAML_STYLE', 'AFTER']);
    expect(problemsOf(text)).toEqual([]);
  });

  it('counts lines the same with CRLF line ends', () => {
    const text = 'A=1\r\nKEY=-----BEGIN PRIVATE KEY-----\r\nQzA1Nw==\r\n-----END PRIVATE KEY-----\r\n';
    expect(problemsOf(text).map((p) => p.line)).toEqual([2, 3]);
  });
});
