/**
 * The action as GitHub reads it: action.yml declares a JavaScript action on the runner's current Node
 * (node24), its main is the committed bundle, the inputs it declares are exactly those the entry reads,
 * and the committed bundle is what scripts/bundle-action.mjs builds from the sources today (rebuilt into
 * a temporary folder and compared byte for byte), so a source change without `npm run build:action`
 * fails here instead of shipping an old entry.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../support/cli.js';

const exec = promisify(execFile);

interface ActionYml {
  inputs: Record<string, { required?: boolean; default?: string; description: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string };
}

const actionYml = parseYaml(fs.readFileSync(path.join(REPO_ROOT, 'action.yml'), 'utf8')) as ActionYml;

describe('action.yml and its bundle', () => {
  it('is a node24 JavaScript action whose main is the committed bundle', () => {
    expect(actionYml.runs.using).toBe('node24');
    expect(actionYml.runs.main).toBe('action/index.mjs');
    expect(fs.existsSync(path.join(REPO_ROOT, actionYml.runs.main))).toBe(true);
  });

  it('declares exactly the inputs the entry reads, stage required, mask defaulting to true', () => {
    const source = fs.readFileSync(path.join(REPO_ROOT, 'src/action/inputs.ts'), 'utf8');
    const read = [...source.matchAll(/actionInput\(env, '([a-z-]+)'\)/g)].map((m) => m[1]!);
    expect(read.length).toBeGreaterThan(3);
    expect(Object.keys(actionYml.inputs).sort()).toEqual([...new Set(read)].sort());
    expect(actionYml.inputs.stage!.required).toBe(true);
    expect(actionYml.inputs.mask!.default).toBe('true');
    expect(actionYml.inputs.export!.default).toBe('env');
    expect(Object.keys(actionYml.outputs).sort()).toEqual(['names', 'stage-file']);
    const main = fs.readFileSync(path.join(REPO_ROOT, 'src/action/main.ts'), 'utf8');
    const set = [...main.matchAll(/core\.setOutput\('([a-z-]+)'/g)].map((m) => m[1]!);
    expect(set.sort()).toEqual(['names', 'stage-file']);
  });

  it('the committed bundle is byte for byte what the sources build today (run npm run build:action)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-action-bundle-'));
    try {
      const fresh = path.join(dir, 'index.mjs');
      await exec(process.execPath, [path.join(REPO_ROOT, 'scripts/bundle-action.mjs'), fresh], { cwd: REPO_ROOT });
      const committed = fs.readFileSync(path.join(REPO_ROOT, 'action', 'index.mjs'));
      const rebuilt = fs.readFileSync(fresh);
      expect(rebuilt.length).toBeGreaterThan(10_000);
      expect(rebuilt.equals(committed), 'action/index.mjs is stale: run npm run build:action and commit it').toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the bundle needs nothing outside itself: it runs from a copy with no node_modules around', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-action-copy-'));
    try {
      const copy = path.join(dir, 'index.mjs');
      fs.copyFileSync(path.join(REPO_ROOT, 'action', 'index.mjs'), copy);
      const run = exec(process.execPath, [copy], {
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: dir, GITHUB_ACTIONS: 'true' },
      });
      const err = await run.then(
        () => undefined,
        (e: { code: number; stdout: string }) => e,
      );
      // it starts and fails on the missing input, not on a missing module
      expect(err?.code).toBe(1);
      expect(err?.stdout).toMatch(/::error::stage-secrets: input stage is required/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
