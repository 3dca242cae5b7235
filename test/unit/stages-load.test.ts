/**
 * The one loader every entry point uses: run env or stage file, one shape, and where the values came from.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initStage } from '../../src/stages/init.js';
import { describeSource, loadSecrets } from '../../src/stages/load.js';
import { forgetUnwrappedKeys } from '../../src/stages/open.js';
import { removeSecrets, setSecrets } from '../../src/stages/secrets.js';
import { secretEnv } from '../../src/sst/index.js';

let root: string;
let env: NodeJS.ProcessEnv;
const base = () => ({ stage: 'dev', app: 'shop', cwd: path.join(root, 'app'), env });

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-load-'));
  fs.mkdirSync(path.join(root, 'app'));
  env = { XDG_CONFIG_HOME: path.join(root, 'config') };
  await initStage(base(), [{ type: 'local' }]);
  await setSecrets(base(), [
    { name: 'DB_URL', type: 'string', value: 'postgres://file' },
    { name: 'PORT', type: 'number', value: '5432' },
  ]);
});

afterAll(() => {
  forgetUnwrappedKeys();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('loadSecrets', () => {
  it('opens the stage file: typed values sorted by name, and the file and identity it used', async () => {
    const loaded = await loadSecrets(base());
    expect([...loaded.values]).toEqual([
      ['DB_URL', { type: 'string', text: 'postgres://file' }],
      ['PORT', { type: 'number', text: '5432' }],
    ]);
    expect(loaded.source).toMatchObject({ kind: 'stage-file', path: 'secrets/dev.json', identity: expect.stringMatching(/^local:[0-9a-f]{16}$/) });
    expect(describeSource(loaded.source)).toMatch(/^the stage file secrets\/dev\.json \(identity local:/);
    expect(loaded.note).toBeUndefined();
  });

  it('under stage-secrets run for this stage, takes the run env and types it from the file, with no key', async () => {
    const runEnv = { STAGE_SECRETS_STAGE: 'dev', STAGE_SECRETS_KEYS: 'PORT,EXTRA', STAGE_SECRETS_FILE: path.join(root, 'app/secrets/dev.json'), PORT: '6000', EXTRA: 'e' };
    const loaded = await loadSecrets({ ...base(), env: runEnv });
    expect([...loaded.values]).toEqual([
      ['EXTRA', { type: 'string', text: 'e' }],
      ['PORT', { type: 'number', text: '6000' }],
    ]);
    expect(loaded.source).toEqual({ kind: 'run-env', path: 'secrets/dev.json' });
  });

  it('under run, refuses a run env that does not name the file it came from', async () => {
    const runEnv = { STAGE_SECRETS_STAGE: 'dev', STAGE_SECRETS_KEYS: 'PORT', PORT: '6000' };
    await expect(loadSecrets({ ...base(), env: runEnv })).rejects.toMatchObject({
      code: 'RUN_FILE_MISMATCH',
      message: expect.stringContaining('but not STAGE_SECRETS_FILE, the stage file run opened'),
    });
  });

  it('under run, refuses from a folder that finds no stage file or another one, naming both files', async () => {
    const runFile = path.join(root, 'app/secrets/dev.json');
    const runEnv = { STAGE_SECRETS_STAGE: 'dev', STAGE_SECRETS_KEYS: 'PORT', STAGE_SECRETS_FILE: runFile, PORT: '6000' };
    await expect(loadSecrets({ ...base(), cwd: root, env: runEnv })).rejects.toMatchObject({
      code: 'RUN_FILE_MISMATCH',
      message: expect.stringContaining(`stage-secrets run opened ${runFile}, but from ${root} there is no stage file of its own`),
    });
    const other = { ...runEnv, STAGE_SECRETS_FILE: path.join(root, 'other/secrets/dev.json') };
    await expect(loadSecrets({ ...base(), env: other })).rejects.toMatchObject({
      code: 'RUN_FILE_MISMATCH',
      message: expect.stringContaining(`stage-secrets run opened ${other.STAGE_SECRETS_FILE}, but from ${path.join(root, 'app')} the stage file for stage dev is ${fs.realpathSync(runFile)}`),
    });
  });

  it('with runEnv: false (the CLI) reads the file even under run', async () => {
    const runEnv = { ...env, STAGE_SECRETS_STAGE: 'dev', STAGE_SECRETS_KEYS: 'PORT', PORT: '6000' };
    const loaded = await loadSecrets({ ...base(), env: runEnv, runEnv: false });
    expect(loaded.values.get('PORT')?.text).toBe('5432');
    expect(loaded.source.kind).toBe('stage-file');
    expect(loaded.note).toBeUndefined();
  });

  it('refuses a stage with a name no key holder approved (the plugin, SST helper and client all load through here)', async () => {
    const writerEnv = { XDG_CONFIG_HOME: path.join(root, 'writer-config') };
    forgetUnwrappedKeys(); // a writer's own process: no key was ever unwrapped here
    const written = await setSecrets({ ...base(), env: writerEnv }, [{ name: 'NEW_NAME', type: 'string', value: 'from-a-writer' }]);
    expect(written).toMatchObject({ added: ['NEW_NAME'], pending: ['NEW_NAME'] });
    await expect(loadSecrets(base())).rejects.toMatchObject({ code: 'UNAPPROVED', message: expect.stringContaining('stage-secrets approve --stage dev NEW_NAME') });
    await expect(secretEnv({ stage: 'dev', cwd: path.join(root, 'app'), env })).rejects.toMatchObject({ code: 'UNAPPROVED' });
    await removeSecrets(base(), ['NEW_NAME']);
    expect((await loadSecrets(base())).values.size).toBe(2);
  });

  it('refuses a stage file of another app, in one message naming where the app came from', async () => {
    await expect(loadSecrets({ ...base(), app: { name: 'billing', source: 'a test' } })).rejects.toMatchObject({
      code: 'APP_MISMATCH',
      message: expect.stringMatching(/^secrets\/dev\.json belongs to app "shop", but this is app "billing" \(from a test\)\. Pass --app shop/),
    });
  });
});
