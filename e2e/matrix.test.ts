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
 */
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
  type Kind,
  type KindApp,
  makeKindApp,
  makeValues,
  pool,
  REPORTED,
  templateEnvs,
  tempRoot,
  type Values,
} from './support/matrix.js';

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
const apps = new Map<Kind, KindApp>();
const results = new Map<Cell, CellResult>();
const timings: string[] = [];

beforeAll(async () => {
  const started = Date.now();
  root = tempRoot();
  const schemaCache = path.join(root, 'sls-schemas');
  fs.mkdirSync(schemaCache);
  kms = await startKmsServer();
  values = makeValues();
  for (const kind of KINDS) apps.set(kind, await makeKindApp(root, kind, values, kms, schemaCache));
  const appsDone = Date.now();
  const built = await pool(CELLS, 2, (cell) => buildCell(root, apps.get(cell.kind)!, cell, schemaCache, kms));
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
  for (const r of results.values()) for (const dir of r.unzipped) fs.rmSync(dir, { recursive: true, force: true });
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

/** What a function reports or its template holds, per function: secrets over yaml, selection honoured. */
function expected(cell: Cell): Record<string, Record<string, string>> {
  if (cell.optOut) return YAML_ONLY;
  return {
    api: { ...values, PLAIN: YAML.PLAIN },
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
  for (const [name, value] of Object.entries(values)) texts[`the value of ${name}`] = value;
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
      for (const value of Object.values(values)) expect(r.build.output.includes(value)).toBe(false);
    });
    return;
  }

  it('packages, printing no value', () => {
    const r = result();
    expect(r.build.code, r.build.output).toBe(0);
    for (const [name, value] of Object.entries(values))
      expect(r.build.output.includes(value), `the build log holds ${name}`).toBe(false);
    expect(Object.keys(r.fns).sort()).toEqual(['api', 'narrow', 'none']);
  });

  if (cell.mode === 'env') {
    it('puts the secrets in each function’s template environment, over yaml, as selected (or none when opted out)', () => {
      expect(templateEnvs(result())).toEqual(expected(cell));
    });
  } else {
    it('keeps every value out of the template and .serverless; each function opens its secrets when invoked', () => {
      const r = result();
      // the template keeps the yaml's own values only (API_KEY from provider.environment, MAX_CONN of api)
      expect(templateEnvs(r)).toEqual(YAML_ONLY);
      expect(
        filesWithValues([path.join(r.serviceDir, '.serverless')], values as unknown as Record<string, string>),
      ).toEqual([]);
      const reported = Object.fromEntries(
        Object.entries(r.invoked).map(([fn, run]) => {
          expect(run.initError, `${fn}: ${run.stderr}`).toBeUndefined();
          const got = run.invocations[0]!.value as Record<string, string | null>;
          return [fn, Object.fromEntries(REPORTED.filter((n) => got[n] !== null).map((n) => [n, got[n]!]))];
        }),
      );
      expect(reported).toEqual(expected(cell));
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

describe('the matrix', () => {
  it('covers every kind × mode × packager × framework, and reports its time', () => {
    const keys = new Set(
      CELLS.filter((c) => !c.optOut).map((c) => `${c.kind}/${c.mode}/${c.packager}/${c.framework.name}`),
    );
    expect(keys.size).toBe(KINDS.length * 2 * 2 * FRAMEWORKS.length);
    expect(timings[0]).toMatch(/^matrix: \d+ cells in /);
  });
});
