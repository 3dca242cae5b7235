/**
 * docs/migrating.md's "From chamber" recipe, run as written: its command lines are taken from the markdown and
 * run with bash in an app whose node_modules/.bin holds the built CLI, against moto (python3's AWS emulator)
 * holding parameters laid out as chamber writes them: `/<service>/<key>`, lowercase keys with dashes, underscores
 * and a dot, SecureString under the KMS key alias `alias/parameter_store_key`, two services that share a key, a
 * nested service and another environment's service that must not be taken. The imported names are the ones
 * the doc promises, `run` hands the values to the command (the later service's where two hold a key), and no
 * value appears in any output or in the stage files.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DescribeParametersCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, makeWorkspace, REPO_ROOT, type Workspace } from '../test/support/cli.js';
import { bash } from './support/matrix.js';
import { startMoto, type Moto } from './support/moto.js';

const digest = (v: string) => createHash('sha256').update(v).digest('hex');
const fresh = (label: string) => `${label}-${randomBytes(9).toString('hex')}`;

/** chamber's parameters: full name → value (chamber writes every one as a SecureString under its key alias) */
const CHAMBER: Record<string, string> = {
  '/shop-prod/db-url': `postgres://shop:${fresh('pw')}@db.internal:5432/shop`,
  '/shop-prod/stripe_secret_key': fresh('sk_live'),
  '/shop-prod/smtp.password': fresh('smtp'),
  '/shop-prod/sentry-dsn': `https://${fresh('old')}@sentry.example.com/1`,
  '/shared-prod/sentry-dsn': `https://${fresh('shared')}@sentry.example.com/2`,
  '/shared-prod/datadog-api-key': fresh('dd'),
  // a nested service (chamber allows shop-prod/worker) and another environment: neither is imported
  '/shop-prod/worker/queue-url': `https://sqs.example.com/${fresh('queue')}`,
  '/shop-staging/db-url': `postgres://shop:${fresh('staging')}@db.staging:5432/shop`,
};

/** what the doc says each name becomes, and which parameter's value it must hold after the recipe */
const EXPECTED: Record<string, string> = {
  DB_URL: '/shop-prod/db-url',
  STRIPE_SECRET_KEY: '/shop-prod/stripe_secret_key',
  SMTP_PASSWORD: '/shop-prod/smtp.password',
  SENTRY_DSN: '/shared-prod/sentry-dsn', // both services hold it: the later one wins, as under chamber exec
  DATADOG_API_KEY: '/shared-prod/datadog-api-key',
};
const NOT_IMPORTED = ['WORKER_QUEUE_URL', 'QUEUE_URL'];

/** The command lines of the first code block under "## From chamber" in docs/migrating.md. */
function chamberRecipe(): string[] {
  const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'migrating.md'), 'utf8');
  const section = /^## From chamber\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(doc)?.[1];
  if (!section) throw new Error('docs/migrating.md has no "From chamber" section');
  const block = /^```sh\n([\s\S]*?)^```$/m.exec(section)?.[1];
  if (!block) throw new Error('the "From chamber" section has no sh code block');
  return block.split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
}

