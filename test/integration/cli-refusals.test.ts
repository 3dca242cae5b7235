import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../support/cli.js';

/** The CLI as a process refusing what it must: bad input, damaged or tampered stage files, key material read as names. */

describe('CLI: bad input never changes the stage file', () => {
  let ws: Workspace;
  let before: string;
  const stage = ['--stage', 'dev'];
  beforeAll(async () => {
    ws = makeWorkspace();
    await ws.run(['init', ...stage]);
    await ws.run(['set', ...stage, 'A', 'alpha-value']);
    await ws.run(['set', ...stage, 'B', 'beta-value']);
    before = ws.snapshot('dev');
  });
  afterAll(() => ws.cleanup());

  const cases: Array<[string, string[], RegExp, string?]> = [
    ['invalid name', ['set', '--stage', 'dev', '9LIVES', 'v'], /invalid secret name/],
    ['reserved Lambda name', ['set', '--stage', 'dev', 'AWS_REGION', 'v'], /reserved by AWS Lambda/],
    [
      'build-hijacking name',
      ['set', '--stage', 'dev', 'NODE_OPTIONS', '--', '--require=/tmp/x.js'],
      /build-hijacking/,
      '/tmp/x.js',
    ],
    [
      'value that looks like a flag',
      ['set', '--stage', 'dev', 'FLAGGY', '--hunter2-password'],
      /starts with - goes after --/,
      'hunter2',
    ],
    ['case-only clash', ['set', '--stage', 'dev', 'a', 'v'], /differs from a only in case/],
    [
      'oversized value',
      ['set', '--stage', 'dev', 'BIG', 'Q'.repeat(10_001)],
      /10001 characters; the limit is 10000/,
      'QQQQQQQQ',
    ],
    ['bad JSON', ['set', '--stage', 'dev', 'J', '{"open": ', '--type', 'json'], /not valid JSON/, '"open"'],
    [
      'bad number',
      ['set', '--stage', 'dev', 'N', 'twelve', '--type', 'number'],
      /not a finite decimal number/,
      'twelve',
    ],
    ['bad type', ['set', '--stage', 'dev', 'T', 'v', '--type', 'blob'], /--type must be one of/],
    ['missing stage flag', ['set', 'X', 'v'], /needs --stage/],
    ['missing stage file', ['set', '--stage', 'prod', 'X', 'v'], /no stage file secrets\/prod\.json/],
    ['bad stage name', ['list', '--stage', '../etc'], /invalid stage name/],
  ];
  for (const [label, args, message, leaked] of cases) {
    it(`${label}: exit 1, clear message, file unchanged`, async () => {
      const r = await ws.run(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      if (leaked) expect(r.stderr).not.toContain(leaked);
      expect(ws.snapshot('dev')).toBe(before);
    });
  }

  it('an empty stdin value is refused', async () => {
    const r = await ws.run(['set', ...stage, 'EMPTY'], { input: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/value of EMPTY is empty/);
  });
});

describe('CLI: damaged and tampered stage files', () => {
  let ws: Workspace;
  let good: string;
  beforeAll(async () => {
    ws = makeWorkspace();
    await ws.run(['init', '--stage', 'dev']);
    await ws.run(['set', '--stage', 'dev', 'A', 'alpha-value']);
    await ws.run(['set', '--stage', 'dev', 'B', 'beta-value']);
    good = ws.snapshot('dev');
  });
  afterAll(() => ws.cleanup());

  /** the good stage as one object, to tamper with */
  function goodDoc() {
    ws.restore('dev', good);
    return ws.readStage('dev');
  }

  async function verifyWith(text: string | Record<string, unknown>) {
    if (typeof text === 'string') ws.restore('dev', text);
    else ws.writeStage('dev', text);
    try {
      return await ws.run(['verify', '--stage', 'dev']);
    } finally {
      ws.restore('dev', good);
    }
  }

  it('ciphertexts swapped between two keys fail integrity (exit 2) and name both', async () => {
    const file = goodDoc();
    [file.secrets.A, file.secrets.B] = [
      { ...file.secrets.B, type: 'string' },
      { ...file.secrets.A, type: 'string' },
    ];
    const r = await verifyWith(file);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/integrity check failed: A, B/);
    expect(r.stdout + r.stderr).not.toMatch(/alpha-value|beta-value/);
  });

  it('a ciphertext copied from another stage fails integrity (exit 2)', async () => {
    await ws.run(['init', '--stage', 'prod']);
    await ws.run(['set', '--stage', 'prod', 'A', 'prod-alpha']);
    const prod = ws.readStage('prod');
    const file = goodDoc();
    file.secrets.A = prod.secrets.A;
    const r = await verifyWith(file);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/1 of 2 secrets OK/);
  });

  it('a changed type field fails integrity (exit 2)', async () => {
    const file = goodDoc();
    file.secrets.A.type = 'json';
    const r = await verifyWith(file);
    expect(r.code).toBe(2);
  });

  it('a truncated file is exit 2 and names the file', async () => {
    const header = fs.readFileSync(ws.stageFile('dev'), 'utf8');
    const r = await verifyWith(header.slice(0, Math.floor(header.length * 0.6)));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/secrets\/dev\.json is not valid JSON/);
    const entry = fs.readFileSync(path.join(ws.dir, 'secrets/dev/A.json'), 'utf8');
    fs.writeFileSync(path.join(ws.dir, 'secrets/dev/A.json'), entry.slice(0, 40));
    const torn = await ws.run(['verify', '--stage', 'dev']);
    ws.restore('dev', good);
    expect(torn.code).toBe(2);
    expect(torn.stderr).toMatch(/secrets\/dev\/A\.json is not valid JSON/);
  });

  it('a changed publicKey is caught when opening (exit 2)', async () => {
    const file = goodDoc();
    const prod = ws.readStage('prod');
    file.publicKey = prod.publicKey;
    const r = await verifyWith(file);
    expect(r.code).toBe(2);
  });

  it('a reserved name slipped into the file by hand is refused when opening (exit 2)', async () => {
    const file = goodDoc();
    file.secrets.NODE_OPTIONS = file.secrets.A;
    const r = await verifyWith(file);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/NODE_OPTIONS.*stage-secrets rm --stage dev NODE_OPTIONS/);
  });
});

