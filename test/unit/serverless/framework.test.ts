import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtInEsbuildBundles, configFileOf, frameworkFeatures } from '../../../src/serverless/framework.js';
import type { FunctionConfig, ServerlessLike, ServiceConfig } from '../../../src/serverless/types.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-framework-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function folder(name: string, files: string[]): string {
  const dir = path.join(root, name);
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), '');
  }
  return dir;
}

const serverless = (extra: Record<string, unknown>): ServerlessLike =>
  ({
    service: { service: 's', provider: {} },
    classes: { Error },
    getProvider: () => ({ getStage: () => 'dev' }),
    ...extra,
  }) as never;

describe('configFileOf', () => {
  it('takes the name as given when it has an extension and exists (v3, osls)', () => {
    const dir = folder('given', ['serverless.yml', 'serverless.ts']);
    expect(configFileOf(dir, 'serverless.ts')).toBe(path.join(dir, 'serverless.ts'));
  });

  it("probes the framework's order for a name without extension (v4: `serverless`)", () => {
    expect(configFileOf(folder('ts', ['serverless.ts']), 'serverless')).toBe(path.join(root, 'ts', 'serverless.ts'));
    expect(configFileOf(folder('both', ['serverless.yml', 'serverless.ts']), 'serverless')).toBe(
      path.join(root, 'both', 'serverless.yml'),
    );
    // --config api (v4 strips .yml): api.yml
    expect(configFileOf(folder('custom', ['api.yml']), 'api')).toBe(path.join(root, 'custom', 'api.yml'));
  });

  it('no name, no file', () => {
    expect(configFileOf(root, undefined)).toBeUndefined();
    expect(configFileOf(root, '')).toBeUndefined();
  });
});

describe('frameworkFeatures', () => {
  it("tells v4's shell and esbuild by what they offer, not by the version osls shares", () => {
    const v4 = serverless({
      version: '4.41.0',
      credentialProviders: undefined,
      pluginManager: { plugins: [{ hooks: { 'before:esbuild-package': () => {} } }] },
    });
    expect(frameworkFeatures(v4, root)).toMatchObject({ builtInEsbuild: true, savesMeta: true });
    // osls 4.3.1 with serverless-esbuild: same major version, neither feature
    const osls = serverless({
      version: '4.3.1',
      pluginManager: { plugins: [{ hooks: { 'before:package:createDeploymentArtifacts': () => {} } }, null] },
    });
    expect(frameworkFeatures(osls, root)).toMatchObject({ builtInEsbuild: false, savesMeta: false });
  });
});

describe("builtInEsbuildBundles (v4's rules, packages/serverless/lib/plugins/esbuild/index.js:414-475)", () => {
  const dir = folder('handlers', ['src/a.ts', 'src/b.js']);
  const service = (extra: Record<string, unknown> = {}): ServiceConfig =>
    ({ service: 's', provider: { runtime: 'nodejs22.x' }, ...extra }) as ServiceConfig;
  const fn = (handler: string, extra: Record<string, unknown> = {}): FunctionConfig => ({ handler, ...extra });

  it('without a build setting: TypeScript handlers only', () => {
    expect(builtInEsbuildBundles(service(), dir, fn('src/a.handler'))).toBe(true);
    expect(builtInEsbuildBundles(service(), dir, fn('src/b.handler'))).toBe(false);
  });

  it('build.esbuild or build: esbuild bundles every Node.js function; build.esbuild: false none', () => {
    expect(builtInEsbuildBundles(service({ build: { esbuild: { minify: true } } }), dir, fn('src/b.handler'))).toBe(
      true,
    );
    expect(builtInEsbuildBundles(service({ build: 'esbuild' }), dir, fn('src/b.handler'))).toBe(true);
    expect(builtInEsbuildBundles(service({ build: { esbuild: false } }), dir, fn('src/a.handler'))).toBe(false);
  });

  it("a function's own build decides for it; other runtimes and prebuilt artifacts are never bundled", () => {
    expect(builtInEsbuildBundles(service(), dir, fn('src/b.handler', { build: 'esbuild' }))).toBe(true);
    expect(builtInEsbuildBundles(service({ build: 'esbuild' }), dir, fn('src/a.handler', { build: 'other' }))).toBe(
      false,
    );
    expect(builtInEsbuildBundles(service(), dir, fn('src/a.handler', { runtime: 'python3.12' }))).toBe(false);
    expect(builtInEsbuildBundles(service(), dir, fn('src/a.handler', { package: { artifact: 'x.zip' } }))).toBe(false);
  });
});