let moto: Moto;
let ws: Workspace;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  moto = await startMoto();
  const sdk = {
    region: 'us-east-1',
    endpoint: moto.url,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  const kms = new KMSClient(sdk);
  const key = await kms.send(new CreateKeyCommand({ Description: 'chamber' }));
  await kms.send(
    new CreateAliasCommand({ AliasName: 'alias/parameter_store_key', TargetKeyId: key.KeyMetadata!.KeyId! }),
  );
  const ssm = new SSMClient(sdk);
  for (const [name, value] of Object.entries(CHAMBER)) {
    // as chamber's write does: SecureString, its key alias, Overwrite, the version in Description
    await ssm.send(
      new PutParameterCommand({
        Name: name,
        Value: value,
        Type: 'SecureString',
        KeyId: 'alias/parameter_store_key',
        Overwrite: true,
        Description: '1',
      }),
    );
  }
  const described = await ssm.send(new DescribeParametersCommand({ MaxResults: 50 }));
  expect(described.Parameters?.map((p) => [p.Type, p.KeyId])).toEqual(
    Object.keys(CHAMBER).map(() => ['SecureString', 'alias/parameter_store_key']),
  );
  kms.destroy();
  ssm.destroy();

  ws = makeWorkspace('chamber-app');
  // the app: the installed bin (npx --no-install finds it), and the start script that `chamber exec` wrapped,
  // which reports a digest of each variable it gets (never a value)
  const bin = path.join(ws.dir, 'node_modules', '.bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'stage-secrets'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, {
    mode: 0o755,
  });
  const names = [...Object.keys(EXPECTED), ...NOT_IMPORTED];
  fs.writeFileSync(
    path.join(ws.dir, 'report.js'),
    `const c = require('node:crypto');\nconst o = {};\nfor (const n of ${JSON.stringify(names)}) o[n] = process.env[n] === undefined ? null : c.createHash('sha256').update(process.env[n]).digest('hex');\nconsole.log('REPORT ' + JSON.stringify(o));\n`,
  );
  fs.writeFileSync(
    path.join(ws.dir, 'package.json'),
    JSON.stringify({ name: 'chamber-app', version: '1.0.0', private: true, scripts: { start: 'node report.js' } }),
  );
  env = {
    ...ws.env,
    ...moto.env,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    npm_config_update_notifier: 'false',
  };
  // step 1 of the move (the doc's list above the sections): the stage, its key at hand
  const init = await ws.run(['init', '--stage', 'prod', '--local'], { env });
  expect(init.code, init.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  ws?.cleanup();
  await moto?.stop();
});

describe('docs/migrating.md: From chamber, as written', () => {
  it('imports every key of the services under the documented names; run gives the values; no value printed', async () => {
    const commands = chamberRecipe();
    // the recipe is what the doc says it is: a dry run, two imports, a list, and run in place of chamber exec
    expect(commands.filter((c) => /stage-secrets import --stage prod --from ssm:\//.test(c))).toHaveLength(3);
    expect(commands.filter((c) => c.includes('--dry-run'))).toHaveLength(1);
    expect(commands.at(-1)).toMatch(/stage-secrets run --stage prod -- /);
    expect(commands.filter((c) => /\bnpx\s+(?!--no-install\b)/.test(c))).toEqual([]);

    const outputs: Record<string, string> = {};
    for (const line of commands) {
      const r = await bash(line, ws.dir, env);
      expect(r.code, `${line}\n${r.output}`).toBe(0);
      outputs[line] = r.output;
    }
    const all = Object.values(outputs).join('\n');
    for (const value of Object.values(CHAMBER)) expect(all).not.toContain(value);

    // the dry run names each parameter and its secret name, the nested service's key not among them
    const dry = outputs[commands.find((c) => c.includes('--dry-run'))!]!;
    for (const from of ['/shop-prod/db-url', '/shop-prod/stripe_secret_key', '/shop-prod/smtp.password']) {
      const name = Object.keys(EXPECTED).find((n) => EXPECTED[n] === from)!;
      expect(dry).toContain(`${from} -> ${name} (string)`);
    }
    expect(dry).not.toContain('queue-url');
    // the second service replaced the one key both hold
    const shared = outputs[commands.find((c) => c.includes('ssm:/shared-prod/'))!]!;
    expect(shared).toContain('(1 added, 1 replaced)');

    const list = await ws.run(['list', '--stage', 'prod', '--json'], { env });
    expect(list.code, list.stderr).toBe(0);
    const listed = [...list.stdout.matchAll(/"name":\s*"([A-Z0-9_]+)"/g)].map((m) => m[1]!).sort();
    expect(listed).toEqual(Object.keys(EXPECTED).sort());

    // run handed each value to npm start: the report holds their digests, and none for the others
    const report = /^REPORT (.*)$/m.exec(outputs[commands.at(-1)!]!)?.[1];
    expect(report, outputs[commands.at(-1)!]).toBeDefined();
    const got = JSON.parse(report!) as Record<string, string | null>;
    const want = Object.fromEntries([
      ...Object.entries(EXPECTED).map(([name, from]) => [name, digest(CHAMBER[from]!)]),
      ...NOT_IMPORTED.map((n) => [n, null]),
    ]);
    expect(got).toEqual(want);

    // sealed: no value in the stage files
    const stageText = JSON.stringify(ws.readStage('prod'));
    for (const value of Object.values(CHAMBER)) expect(stageText).not.toContain(value);
  }, 120_000);
});