describe('CLI: import refuses key material read as names', () => {
  let ws: Workspace;
  const stage = ['--stage', 'dev'];
  // Not a real key: base64-looking lines shaped like a PEM body. Line 4 ends in "==", so dotenv reads
  // "q7Xz9K2mWbC1dE" as a name; line 7 (an unquoted wrapped base64 value) becomes a 68-character name.
  const body = ['MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDZ3k9Q8vJrT2xL', 'q7Xz9K2mWbC1dE=='];
  const wrapped = [
    'ewogICJ0eXBlIjogInNlcnZpY2VfYWNjb3VudCIsCiAgInByb2plY3RfaWQiOiAi',
    'bXlwcm9qZWN0LTEyMzQ1NiIsCiAgInByaXZhdGVfa2V5X2lkIjogImFiYzEyMyIKfQo=',
  ];
  const unquoted = [
    'STRIPE_KEY=sk_test_1',
    'TLS_KEY=-----BEGIN PRIVATE KEY-----',
    ...body,
    '-----END PRIVATE KEY-----',
    `GCP_SA_KEY=${wrapped[0]}`,
    wrapped[1],
    'DB_URL=postgres://db',
    '',
  ].join('\n');

  beforeAll(async () => {
    ws = makeWorkspace();
    expect((await ws.run(['init', ...stage])).code).toBe(0);
  });
  afterAll(() => ws.cleanup());

  it('an unquoted multi-line PEM or base64 value: exit 1, line numbers only, nothing imported', async () => {
    fs.writeFileSync(path.join(ws.dir, 'pem.env'), unquoted);
    const before = ws.snapshot('dev');
    const r = await ws.run(['import', ...stage, 'pem.env']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/pem\.env looks like it holds key material outside quotes; nothing was imported/);
    expect(r.stderr).toMatch(/line 2: a value that begins a PEM block/);
    expect(r.stderr).toMatch(/line 4: a line inside a -----BEGIN\/-----END block was read as a name/);
    expect(r.stderr).toMatch(/line 7: a name that looks like base64 key material/);
    expect(r.stderr).toMatch(/double quotes/);
    for (const line of [...body, ...wrapped]) {
      expect(r.stderr).not.toContain(line.replace(/=+$/, '').slice(0, 12));
    }
    expect(ws.snapshot('dev')).toBe(before);
    const list = await ws.run(['list', ...stage]);
    expect(list.stdout).not.toMatch(/q7Xz9|bXlwcm9q/);
  });

  it('the same values in double quotes, and ordinary names, import as they are', async () => {
    const quoted = [
      'STRIPE_KEY=sk_test_1',
      `TLS_KEY="-----BEGIN PRIVATE KEY-----\n${body.join('\n')}\n-----END PRIVATE KEY-----"`,
      `GCP_SA_KEY="${wrapped.join('\n')}"`,
      'DB_URL=postgres://db',
      'A1B2C3=x',
      'databaseConnectionString=x',
      'OAuth2ClientSecretV2Token=x',
      'GitHubAppPrivateKeyPEM=x',
      'DATABASEPASSWORD=x',
      '',
    ].join('\n');
    fs.writeFileSync(path.join(ws.dir, 'quoted.env'), quoted);
    const r = await ws.run(['import', ...stage, 'quoted.env']);
    expect(r.code, r.stderr).toBe(0);
    const list = await ws.run(['list', ...stage, '--json']);
    const names = (JSON.parse(list.stdout) as Array<{ name: string }>).map((s) => s.name).sort();
    expect(names).toEqual(
      [
        'A1B2C3',
        'DATABASEPASSWORD',
        'DB_URL',
        'GCP_SA_KEY',
        'GitHubAppPrivateKeyPEM',
        'OAuth2ClientSecretV2Token',
        'STRIPE_KEY',
        'TLS_KEY',
        'databaseConnectionString',
      ].sort(),
    );
  });
});
