import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IDENTITY_KINDS } from '../../../src/identities/registry.js';
import { STORE_BACKENDS } from '../../../src/runtime-store/backends.js';
import { REPO_ROOT } from '../../support/cli.js';
import { codeFiles } from '../../support/layers.js';

/*
 * Everything specific to an identity kind or a store backend is in its module: outside them, no code names
 * a kind or a scheme. The registries (one line per kind or backend) are the only other files that name
 * their modules. Prose in help and messages may mention them; code may not: an import of a kind's or
 * backend's module, a string that is a kind's type or a scheme, an SDK's package name, an IAM action, a
 * URL-scheme pattern.
 */

const KIND_FILES = IDENTITY_KINDS.map((k) => k.type);
const SCHEMES = STORE_BACKENDS.map((b) => b.scheme);

/** A kind's own files: src/identities/<type>.ts and its helpers <type>-*.ts; a backend's: src/runtime-store/<scheme>-*.ts. */
function ownerOf(file: string): string | undefined {
  const m = /^src\/identities\/([a-z0-9-]+?)(?:-[a-z]+)?\.ts$/.exec(file);
  const kind = KIND_FILES.find(
    (type) => file === `src/identities/${type}.ts` || file.startsWith(`src/identities/${type}-`),
  );
  if (kind) return kind;
  const scheme = SCHEMES.find(
    (s) => file.startsWith(`src/runtime-store/${s}-`) || file === `src/runtime-store/${s}.ts`,
  );
  return scheme ?? (m ? undefined : undefined);
}

const REGISTRIES = ['src/identities/registry.ts', 'src/runtime-store/backends.ts'];

/** What in a code text names a kind or a scheme, comments taken out. */
function namings(text: string, file = ''): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const found: string[] = [];
  for (const type of KIND_FILES) {
    if (new RegExp(`(['"\`])${type}\\1`).test(code)) found.push(`the kind '${type}'`);
    if (new RegExp(`identities/${type}(-[a-z]+)?\\.js`).test(code)) found.push(`an import of the ${type} kind`);
  }
  // A scheme's word may mean something else where no runtime store is at hand ('ssm' is also a source of
  // import): a scheme as a string counts in code that imports the runtime store.
  const storeCode = /from ['"][^'"]*runtime-store(\/|\.js['"])/.test(code);
  for (const scheme of SCHEMES) {
    if (storeCode && new RegExp(`(['"\`])${scheme}\\1`).test(code)) found.push(`the scheme '${scheme}'`);
    if (new RegExp(`store/${scheme}-[a-z]+\\.js`).test(code)) found.push(`an import of the ${scheme} backend`);
    if (new RegExp(`\\^${scheme}:|${scheme}:\\\\/\\\\/`).test(code)) found.push(`a ${scheme}:// pattern`);
  }
  // src/aws/ is where AWS services that are no kind's or backend's live (SSM, Secrets Manager, status's reads)
  const awsModule = file.startsWith('src/aws/');
  for (const m of code.matchAll(/['"`](@aws-sdk\/client-[a-z0-9-]+)['"`]/g))
    if (!awsModule) found.push(`the SDK ${m[1]}`);
  for (const m of code.matchAll(/\bSTAGE_SECRETS_(KMS|AGE)_[A-Z_]+/g)) found.push(`the kind setting ${m[0]}`);
  for (const m of code.matchAll(/['"`]([a-z0-9]+:[A-Z][A-Za-z]+)['"`]/g))
    if (!awsModule) found.push(`the IAM action ${m[1]}`);
  return found;
}

describe('no code names a kind or a store backend outside its module', () => {
  it('knows the kinds and backends', () => {
    expect(KIND_FILES).toEqual(expect.arrayContaining(['local', 'aws-kms']));
    expect(SCHEMES).toContain('s3');
    expect(ownerOf('src/identities/aws-kms-lambda.ts')).toBe('aws-kms');
    expect(ownerOf('src/runtime-store/s3-store.ts')).toBe('s3');
    expect(ownerOf('src/serverless/runtime-mode.ts')).toBeUndefined();
  });

  it('finds none in src/, plugin/ and console-ui/', () => {
    const found = codeFiles(REPO_ROOT)
      .filter((file) => !file.startsWith('action/') && !ownerOf(file) && !REGISTRIES.includes(file))
      .flatMap((file) =>
        namings(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8'), file).map((n) => `${file}: ${n}`),
      );
    expect(found).toEqual([]);
  });

  it('fails on a planted naming: a type test, an import, an SDK, a scheme check, an IAM action', () => {
    expect(namings("if (record.type === 'aws-kms') return;")).toEqual(["the kind 'aws-kms'"]);
    expect(namings("import { kmsClient } from '../identities/aws-kms-client.js';")).toEqual([
      'an import of the aws-kms kind',
    ]);
    expect(namings("await import('@aws-sdk/client-s3');")).toEqual(['the SDK @aws-sdk/client-s3']);
    // src/aws/ may name other AWS services' SDKs and actions, never a kind or a scheme
    expect(namings("await import('@aws-sdk/client-ssm'); 'ssm:PutParameter'", 'src/aws/x.ts')).toEqual([]);
    expect(namings("if (record.type === 'aws-kms') return;", 'src/aws/x.ts')).toEqual(["the kind 'aws-kms'"]);
    expect(namings('if (!/^s3:\\/\\/[a-z]/.test(url)) throw err;')).toEqual(['a s3:// pattern']);
    expect(namings("{ store: { type: 'string', pattern: '^s3://' } }")).toEqual(['a s3:// pattern']);
    expect(namings("Action: ['kms:Decrypt']")).toEqual(['the IAM action kms:Decrypt']);
    expect(namings("const quick = { ...env, STAGE_SECRETS_KMS_MAX_ATTEMPTS: '1' };")).toEqual([
      'the kind setting STAGE_SECRETS_KMS_MAX_ATTEMPTS',
    ]);
    const storeImport = "import { runtimeStoreBackendOf } from '../runtime-store/backends.js';\n";
    expect(namings(`${storeImport}if (location.scheme === 'ssm') return;`)).toEqual(["the scheme 'ssm'"]);
    expect(namings("import { x } from './runtime-store.js';\nif (location.scheme === 's3') return;")).toEqual([
      "the scheme 's3'",
    ]);
    // where no runtime store is imported, the word is something else (an import source)
    expect(namings("const source = { kind: 'ssm', path: '/app' };")).toEqual([]);
    expect(namings('// a comment about aws-kms and s3://BUCKET')).toEqual([]);
    expect(namings('`a message: s3://BUCKET/PREFIX or --kms KEY_ID`')).toEqual([]);
  });
});
