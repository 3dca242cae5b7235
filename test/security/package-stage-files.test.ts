/**
 * No stage file, entry or local key file is ever in a function's package. With secrets/ in the service
 * folder (the README quick start's layout) the framework's packager would zip it into every package, and a
 * user's `package.patterns: ['secrets/**']` asks for it: every prod entry would then travel with a function
 * narrowed to `secrets: [ONE]`, whose role (runtime mode) can unwrap the stage key. The plugin excludes the
 * secrets folder at service and function level, and after packaging opens every zip and refuses a
 * package that still holds such a file (a copy elsewhere, a link, a bundler's inlined import).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRuntimeService, secretsForRuntime, type RuntimeService } from '../support/runtime-mode-suite.js';
import {
  FRAMEWORKS,
  packageService,
  prepareService,
  type FrameworkResult,
  type SlsService,
} from '../support/sls-service.js';

const v3 = FRAMEWORKS.find((f) => f.name === 'serverless')!;
const osls = FRAMEWORKS.find((f) => f.name === 'osls')!;
const SECRETS = { API_KEY: 'api-value-4e1f0c2a', DB_PASSWORD: 'db-value-9b27d5e3' };

/** Entry names of a zip, as the unzip tool lists them. */
function zipEntries(zip: string): string[] {
  return execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
}

function zipsIn(dir: string): string[] {
  const out = path.join(dir, '.serverless');
  return fs.existsSync(out)
    ? fs
        .readdirSync(out)
        .filter((f) => f.endsWith('.zip'))
        .sort()
    : [];
}

/** Every entry of every zip of the service whose bytes hold `text` (unzip -p prints an entry's content). */
function entriesHolding(dir: string, text: string): string[] {
  const hits: string[] = [];
  for (const zip of zipsIn(dir)) {
    const file = path.join(dir, '.serverless', zip);
    for (const entry of zipEntries(file)) {
      if (entry.endsWith('/')) continue;
      if (execFileSync('unzip', ['-p', file, entry]).includes(Buffer.from(text))) hits.push(`${zip}:${entry}`);
    }
  }
  return hits;
}

const publicKeyOf = (stageFile: string): string =>
  (JSON.parse(fs.readFileSync(stageFile, 'utf8')) as { publicKey: string }).publicKey;

function editYaml(dir: string, edit: (yml: string) => string): void {
  const file = path.join(dir, 'serverless.yml');
  fs.writeFileSync(file, edit(fs.readFileSync(file, 'utf8')));
}

describe('env mode, secrets/ in the service folder, user patterns secrets/** at service and function level', () => {
  let svc: SlsService;
  let result: FrameworkResult;
  beforeAll(async () => {
    svc = await prepareService('sls-package-guard', { stage: 'prod', secrets: SECRETS });
    ({ result } = await packageService(v3, svc));
  });
  afterAll(() => svc?.ws.cleanup());

  it(`'${v3.name}' '${v3.version}': packages, and no zip holds a file of secrets/ or the stage's public key`, () => {
    expect(result.code, result.output).toBe(0);
    expect(zipsIn(svc.dir)).toEqual(['api.zip', 'worker.zip']);
    for (const zip of zipsIn(svc.dir)) {
      const entries = zipEntries(path.join(svc.dir, '.serverless', zip));
      expect(entries).toContain('handler.js');
      expect(entries.filter((e) => e.startsWith('secrets/'))).toEqual([]);
    }
    expect(entriesHolding(svc.dir, publicKeyOf(svc.stageFile))).toEqual([]);
  });
});

describe(`env mode in '${osls.name}' '${osls.version}': what the patterns cannot catch is refused after packaging`, () => {
  let svc: SlsService;
  let result: FrameworkResult;
  let template: unknown;
  beforeAll(async () => {
    svc = await prepareService('sls-package-guard', { stage: 'prod', secrets: SECRETS });
    // a copy of the stage file under another name, a link to the secrets folder, and a local key file
    fs.copyFileSync(svc.stageFile, path.join(svc.dir, 'src/data/stage.json'));
    fs.symlinkSync(path.join(svc.dir, 'secrets'), path.join(svc.dir, 'src/linked'), 'dir');
    const keyVar = Object.keys(svc.env).find((k) => k.startsWith('STAGE_SECRETS_KEY_'))!;
    fs.mkdirSync(path.join(svc.dir, 'ops'));
    fs.writeFileSync(path.join(svc.dir, 'ops/break-glass.key'), `${svc.env[keyVar]}\n`);
    ({ result, template } = await packageService(osls, svc));
  });
  afterAll(() => svc?.ws.cleanup());

  it('fails, naming each zip and file and the fix; no template, and no zip holding them is left', () => {
    expect(result.code).not.toBe(0);
    expect(template).toBeUndefined();
    for (const zip of ['api.zip', 'worker.zip']) {
      expect(result.output).toMatch(new RegExp(`\\.serverless/${zip.replace('.', '\\.')}[^\\n]*src/data/stage\\.json`));
    }
    expect(result.output).toContain('src/linked/prod.json');
    expect(result.output).toContain('ops/break-glass.key');
    expect(result.output).toContain('package.patterns');
    expect(entriesHolding(svc.dir, publicKeyOf(svc.stageFile))).toEqual([]);
    expect(zipsIn(svc.dir)).toEqual([]);
    // the key is not repeated in the log
    const keyVar = Object.keys(svc.env).find((k) => k.startsWith('STAGE_SECRETS_KEY_'))!;
    expect(result.output).not.toContain(svc.env[keyVar]!.split(':')[1]);
  });
});

