/**
 * Every combination, each through the documented flow (issue 32): identity kinds (local; aws-kms against
 * the project's KMS server; age with a key made by Debian's age-keygen) × modes (env, runtime) × packagers
 * (the framework's, serverless-esbuild) × frameworks (serverless v3, osls). Per kind one app is made as the
 * docs say (`init`, `set` of a string, a number, JSON and a multi-line PEM, `approve`, `git add secrets/`,
 * commit); per cell a fresh `git clone` of it is packaged in CI's way: under
 * `npx --no-install stage-secrets run` (serverless v3 cells) or by the plugin alone (osls cells). Then each
 * function's template environment and zip are read, and in runtime mode each function is invoked the way
 * Lambda does. Runtime mode without an aws-kms identity cannot exist: those cells must fail with the
 * documented message. Four more cells check the opt-out (seed.yml) with the local kind.
 * Each app also holds two references (`set --ref`, issue 35), to an SSM SecureString under a moto KMS key and
 * to a key of a Secrets Manager JSON secret, both in the file's one moto_server: env mode bakes the resolved
 * values into the template (compared as digests), runtime mode keeps them out of template and zip, grants the
 * role exactly those targets (and kms:Decrypt on the listed key through the services), and the invoked
 * function, pointed at moto, reads them at cold start.
 */
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKmsServer, type KmsServer } from '../test/support/kms-server.js';
import { filesWithValues } from '../test/support/runtime-mode-suite.js';
import { FRAMEWORKS } from '../test/support/sls-service.js';
import {
  buildCell,
  type Cell,
  type CellResult,
  cellName,
  type CloneViews,
  cloneViews,
  type Kind,
  type KindApp,
  makeKindApp,
  makeValues,
  pool,
  REFERENCE_NAMES,
  type References,
  REPORTED,
  templateEnvs,
  tempRoot,
  type Values,
} from './support/matrix.js';
import { createKmsKey, type Moto, startMoto } from './support/moto.js';

const KINDS: Kind[] = ['local', 'aws-kms', 'age'];
const CELLS: Cell[] = [
  ...KINDS.flatMap((kind) =>
    (['env', 'runtime'] as const).flatMap((mode) =>
      (['framework', 'serverless-esbuild'] as const).flatMap((packager) =>
        FRAMEWORKS.map(
          (framework): Cell => ({ kind, mode, packager, framework, via: framework.name === 'osls' ? 'plugin' : 'run' }),
        ),
      ),
    ),
  ),
  ...(['framework', 'serverless-esbuild'] as const).flatMap((packager) =>
    FRAMEWORKS.map(
      (framework): Cell => ({ kind: 'local', mode: 'env', packager, framework, via: 'run', optOut: true }),
    ),
  ),
];
const YAML = { API_KEY: 'from-provider-yaml', PLAIN: 'plain-provider-value', MAX_CONN: 'from-function-yaml' };
/** what each function has from serverless.yml alone */
const YAML_ONLY = {
  api: YAML,
  narrow: { API_KEY: YAML.API_KEY, PLAIN: YAML.PLAIN },
  none: { API_KEY: YAML.API_KEY, PLAIN: YAML.PLAIN },
};

let root: string;
let kms: KmsServer;
let values: Values;
let moto: Moto;
let refs: References;
const apps = new Map<Kind, KindApp>();
const results = new Map<Cell, CellResult>();
const views = new Map<Kind, CloneViews>();
const timings: string[] = [];

beforeAll(async () => {
  const started = Date.now();
  root = tempRoot();
  const schemaCache = path.join(root, 'sls-schemas');
  fs.mkdirSync(schemaCache);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  kms = await startKmsServer();
  moto = await startMoto();
  refs = await makeReferences(moto);
  values = makeValues();
  // the apps are independent (own folders and homes): made at once
  const made = await Promise.all(KINDS.map((kind) => makeKindApp(root, kind, values, refs, kms, schemaCache)));
  for (const app of made) apps.set(app.kind, app);
  const appsDone = Date.now();
  const [built] = await Promise.all([
    pool(CELLS, 2, (cell) => buildCell(root, apps.get(cell.kind)!, cell, schemaCache, kms, refs)),
    (async () => {
      for (const kind of KINDS) views.set(kind, await cloneViews(root, apps.get(kind)!, schemaCache));
    })(),
  ]);
  for (const r of built) results.set(r.cell, r);
  const total = (Date.now() - started) / 1000;
  timings.push(
    `matrix: ${CELLS.length} cells in ${total.toFixed(1)} s (apps ${((appsDone - started) / 1000).toFixed(1)} s)`,
    ...built.map((r) => `  ${cellName(r.cell)}: ${r.seconds.toFixed(1)} s`),
  );
  console.log(timings.join('\n'));
}, 1_500_000);

