/**
 * Ready to publish: from a clean clone of the committed tree (its node_modules linked to this checkout's,
 * so nothing is downloaded), `npm publish --dry-run` builds through `prepare` and succeeds, and the file
 * list is exactly what a user needs: the built CLI, library, plugin and runtime bundles with their types,
 * the README, SECURITY.md, CHANGELOG.md, LICENSE and docs; no sources, tests, fixtures, bench, e2e,
 * examples, scripts, source maps, nor the GitHub Action (used from the repository by `uses:`, not from
 * npm). The package.json carries what the registry shows and provenance needs.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORMAT_VERSION, OLDEST_READ_VERSION } from '../../src/core/format.js';
import { REPO_ROOT } from '../support/cli.js';

const exec = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface PackageJson {
  name: string;
  version: string;
  bin: Record<string, string>;
  exports: Record<string, string | { types?: string; default: string }>;
  publishConfig?: { access?: string; provenance?: boolean };
  repository?: { type: string; url: string };
  homepage?: string;
  bugs?: { url: string };
  keywords?: string[];
  license?: string;
}

const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as PackageJson;
let clone: string;
let files: string[];

beforeAll(async () => {
  clone = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-publish-'));
  await exec('git', ['clone', '-q', '--no-hardlinks', REPO_ROOT, path.join(clone, 'repo')]);
  const repo = path.join(clone, 'repo');
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(repo, 'node_modules'), 'dir');
  const { stdout } = await exec(npm, ['publish', '--dry-run', '--json'], {
    cwd: repo,
    env: { ...process.env, npm_config_loglevel: 'error' },
    maxBuffer: 16 * 1024 * 1024,
  });
  // the JSON report follows prepare's own output on stdout; npm 11 keys it by the package name
  type Report = { files: Array<{ path: string }> };
  const json = JSON.parse(stdout.slice(stdout.search(/^\{/m))) as Report | Record<string, Report>;
  const report = 'files' in json ? (json as Report) : (json as Record<string, Report>)[pkg.name]!;
  files = report.files.map((f) => f.path).sort();
}, 180_000);

afterAll(() => {
  if (clone) fs.rmSync(clone, { recursive: true, force: true });
});

describe('npm publish --dry-run from a clean clone', () => {
  it('ships the built entry points, their types and the user docs', () => {
    for (const file of [
      'package.json',
      'README.md',
      'SECURITY.md',
      'CHANGELOG.md',
      'LICENSE',
      'dist/cli.mjs',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/plugin/index.js',
      'dist/runtime/stage-secrets-runtime.cjs',
      'dist/runtime/stage-secrets-runtime.mjs',
      'docs/ci.md',
    ]) {
      expect(files, file).toContain(file);
    }
    const targets = [
      ...Object.values(pkg.bin),
      ...Object.values(pkg.exports).flatMap((t) => (typeof t === 'string' ? [t] : [t.default, t.types ?? t.default])),
    ].map((t) => t.replace(/^\.\//, ''));
    for (const target of targets) expect(files, target).toContain(target);
  });

  it('ships no sources, tests, fixtures, bench, e2e, examples, scripts, maps or the action', () => {
    const unwanted = files.filter(
      (f) =>
        /^(src|test|fixtures|bench|e2e|examples|scripts|plugin|action|node_modules)\//.test(f) ||
        f === 'action.yml' ||
        /\.map$/.test(f) ||
        (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)) ||
        /^dist\/src\/(cli|action|runtime)\//.test(f) ||
        /(^|\/)\.|\.test\.|tsconfig|vitest|biome/.test(f),
    );
    expect(unwanted).toEqual([]);
  });
});

describe('package.json for the registry', () => {
  it('publishes publicly with provenance, and names its repository, homepage, issues and keywords', () => {
    expect(pkg.publishConfig).toEqual({ access: 'public', provenance: true });
    expect(pkg.repository?.type).toBe('git');
    expect(pkg.repository?.url).toMatch(/^git\+https:\/\/github\.com\/[^/]+\/stage-secrets\.git$/);
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(pkg.bugs?.url).toMatch(/^https:\/\/.*\/issues$/);
    expect(pkg.keywords).toEqual(expect.arrayContaining(['serverless', 'serverless-plugin']));
    expect(pkg.license).toBe('MIT');
    expect(fs.readFileSync(path.join(REPO_ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
  });

  it('CHANGELOG.md is in Keep a Changelog form and names the format versions this release writes and reads', () => {
    const changelog = fs.readFileSync(path.join(REPO_ROOT, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toMatch(/keepachangelog\.com/);
    expect(changelog).toMatch(/^## \[Unreleased\]$/m);
    expect(changelog).toMatch(
      new RegExp(`^## \\[${pkg.version.replace(/\./g, '\\.')}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm'),
    );
    const unreleased = changelog.slice(changelog.indexOf('## [Unreleased]'), changelog.indexOf(`## [${pkg.version}]`));
    expect(unreleased).toContain(`Writes version ${FORMAT_VERSION}`);
    expect(unreleased).toMatch(new RegExp(`reads versions ${OLDEST_READ_VERSION}\\b`));
  });
});
