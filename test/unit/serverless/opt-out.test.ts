import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decideSetEnvs, parseSwitch, seedSetting } from '../../../src/serverless/opt-out.js';
import { findGitRoot } from '../../../src/git/root.js';

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

/** A temp repo (root with .git) holding a service folder; files given relative to the root. */
function repo(files: Record<string, string>): { root: string; service: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-optout-'));
  roots.push(root);
  fs.mkdirSync(path.join(root, '.git'));
  fs.mkdirSync(path.join(root, 'services', 'api'), { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(root, name), text);
  return { root, service: path.join(root, 'services', 'api') };
}

describe('seedSetting', () => {
  it('reads the top-level key as YAML: a boolean, in the spellings YAML 1.2 allows', () => {
    expect(seedSetting('sls_set_secret_envs: false\n', 'seed.yml')).toBe(false);
    const commented = 'before_compile:\n  - x\nsls_set_secret_envs: False  # functions read SSM\n';
    expect(seedSetting(commented, 'seed.yml')).toBe(false);
    expect(seedSetting('"sls_set_secret_envs" : FALSE\r\n', 'seed.yml')).toBe(false);
    expect(seedSetting('sls_set_secret_envs: true\n', 'seed.yml')).toBe(true);
    expect(seedSetting('{ sls_set_secret_envs: false, before_build: [] }\n', 'seed.yml')).toBe(false);
  });

  it('ignores nested and commented keys, and a file that sets nothing', () => {
    expect(
      seedSetting('build:\n  sls_set_secret_envs: false\n# sls_set_secret_envs: false\n', 'seed.yml'),
    ).toBeUndefined();
    expect(seedSetting('# nothing here yet\n', 'seed.yml')).toBeUndefined();
    expect(seedSetting('', 'seed.yml')).toBeUndefined();
  });

  it('refuses a value that is not a YAML boolean, quoted words and YAML 1.1 words included, naming the file', () => {
    for (const value of ['maybe', '"no"', "'false'", 'no', 'off', '0', '', '[false]']) {
      expect(() => seedSetting(`sls_set_secret_envs: ${value}\n`, '/repo/seed.yml'), value).toThrow(
        /^\/repo\/seed\.yml: sls_set_secret_envs must be true or false/,
      );
    }
  });

  it('refuses a key one or two edits, or case and separators, away from the opt-out, with a did-you-mean', () => {
    const nearMisses = ['sls_set_secret_env', 'sls_set_secrets_envs', 'SLS_SET_SECRET_ENVS', 'sls-set-secret-envs'];
    for (const key of [...nearMisses, 'slsSetSecretEnvs', 'sls_set_secert_envs']) {
      expect(() => seedSetting(`${key}: false\n`, '/repo/seed.yml'), key).toThrow(
        `/repo/seed.yml: unknown key ${key}; did you mean sls_set_secret_envs?`,
      );
    }
    expect(seedSetting('before_compile:\n  - echo x\nbuild_image: standard\n', 'seed.yml')).toBeUndefined();
  });

  it('refuses a file that is not YAML, or sets the key twice, naming the file and the line', () => {
    const file = '/repo/seed.yml';
    const broken = 'sls_set_secret_envs: false\n  bad: [\n';
    expect(() => seedSetting(broken, file)).toThrow(/^\/repo\/seed\.yml is not valid YAML \(line \d+/);
    const twice = 'sls_set_secret_envs: false\nsls_set_secret_envs: true\n';
    expect(() => seedSetting(twice, file)).toThrow(/^\/repo\/seed\.yml is not valid YAML \(line 2/);
    const list = '- sls_set_secret_envs: false\n';
    expect(() => seedSetting(list, file)).toThrow(`${file}: a build spec is a mapping of keys`);
  });
});

describe('parseSwitch', () => {
  it('knows the usual words and nothing else', () => {
    expect(['false', 'FALSE', '0', 'no', 'off'].map(parseSwitch)).toEqual([false, false, false, false, false]);
    expect(['true', '1', 'yes', 'On'].map(parseSwitch)).toEqual([true, true, true, true]);
    expect(parseSwitch('flase')).toBeUndefined();
  });
});

describe('decideSetEnvs', () => {
  it('sets secrets when nothing says otherwise', () => {
    const { service } = repo({});
    expect(decideSetEnvs({ env: {}, serviceDir: service })).toEqual({ setEnvs: true });
  });

  it('finds seed.yml at the repo root when the service folder has none', () => {
    const { root, service } = repo({ 'seed.yml': 'sls_set_secret_envs: false\n' });
    expect(findGitRoot(service)).toBe(root);
    expect(decideSetEnvs({ env: {}, serviceDir: service })).toEqual({
      setEnvs: false,
      reason: `sls_set_secret_envs: false in ${path.join(root, 'seed.yml')}`,
    });
  });

  it("lets the service folder's seed.yml decide before the root's", () => {
    const { service } = repo({
      'seed.yml': 'sls_set_secret_envs: false\n',
      'services/api/seed.yml': 'sls_set_secret_envs: true\n',
    });
    expect(decideSetEnvs({ env: {}, serviceDir: service }).setEnvs).toBe(true);
  });

  it('goes on to the root when the service seed.yml does not set the key', () => {
    const { service } = repo({
      'seed.yml': 'sls_set_secret_envs: false\n',
      'services/api/seed.yml': 'before_build: []\n',
    });
    expect(decideSetEnvs({ env: {}, serviceDir: service }).setEnvs).toBe(false);
  });

  it('turns off on custom.stageSecrets.setEnvs: false or SLS_SET_SECRET_ENVS=false, saying which', () => {
    const { service } = repo({});
    expect(decideSetEnvs({ env: {}, setEnvs: false, serviceDir: service })).toEqual({
      setEnvs: false,
      reason: 'custom.stageSecrets.setEnvs is false in serverless.yml',
    });
    expect(decideSetEnvs({ env: { SLS_SET_SECRET_ENVS: 'false' }, setEnvs: true, serviceDir: service })).toEqual({
      setEnvs: false,
      reason: 'SLS_SET_SECRET_ENVS=false in the environment',
    });
  });

  it('any one switch set to false wins over the others set to true', () => {
    const { service } = repo({ 'seed.yml': 'sls_set_secret_envs: false\n' });
    expect(decideSetEnvs({ env: { SLS_SET_SECRET_ENVS: 'true' }, setEnvs: true, serviceDir: service }).setEnvs).toBe(
      false,
    );
  });

  it("fails on a misspelt key in the root's seed.yml rather than setting every secret", () => {
    const { root, service } = repo({
      'seed.yml': 'sls_set_secret_env: false\n',
      'services/api/seed.yml': 'before_build: []\n',
    });
    expect(() => decideSetEnvs({ env: {}, serviceDir: service })).toThrow(
      `${path.join(root, 'seed.yml')}: unknown key sls_set_secret_env; did you mean sls_set_secret_envs?`,
    );
  });

  it('refuses an env value it cannot read rather than guess', () => {
    const { service } = repo({});
    expect(() => decideSetEnvs({ env: { SLS_SET_SECRET_ENVS: 'nope' }, serviceDir: service })).toThrow(
      'SLS_SET_SECRET_ENVS must be true or false',
    );
  });
});
