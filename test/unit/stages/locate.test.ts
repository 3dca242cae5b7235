/**
 * The one rule every command, the plugin, the SST helper and the client use to find a stage file,
 * on real folders: explicit folder, else the nearest secrets/ with a stage file up to the git root.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fallbacksFromEnv,
  locateStage,
  matchFallback,
  parseFallback,
  type StageFallback,
} from '../../../src/stages/locate.js';

let root: string;
/** root/outside-secrets/secrets/dev.json sits above the git root repo/ and must never be used */
let repo: string;

function touch(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '{}');
}

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-locate-'));
  touch(path.join(root, 'secrets/dev.json')); // above the git root
  repo = path.join(root, 'repo');
  fs.mkdirSync(path.join(repo, '.git'), { recursive: true });
  touch(path.join(repo, 'secrets/dev.json'));
  touch(path.join(repo, 'secrets/prod.json'));
  fs.mkdirSync(path.join(repo, 'services/api/src'), { recursive: true });
  // a second app nested in the tree, with only a prod stage
  touch(path.join(repo, 'other-app/secrets/prod.json'));
  fs.mkdirSync(path.join(repo, 'other-app/svc'), { recursive: true });
  // a folder whose secrets/ holds no stage file is not an app root
  fs.mkdirSync(path.join(repo, 'services/api/secrets'), { recursive: true });
  // outside any git repository
  touch(path.join(root, 'loose/secrets/dev.json'));
  fs.mkdirSync(path.join(root, 'loose/sub'), { recursive: true });
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const env: NodeJS.ProcessEnv = {};

describe('locateStage', () => {
  it('finds the app root from a subfolder, past a secrets/ without stage files', () => {
    const found = locateStage({ stage: 'dev', cwd: path.join(repo, 'services/api/src'), env }, 'read');
    expect(found).toMatchObject({
      stage: 'dev',
      fileStage: 'dev',
      dir: path.join(repo, 'secrets'),
      file: path.join(repo, 'secrets/dev.json'),
      how: 'found',
    });
  });

  it("stops at the first app root even when it lacks the stage: a nested app never gets the outer app's file", () => {
    expect(locateStage({ stage: 'prod', cwd: path.join(repo, 'other-app/svc'), env }, 'read').file).toBe(
      path.join(repo, 'other-app/secrets/prod.json'),
    );
    expect(() => locateStage({ stage: 'dev', cwd: path.join(repo, 'other-app/svc'), env }, 'read')).toThrow(
      expect.objectContaining({
        code: 'NOT_FOUND',
        message: expect.stringContaining(
          `no stage file ${path.join(repo, 'other-app/secrets/dev.json')} for stage dev (app root ${path.join(repo, 'other-app')}, found from ${path.join(repo, 'other-app/svc')}); stages there: prod`,
        ),
      }),
    );
  });

  it('does not look past the git root, and says where it looked', () => {
    fs.mkdirSync(path.join(root, 'repo2/.git'), { recursive: true });
    fs.mkdirSync(path.join(root, 'repo2/a/b'), { recursive: true });
    expect(() => locateStage({ stage: 'dev', cwd: path.join(root, 'repo2/a/b'), env }, 'read')).toThrow(
      expect.objectContaining({
        code: 'NOT_FOUND',
        message: expect.stringContaining(
          `no secrets/ folder with a stage file in ${path.join(root, 'repo2/a/b')} and each folder above it up to the git root ${path.join(root, 'repo2')}`,
        ),
      }),
    );
  });

  it('outside a git repository looks only in the working folder', () => {
    expect(locateStage({ stage: 'dev', cwd: path.join(root, 'loose'), env }, 'read').file).toBe(
      path.join(root, 'loose/secrets/dev.json'),
    );
    expect(() => locateStage({ stage: 'dev', cwd: path.join(root, 'loose/sub'), env }, 'read')).toThrow(
      /outside a git repository only the working folder is searched/,
    );
  });

  it('an explicit folder wins, relative to the start folder; then STAGE_SECRETS_DIR', () => {
    const cwd = path.join(repo, 'services/api');
    expect(locateStage({ stage: 'dev', cwd, dir: '../../other-app/secrets', env }, 'create')).toMatchObject({
      dir: path.join(repo, 'other-app/secrets'),
      how: 'explicit',
    });
    expect(locateStage({ stage: 'prod', cwd, env: { STAGE_SECRETS_DIR: '../../other-app/secrets' } }, 'read').how).toBe(
      'explicit',
    );
    expect(() => locateStage({ stage: 'dev', cwd, dir: 'nowhere', env }, 'write')).toThrow(
      /no stage file nowhere\/dev\.json for stage dev/,
    );
  });

  it('create: the app root found, else ./secrets of the start folder', () => {
    expect(locateStage({ stage: 'qa', cwd: path.join(repo, 'services/api/src'), env }, 'create')).toMatchObject({
      dir: path.join(repo, 'secrets'),
      how: 'found',
    });
    expect(locateStage({ stage: 'qa', cwd: path.join(root, 'repo2/a'), env }, 'create')).toMatchObject({
      dir: path.join(root, 'repo2/a/secrets'),
      how: 'new',
    });
  });
});

