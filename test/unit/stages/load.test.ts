/**
 * The one loader every entry point uses: run env or stage file, one shape, and where the values came from.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initStage } from '../../../src/stages/init.js';
import { describeSource, loadSecrets } from '../../../src/stages/load.js';
import { forgetUnwrappedKeys } from '../../../src/stages/open-file.js';
import { removeSecrets, setSecrets } from '../../../src/stages/secrets.js';
import { secretEnv } from '../../../src/sst/index.js';
import { provenRunEnv, type ProvenRunEnv } from '../../support/run-env.js';

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
    expect(loaded.source).toMatchObject({
      kind: 'stage-file',
      path: 'secrets/dev.json',
      identity: expect.stringMatching(/^local:[0-9a-f]{16}$/),
    });
    expect(describeSource(loaded.source)).toMatch(/^the stage file secrets\/dev\.json \(identity local:/);
    expect(loaded.note).toBeUndefined();
  });

  const runFile = () => path.join(root, 'app/secrets/dev.json');
  const noKey = () => ({ XDG_CONFIG_HOME: path.join(root, 'no-keys') });
  const proven: ProvenRunEnv[] = [];
  const runEnvOf = (values: Record<string, string>, file = runFile(), inherited: NodeJS.ProcessEnv = noKey()) => {
    const made = provenRunEnv(inherited, 'dev', file, values);
    proven.push(made);
    return made.env;
  };
  afterAll(() => proven.forEach((p) => p.remove()));

  it('under stage-secrets run for this stage, takes the run env and types it from the file, with no key', async () => {
    forgetUnwrappedKeys();
    const loaded = await loadSecrets({ ...base(), env: runEnvOf({ PORT: '6000', DB_URL: 'postgres://run' }) });
    expect([...loaded.values]).toEqual([
      ['DB_URL', { type: 'string', text: 'postgres://run' }],
      ['PORT', { type: 'number', text: '6000' }],
    ]);
    expect(loaded.source).toEqual({ kind: 'run-env', path: 'secrets/dev.json' });
  });

  it("under run, does not take a run env without run's proof, or one whose names or values changed", async () => {
    const genuine = runEnvOf({ PORT: '6000' });
    const cases: Array<[NodeJS.ProcessEnv, string]> = [
      [{ ...genuine, STAGE_SECRETS_FILE: undefined }, 'STAGE_SECRETS_FILE, the stage file run opened, is not set'],
      [{ ...genuine, STAGE_SECRETS_FILE: 'secrets/dev.json' }, 'STAGE_SECRETS_FILE is not an absolute path'],
      [
        { ...genuine, STAGE_SECRETS_RUN_MAC: undefined },
        'STAGE_SECRETS_RUN_MAC, the proof that stage-secrets run set these, is not set',
      ],
      [{ ...genuine, PORT: '6001' }, 'STAGE_SECRETS_RUN_MAC does not match'],
      [
        { ...genuine, STAGE_SECRETS_KEYS: 'DB_URL,PORT', DB_URL: 'postgres://evil' },
        'STAGE_SECRETS_RUN_MAC does not match',
      ],
    ];
    for (const [runEnv, problem] of cases) {
      forgetUnwrappedKeys();
      const err = await loadSecrets({ ...base(), env: runEnv }).catch((e: unknown) => e);
      expect(err, problem).toMatchObject({ code: 'RUN_ENV_UNVERIFIED', message: expect.stringContaining(problem) });
      expect((err as Error).message).toContain('Opening the stage file here failed too');
      expect((err as Error).message).not.toContain('postgres://evil');
    }
  });

  it('under run, a proven run env naming a secret the stage file does not have is not used either', async () => {
    forgetUnwrappedKeys();
    await expect(loadSecrets({ ...base(), env: runEnvOf({ PORT: '6000', EXTRA: 'e' }) })).rejects.toMatchObject({
      code: 'RUN_ENV_UNVERIFIED',
      message: expect.stringContaining(
        'STAGE_SECRETS_KEYS lists EXTRA, which the stage file secrets/dev.json does not have',
      ),
    });
  });

  it('a run env without proof and the stage key at hand: opens the stage file, and says why', async () => {
    const forged = {
      ...env,
      STAGE_SECRETS_STAGE: 'dev',
      STAGE_SECRETS_KEYS: 'PORT',
      STAGE_SECRETS_FILE: runFile(),
      PORT: '6000',
    };
    const loaded = await loadSecrets({ ...base(), env: forged });
    expect(loaded.values.get('PORT')?.text).toBe('5432');
    expect(loaded.source.kind).toBe('stage-file');
    expect(loaded.note).toBe(
      'the environment states secrets of stage dev from stage-secrets run, but STAGE_SECRETS_RUN_TOKEN, the proof that stage-secrets run set these, is not set; not used, the stage file was opened instead',
    );
  });

  it('under run, refuses from a folder that finds no stage file or another one, naming both files', async () => {
    await expect(loadSecrets({ ...base(), cwd: root, env: runEnvOf({ PORT: '6000' }) })).rejects.toMatchObject({
      code: 'RUN_FILE_MISMATCH',
      message: expect.stringContaining(
        `stage-secrets run opened ${runFile()}, but from ${root} there is no stage file of its own`,
      ),
    });
    const otherFile = path.join(root, 'other/secrets/dev.json');
    await expect(loadSecrets({ ...base(), env: runEnvOf({ PORT: '6000' }, otherFile) })).rejects.toMatchObject({
      code: 'RUN_FILE_MISMATCH',
      message: expect.stringContaining(
        `stage-secrets run opened ${otherFile}, but from ${path.join(root, 'app')} the stage file for stage dev is ${fs.realpathSync(runFile())}`,
      ),
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
    const written = await setSecrets({ ...base(), env: writerEnv }, [
      { name: 'NEW_NAME', type: 'string', value: 'from-a-writer' },
    ]);
    expect(written).toMatchObject({ added: ['NEW_NAME'], pending: ['NEW_NAME'] });
    await expect(loadSecrets(base())).rejects.toMatchObject({
      code: 'UNAPPROVED',
      message: expect.stringContaining('stage-secrets approve --stage dev NEW_NAME'),
    });
    await expect(secretEnv({ stage: 'dev', cwd: path.join(root, 'app'), env })).rejects.toMatchObject({
      code: 'UNAPPROVED',
    });
    await removeSecrets(base(), ['NEW_NAME']);
    expect((await loadSecrets(base())).values.size).toBe(2);
  });

  it('refuses a stage file of another app, in one message naming where the app came from', async () => {
    await expect(loadSecrets({ ...base(), app: { name: 'billing', from: 'a test' } })).rejects.toMatchObject({
      code: 'APP_MISMATCH',
      message: expect.stringMatching(
        /^secrets\/dev\.json belongs to app "shop", but this is app "billing" \(from a test\)\. Pass --app shop/,
      ),
    });
  });
});
