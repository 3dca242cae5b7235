/**
 * The check after packaging on zips made by the `zip` tool (stored, deflated, zip64), without a framework:
 * what it recognises, what it lets through, and the patterns it adds.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StageFile } from '../../../src/core/format.js';
import { RUNTIME_BUNDLE_FORMAT } from '../../../src/core/runtime-bundle.js';
import { checkPackages, excludeSecretsFolder } from '../../../src/serverless/package-guard.js';
import type { ServiceConfig } from '../../../src/serverless/types.js';
import { readZipEntries } from '../../../src/serverless/zip-entries.js';

const entry = (nonce: string) => ({
  type: 'string',
  updated: '2026-01-01T00:00:00.000Z',
  epk: 'E'.repeat(43),
  nonce,
  ct: 'Y3Q',
  tag: 'T'.repeat(22),
});
const STAGE = {
  secrets: { API_KEY: entry('nonceApiKey00001'), DB_PASSWORD: entry('nonceDbPasswrd02') },
} as unknown as StageFile;
const sealed = (fn: string, names: string[]) =>
  JSON.stringify({
    format: RUNTIME_BUNDLE_FORMAT,
    function: fn,
    publicKey: 'P'.repeat(44),
    identities: [],
    secrets: Object.fromEntries(names.map((n) => [n, STAGE.secrets[n]])),
  });

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-guard-'));
  fs.mkdirSync(path.join(dir, '.serverless'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes the files into a folder and zips them with the zip tool as .serverless/<name>.zip. */
function makeZip(name: string, files: Record<string, string>, flags: string[] = []): string {
  const src = fs.mkdtempSync(path.join(dir, 'src-'));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(src, file)), { recursive: true });
    fs.writeFileSync(path.join(src, file), text);
  }
  const zip = path.join(dir, '.serverless', `${name}.zip`);
  execFileSync('zip', ['-q', '-r', ...flags, zip, '.'], { cwd: src });
  fs.rmSync(src, { recursive: true, force: true });
  return zip;
}

const service = (fns: Record<string, { artifact: string }>): ServiceConfig =>
  ({
    service: 'svc',
    provider: {},
    functions: Object.fromEntries(
      Object.entries(fns).map(([n, f]) => [n, { handler: 'h.main', package: { artifact: f.artifact } }]),
    ),
  }) as ServiceConfig;

describe('readZipEntries', () => {
  it('reads names and contents of stored, deflated and zip64 archives', () => {
    const big = 'x'.repeat(100_000);
    for (const flags of [['-0'], ['-9'], ['-fz']]) {
      const zip = makeZip(`z${flags[0]}`, { 'a.txt': 'hello', 'd/b.txt': big }, flags);
      const entries = readZipEntries(zip).filter((e) => !e.name.endsWith('/'));
      expect(entries.map((e) => e.name).sort()).toEqual(['a.txt', 'd/b.txt']);
      expect(
        entries
          .find((e) => e.name === 'd/b.txt')!
          .read()
          .toString(),
      ).toBe(big);
    }
  });

  it('refuses a file that is not a zip, naming it', () => {
    const file = path.join(dir, 'not.zip');
    fs.writeFileSync(file, 'plain text, no zip at all');
    expect(() => readZipEntries(file)).toThrow(/cannot read the package .*not\.zip/);
  });
});