describe(`runtime mode, framework packager, in '${osls.name}' '${osls.version}' (fixtures/sls-runtime)`, () => {
  let rt: RuntimeService;
  beforeAll(async () => {
    rt = await packageRuntimeService(osls, 'sls-runtime', {
      stage: 'prod',
      secrets: secretsForRuntime(),
      // the user asks for the stage files and every function's generated folder
      edit: (yml) =>
        yml
          .replace(
            "    - '!node_modules/**'",
            "    - '!node_modules/**'\n    - 'secrets/**'\n    - '.stage-secrets-runtime/**'",
          )
          .replace(
            '    secrets: [API_KEY]',
            "    secrets: [API_KEY]\n    package:\n      patterns: ['secrets/**', '.stage-secrets-runtime/**']",
          ),
    });
  });
  afterAll(() => rt?.cleanup());

  it('no zip holds a stage file, and each holds only its own sealed file', () => {
    const seen = new Set<string>();
    for (const [name, fn] of Object.entries(rt.fns)) {
      if (seen.has(fn.taskRoot)) continue;
      seen.add(fn.taskRoot);
      const files = fs.readdirSync(fn.taskRoot, { recursive: true }).map(String);
      expect(files.filter((f) => f === 'secrets' || f.startsWith('secrets/'))).toEqual([]);
      const sealed = files.filter((f) => f.endsWith('sealed.json'));
      expect(sealed).toEqual(name === 'none' ? [] : [`.stage-secrets-runtime/${name}/sealed.json`]);
    }
    expect(entriesHolding(rt.svc.dir, publicKeyOf(rt.svc.stageFile)).filter((e) => !e.includes('sealed.json'))).toEqual(
      [],
    );
  });

  it('the narrowed function still opens its one secret', async () => {
    const run = await rt.invoke('nested', [{ n: 1 }]);
    expect(run.initError, run.stderr).toBeUndefined();
  });
});

describe(`runtime mode with serverless-esbuild in '${v3.name}' '${v3.version}' (fixtures/sls-runtime-esbuild)`, () => {
  let rt: RuntimeService;
  beforeAll(async () => {
    rt = await packageRuntimeService(v3, 'sls-runtime-esbuild', {
      stage: 'prod',
      secrets: secretsForRuntime(),
      modules: ['serverless-esbuild', 'esbuild'],
      edit: (yml) => yml.replace('custom:\n', "package:\n  patterns: ['secrets/**']\n\ncustom:\n"),
    });
  });
  afterAll(() => rt?.cleanup());

  it('a user pattern secrets/** still yields no stage file in any zip', () => {
    for (const fn of Object.values(rt.fns)) {
      const files = fs.readdirSync(fn.taskRoot, { recursive: true }).map(String);
      expect(files.filter((f) => f === 'secrets' || f.startsWith('secrets/'))).toEqual([]);
    }
  });
});

describe(`serverless-esbuild bundling a handler that imports the stage files ('${v3.name}' '${v3.version}')`, () => {
  // v3: the header secrets/prod.json holds the wrapped stage key, each secrets/prod/NAME.json one sealed entry;
  // a handler importing either gets it inlined in its bundle
  const bundleWith = async (imports: string) => {
    const svc = await prepareService('sls-package-guard', { stage: 'prod', secrets: SECRETS });
    for (const name of ['serverless-esbuild', 'esbuild']) {
      fs.symlinkSync(path.resolve('node_modules', name), path.join(svc.dir, 'node_modules', name), 'dir');
    }
    fs.writeFileSync(path.join(svc.dir, 'handler.js'), `'use strict';\n${imports}\nexports.main = async () => ({});\n`);
    editYaml(svc.dir, (yml) => yml.replace('plugins:\n', 'plugins:\n  - serverless-esbuild\n'));
    const { result } = await packageService(v3, svc);
    return { svc, result };
  };
  const made: SlsService[] = [];
  afterAll(() => {
    for (const svc of made) svc.ws.cleanup();
  });

  it('fails, naming the bundle that holds an entry file, and leaves no such zip', async () => {
    const { svc, result } = await bundleWith("exports.k = require('./secrets/prod/API_KEY.json');");
    made.push(svc);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/\.serverless\/api\.zip[^\n]*handler\.js[^\n]*API_KEY/);
    expect(zipsIn(svc.dir)).toEqual([]);
  });

  it('fails, naming the bundle that holds the header (the wrapped stage key), and leaves no such zip', async () => {
    const { svc, result } = await bundleWith("exports.h = require('./secrets/prod.json');");
    made.push(svc);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(
      /\.serverless\/api\.zip[^\n]*handler\.js \(the stage header \(its wrapped stage key\)\)/,
    );
    expect(zipsIn(svc.dir)).toEqual([]);
  });
});