describe('preview-stage fallbacks', () => {
  const rules: StageFallback[] = [
    { pattern: 'pr-*', stage: 'dev' },
    { pattern: 'feature*', stage: 'prod' },
  ];

  it('a stage without a file takes the first matching rule; reads only', () => {
    const found = locateStage({ stage: 'pr-7', cwd: repo, env, fallbacks: rules }, 'read');
    expect(found).toMatchObject({
      stage: 'pr-7',
      fileStage: 'dev',
      file: path.join(repo, 'secrets/dev.json'),
      fallback: rules[0],
    });
    expect(locateStage({ stage: 'feature_x', cwd: repo, env, fallbacks: rules }, 'read').fileStage).toBe('prod');
    expect(() => locateStage({ stage: 'pr-7', cwd: repo, env, fallbacks: rules }, 'write')).toThrow(
      /no stage file secrets\/pr-7\.json/,
    );
  });

  it('a stage with its own file never falls back', () => {
    expect(
      locateStage({ stage: 'dev', cwd: repo, env, fallbacks: [{ pattern: 'd*', stage: 'prod' }] }, 'read').fileStage,
    ).toBe('dev');
  });

  it('no matching rule stays NOT_FOUND and mentions fallbacks; a rule to a stage without a file says so', () => {
    expect(() => locateStage({ stage: 'staging', cwd: repo, env, fallbacks: [rules[0]!] }, 'read')).toThrow(
      expect.objectContaining({
        code: 'NOT_FOUND',
        message: expect.stringContaining("configure a fallback (--fallback 'pr-*=dev'"),
      }),
    );
    expect(() =>
      locateStage({ stage: 'pr-1', cwd: repo, env, fallbacks: [{ pattern: 'pr-*', stage: 'qa' }] }, 'read'),
    ).toThrow(
      /stage pr-1 has no stage file and its fallback pr-\* → qa names a stage without one either: no secrets\/qa\.json/,
    );
  });

  it('* matches stage-name characters only, anchored', () => {
    expect(matchFallback('pr-42', rules)).toBe(rules[0]);
    expect(matchFallback('xpr-42', [rules[0]!])).toBeUndefined();
    expect(matchFallback('pr-', [rules[0]!])).toBe(rules[0]);
    expect(matchFallback('app.pr-1', [{ pattern: 'app*', stage: 'dev' }])).toBeUndefined();
  });

  it('parses PATTERN=STAGE from options and STAGE_SECRETS_FALLBACKS, refusing what is not a rule', () => {
    expect(parseFallback('pr-*=dev', '--fallback')).toEqual({ pattern: 'pr-*', stage: 'dev' });
    expect(fallbacksFromEnv({ STAGE_SECRETS_FALLBACKS: 'pr-*=dev, feat-*=qa' })).toEqual([
      { pattern: 'pr-*', stage: 'dev' },
      { pattern: 'feat-*', stage: 'qa' },
    ]);
    expect(fallbacksFromEnv({})).toEqual([]);
    expect(() => parseFallback('prod=dev', '--fallback')).toThrow(
      '--fallback: "prod" is not a stage pattern; a pattern needs a *',
    );
    expect(() => parseFallback('pr-*', '--fallback')).toThrow('must be PATTERN=STAGE');
    expect(() => parseFallback('pr-*=../x', 'STAGE_SECRETS_FALLBACKS')).toThrow(
      'the stage for pr-* must be a stage name',
    );
  });
});