describe('checkPackages', () => {
  it("refuses another function's sealed file and a foreign entry, allows the function's own; removes the refused zip", () => {
    const api = makeZip('api', { '.stage-secrets-runtime/api/sealed.json': sealed('api', ['API_KEY']), 'h.js': '' });
    const worker = makeZip('worker', {
      '.stage-secrets-runtime/api/sealed.json': sealed('api', ['API_KEY']),
      'h.js': '',
    });
    const svc = service({ api: { artifact: api }, worker: { artifact: worker } });
    const guard = { stageFile: STAGE, packaged: { api: ['API_KEY'], worker: ['DB_PASSWORD'] } };
    expect(() => checkPackages(svc, dir, guard)).toThrow(
      /\.serverless\/worker\.zip holds \.stage-secrets-runtime\/api\/sealed\.json \(the runtime-mode sealed file of function api, which this package's functions \(worker\) do not receive\)/,
    );
    expect(fs.existsSync(worker)).toBe(false);
    expect(fs.existsSync(api)).toBe(true);
  });

  it("refuses a function's own sealed file when it holds a name the function does not receive", () => {
    const api = makeZip('api', { '.stage-secrets-runtime/api/sealed.json': sealed('api', ['API_KEY', 'DB_PASSWORD']) });
    const guard = { stageFile: STAGE, packaged: { api: ['API_KEY'] } };
    expect(() => checkPackages(service({ api: { artifact: api } }), dir, guard)).toThrow(
      /api\.zip holds \.stage-secrets-runtime\/api\/sealed\.json/,
    );
  });

  it('finds an entry by its nonce in any file, and a key file by name or content; only the packages of `only` with deploy function', () => {
    const api = makeZip('api', { 'dist/bundle.js': `var s = { nonce: "${STAGE.secrets.DB_PASSWORD!.nonce}" };` });
    const worker = makeZip('worker', {
      'home/.config/stage-secrets/keys/0123456789abcdef.key': 'anything',
      'k.txt': '  stage-secrets-key-1:abc',
    });
    const svc = service({ api: { artifact: api }, worker: { artifact: worker } });
    expect(() => checkPackages(svc, dir, { stageFile: STAGE }, ['api'])).toThrow(
      /api\.zip holds dist\/bundle\.js \(the sealed entry DB_PASSWORD of the stage file\)\. /,
    );
    expect(fs.existsSync(worker)).toBe(true);
    expect(() => checkPackages(svc, dir, { stageFile: STAGE })).toThrow(
      /worker\.zip holds [^;]*stage-secrets\/keys\/0123456789abcdef\.key \(a local key file\), k\.txt \(a local key\)/,
    );
  });

  it('knows every identity kind: passes a clean package of an age stage, refuses any wrapped stage key', () => {
    const withIdentities = {
      ...STAGE,
      identities: [
        { type: 'local', id: 'local:abc', created: '2026-01-01T00:00:00.000Z', wrapped: 'TG9jYWxXcmFwcGVkS2V5MDAx' },
        { type: 'age', id: 'age:age1xyz', recipient: 'age1xyz', wrapped: 'YWdlLWVuY3J5cHRpb24ub3JnL3Yx' },
        { type: 'aws-kms', id: 'aws-kms:k', keyId: 'k', ciphertext: 'S21zQ2lwaGVydGV4dEJsb2IwMDE' },
      ],
    } as unknown as StageFile;
    const clean = makeZip('clean', { 'h.js': 'exports.main = 1' });
    const svc = service({ api: { artifact: clean } });
    expect(() => checkPackages(svc, dir, { stageFile: withIdentities })).not.toThrow();
    for (const blob of ['TG9jYWxXcmFwcGVkS2V5MDAx', 'YWdlLWVuY3J5cHRpb24ub3JnL3Yx', 'S21zQ2lwaGVydGV4dEJsb2IwMDE']) {
      const zip = makeZip('api', { 'bundle.js': `var h = "${blob}";` });
      expect(() => checkPackages(service({ api: { artifact: zip } }), dir, { stageFile: withIdentities })).toThrow(
        /api\.zip holds bundle\.js \(the stage header \(its wrapped stage key\)\)/,
      );
    }
  });

  it('passes a package without any of them', () => {
    const api = makeZip('api', { 'h.js': 'exports.main = 1', 'secretsless/x.json': '{"publicKey": 1}' });
    expect(() =>
      checkPackages(service({ api: { artifact: api } }), dir, {
        stageFile: STAGE,
        secretsDir: path.join(dir, 'secrets'),
      }),
    ).not.toThrow();
  });
});

describe('excludeSecretsFolder', () => {
  it('puts the exclusion last at service level and, spelled apart from it, at function level; user copies are moved', () => {
    const svc = {
      service: 'svc',
      provider: {},
      package: { individually: true, patterns: ['!config/secrets/**', 'config/secrets/**'] },
      functions: {
        api: { handler: 'h.main', package: { patterns: ['config/secrets/**'] } },
        plain: { handler: 'h.main' },
      },
    } as unknown as ServiceConfig & { package: { patterns: string[] } };
    excludeSecretsFolder(svc, dir, path.join(dir, 'config/secrets'));
    expect(svc.package.patterns).toEqual(['config/secrets/**', '!config/secrets/**']);
    expect((svc.functions!.api!.package as { patterns: string[] }).patterns).toEqual([
      'config/secrets/**',
      '!config/secrets/**/*',
    ]);
    expect((svc.functions!.plain!.package as { patterns: string[] }).patterns).toEqual(['!config/secrets/**/*']);
    // a secrets folder outside the service folder: nothing the patterns could match
    const outside = { service: 's', provider: {}, functions: {} } as ServiceConfig & { package?: unknown };
    excludeSecretsFolder(outside, dir, path.join(path.dirname(dir), 'secrets'));
    expect(outside.package).toBeUndefined();
  });
});