afterAll(async () => {
  await kms?.close();
  await moto?.stop();
  for (const r of results.values()) for (const dir of r.unzipped) fs.rmSync(dir, { recursive: true, force: true });
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

/** The targets in moto: a SecureString parameter under a customer managed key, and a JSON secret. */
async function makeReferences(at: Moto): Promise<References> {
  const config = {
    region: 'us-east-1',
    endpoint: at.url,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  const key = await createKmsKey(at, 'us-east-1');
  const shared = `tok_${randomBytes(12).toString('hex')}`;
  const password = `pw-${randomBytes(12).toString('base64url')}`;
  const ssm = new SSMClient(config);
  const sm = new SecretsManagerClient(config);
  try {
    await ssm.send(
      new PutParameterCommand({ Name: '/matrix/shared/token', Value: shared, Type: 'SecureString', KeyId: key.arn }),
    );
    await sm.send(
      new CreateSecretCommand({ Name: 'matrix/db', SecretString: JSON.stringify({ username: 'svc', password }) }),
    );
  } finally {
    ssm.destroy();
    sm.destroy();
  }
  return {
    values: { SHARED_TOKEN: shared, DB_PASSWORD: password },
    targets: { SHARED_TOKEN: 'ssm:/matrix/shared/token', DB_PASSWORD: 'secretsmanager:matrix/db#password' },
    keyArn: key.arn,
    endpoint: at.url,
  };
}

/** every value a package or log must not show: the four secrets and the values at the references' targets */
const allValues = (): Record<string, string> => ({ ...values, ...refs.values });

const digest = (v: unknown) => createHash('sha256').update(String(v)).digest('hex').slice(0, 16);
/** the references' values as digests, so a failed comparison never prints one */
function digestReferences(envs: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(envs).map(([fn, env]) => [
      fn,
      Object.fromEntries(
        Object.entries(env).map(([n, v]) => [n, (REFERENCE_NAMES as readonly string[]).includes(n) ? digest(v) : v]),
      ),
    ]),
  );
}

/** What a function reports or its template holds, per function: secrets over yaml, selection honoured. */
function expected(cell: Cell): Record<string, Record<string, string>> {
  if (cell.optOut) return YAML_ONLY;
  return {
    api: { ...values, ...refs.values, PLAIN: YAML.PLAIN },
    narrow: { API_KEY: values.API_KEY, PLAIN: YAML.PLAIN },
    none: { API_KEY: YAML.API_KEY, PLAIN: YAML.PLAIN },
  };
}

/** Key material and stage files no package may carry, and (beyond env mode's template) no value. */
function forbidden(cell: Cell): Record<string, string> {
  const app = apps.get(cell.kind)!;
  const texts: Record<string, string> = {};
  app.keyTexts.forEach((k, i) => (texts[`key ${i}`] = k));
  // runtime mode's sealed file carries the aws-kms record, whose KMS blob opens it in Lambda (by design)
  if (cell.mode === 'env') app.wrappedKeys.forEach((k, i) => (texts[`wrapped stage key ${i}`] = k));
  for (const [name, value] of Object.entries(allValues())) texts[`the value of ${name}`] = value;
  // a reference's target is sealed in the package like a value: not in clear either
  for (const [name, target] of Object.entries(refs.targets)) texts[`the target of ${name}`] = target;
  return texts;
}

describe.each(CELLS.map((cell) => [cellName(cell), cell] as const))('%s', (_name, cell) => {
  const result = () => results.get(cell)!;
  const impossible = cell.mode === 'runtime' && cell.kind !== 'aws-kms';

  if (impossible) {
    it('fails with the documented message, packaging nothing and printing no value', () => {
      const r = result();
      expect(r.build.code).not.toBe(0);
      expect(r.build.output).toMatch(
        /custom\.stageSecrets\.mode is runtime, but stage dev has no aws-kms identity[\s\S]*npx --no-install stage-secrets rewrap --stage dev --kms KEY_ID/,
      );
      expect(fs.existsSync(path.join(r.serviceDir, '.serverless', 'cloudformation-template-update-stack.json'))).toBe(
        false,
      );
      for (const value of Object.values(allValues())) expect(r.build.output.includes(value)).toBe(false);
    });
    return;
  }

  it('packages, printing no value', () => {
    const r = result();
    expect(r.build.code, r.build.output).toBe(0);
    for (const [name, value] of Object.entries(allValues()))
      expect(r.build.output.includes(value), `the build log holds ${name}`).toBe(false);
    expect(Object.keys(r.fns).sort()).toEqual(['api', 'narrow', 'none']);
  });

  if (cell.mode === 'env') {
    it('puts the secrets in each function’s template environment, over yaml, as selected (or none when opted out)', () => {
      expect(digestReferences(templateEnvs(result()))).toEqual(digestReferences(expected(cell)));
    });
  } else {
    it('keeps every value out of the template and .serverless; each function opens its secrets when invoked', () => {
      const r = result();
      // the template keeps the yaml's own values only (API_KEY from provider.environment, MAX_CONN of api)
      expect(templateEnvs(r)).toEqual(YAML_ONLY);
      expect(filesWithValues([path.join(r.serviceDir, '.serverless')], allValues())).toEqual([]);
      const reported = Object.fromEntries(
        Object.entries(r.invoked).map(([fn, run]) => {
          expect(run.initError, `${fn}: ${run.stderr}`).toBeUndefined();
          const got = run.invocations[0]!.value as Record<string, string | null>;
          return [fn, Object.fromEntries(REPORTED.filter((n) => got[n] !== null).map((n) => [n, got[n]!]))];
        }),
      );
      expect(digestReferences(reported)).toEqual(digestReferences(expected(cell)));
    });

    it('grants the role exactly the referenced parameter and secret, and kms:Decrypt on referenceKeys via them', () => {
      const role = result().template!.Resources.IamRoleLambdaExecution!.Properties as {
        Policies: Array<{ PolicyDocument: { Statement: Array<{ Action: string[]; Resource: unknown[] }> } }>;
      };
      const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
      const forReferences = statements.filter(
        (s) =>
          s.Action.some((a) => a.startsWith('ssm:') || a.startsWith('secretsmanager:')) ||
          JSON.stringify(s.Resource).includes(refs.keyArn),
      );
      const sub = (arn: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:${arn}` });
      expect(forReferences).toEqual([
        {
          Effect: 'Allow',
          Action: ['ssm:GetParameters'],
          Resource: [sub('ssm:${AWS::Region}:${AWS::AccountId}:parameter/matrix/shared/token')],
        },
        {
          Effect: 'Allow',
          Action: ['secretsmanager:GetSecretValue'],
          Resource: [sub('secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:matrix/db-??????')],
        },
        {
          Effect: 'Allow',
          Action: ['kms:Decrypt'],
          Resource: [refs.keyArn],
          Condition: {
            StringEquals: {
              'kms:ViaService': [
                { 'Fn::Sub': 'ssm.${AWS::Region}.amazonaws.com' },
                { 'Fn::Sub': 'secretsmanager.${AWS::Region}.amazonaws.com' },
              ],
            },
          },
        },
      ]);
    });
  }

  it('leaves no stage file, entry, key, wrapped key or value in any zip', () => {
    const r = result();
    const names = Object.values(r.zips).flat();
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((n) => /(^|\/)secrets\/|\.key$|^\.?git\//.test(n))).toEqual([]);
    const roots = [...new Set(Object.values(r.fns).map((f) => f.taskRoot))];
    expect(filesWithValues(roots, forbidden(cell))).toEqual([]);
  });
});

describe.each(KINDS)('a fresh clone of the %s app, with references', (kind) => {
  const v = () => views.get(kind)!;
  const noValueIn = (out: string) => {
    for (const [name, value] of Object.entries(allValues())) expect(out.includes(value), name).toBe(false);
  };

  it('check (keyless) passes and marks the references; check --functions gives them to api only', () => {
    const { check, functions } = v();
    expect(check.code, check.output).toBe(0);
    for (const name of REFERENCE_NAMES) expect(check.output).toMatch(new RegExp(`^${name}\\s+present \\(ref\\)`, 'm'));
    expect(functions.code, functions.output).toBe(0);
    const apiLines = functions.output.split('\n').filter((l) => /^\s+api\s/.test(l));
    // the four services that are not opted out (an opted-out one lists no function)
    expect(apiLines).toHaveLength(4);
    for (const line of apiLines) for (const name of REFERENCE_NAMES) expect(line).toContain(name);
    for (const line of functions.output.split('\n').filter((l) => /^\s+(narrow|none)\s/.test(l)))
      for (const name of REFERENCE_NAMES) expect(line).not.toContain(name);
    noValueIn(check.output + functions.output);
    for (const target of Object.values(refs.targets)) expect(check.output + functions.output).not.toContain(target);
  });

  it('list says "reference" without the target to a reader without the key, and the target to CI with it', () => {
    const { listKeyless, listWithKey } = v();
    expect(listKeyless.code, listKeyless.output).toBe(0);
    expect(listWithKey.code, listWithKey.output).toBe(0);
    for (const name of REFERENCE_NAMES) {
      expect(listKeyless.output).toMatch(new RegExp(`^${name}\\s.*\\sreference\\s*$`, 'm'));
      expect(listWithKey.output).toMatch(
        new RegExp(`^${name}\\s.*\\sapproved\\s+${refs.targets[name].replace(/[/#]/g, '\\$&')}\\s*$`, 'm'),
      );
    }
    for (const target of Object.values(refs.targets)) expect(listKeyless.output).not.toContain(target);
    noValueIn(listKeyless.output + listWithKey.output);
  });
});

describe('the matrix', () => {
  it('covers every kind × mode × packager × framework, and reports its time', () => {
    const keys = new Set(
      CELLS.filter((c) => !c.optOut).map((c) => `${c.kind}/${c.mode}/${c.packager}/${c.framework.name}`),
    );
    expect(keys.size).toBe(KINDS.length * 2 * 2 * FRAMEWORKS.length);
    expect(timings[0]).toMatch(/^matrix: \d+ cells in /);
  });
});
