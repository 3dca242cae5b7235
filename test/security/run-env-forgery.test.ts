/**
 * A pull request commits a `.env` that forges the env `stage-secrets run` gives its child
 * (STAGE_SECRETS_STAGE, STAGE_SECRETS_KEYS, STAGE_SECRETS_FILE and the values), with a name the stage file
 * does not have and no key holder approved. serverless v3 loads it (`useDotenv: true`), SST loads `.env` by
 * itself: the plugin, the SST helper and the client must not take it for run's env.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretClient } from '../../src/client/index.js';
import { runEnvMac } from '../../src/core/run-env.js';
import { initStage } from '../../src/stages/init.js';
import { forgetUnwrappedKeys } from '../../src/stages/open-file.js';
import type { StageOptions } from '../../src/stages/options.js';
import { setSecrets } from '../../src/stages/secrets.js';
import { secretEnv, secretEnvSync } from '../../src/sst/index.js';
import { makeWorkspace, runCli, type Workspace } from '../support/cli.js';
import { FRAMEWORKS, lambdas, packageService, prepareService, type SlsService } from '../support/sls-service.js';
import { CANARY, expectNoCanary } from './support.js';

const INJECTED = 'INJECTED_HOOK';

/** The committed `.env` of the attacker: a run env for stage dev naming `stageFile`, values of their own. */
function forgedDotenv(stageFile: string, names: string[]): string {
  const lines = [
    'STAGE_SECRETS_STAGE=dev',
    `STAGE_SECRETS_KEYS=${[...names, INJECTED].join(',')}`,
    `STAGE_SECRETS_FILE=${stageFile}`,
    ...names.map((name) => `${name}=${CANARY}-forged-${name}`),
    `${INJECTED}=${CANARY}`,
  ];
  return `${lines.join('\n')}\n`;
}

describe('serverless package (v3, useDotenv: true) with a committed .env forging the run env', () => {
  const fw = FRAMEWORKS.find((f) => f.name === 'serverless')!;
  const real = { API_KEY: 'real-api-value-1', DB_PASSWORD: 'real-db-value-2' };
  let svc: SlsService;

  beforeAll(async () => {
    svc = await prepareService('sls-per-function', { stage: 'dev', secrets: real, secretsDir: 'config/secrets' });
    const yml = path.join(svc.dir, 'serverless.yml');
    fs.writeFileSync(yml, `useDotenv: true\n${fs.readFileSync(yml, 'utf8')}`);
    fs.writeFileSync(path.join(svc.dir, '.env'), forgedDotenv(svc.stageFile, Object.keys(real)));
  }, 60_000);
  afterAll(() => svc?.ws.cleanup());

  it('without a key (the build did not use stage-secrets run): refused, no template, no value in the log', async () => {
    const env = { ...svc.env };
    for (const name of Object.keys(env)) if (name.startsWith('STAGE_SECRETS_KEY_')) delete env[name];
    const { result, template } = await packageService(fw, { ...svc, env });
    expect(result.code, result.output).not.toBe(0);
    expect(template).toBeUndefined();
    expect(fs.existsSync(path.join(svc.dir, '.serverless', 'cloudformation-template-update-stack.json'))).toBe(false);
    expect(result.output).toContain('nothing from the environment was used');
    expect(result.output).not.toContain('from the environment of stage-secrets run');
    expectNoCanary(result.output, 'package log');
  }, 60_000);

  it("with a committed look-alike of run's token file (0600 in a 0700 folder, as a umask 077 checkout makes it) and a MAC made from it: refused", async () => {
    const token = Buffer.alloc(32, 0x5a);
    const tokenDir = path.join(svc.dir, '.ci', 'stage-secrets-run-abcdef');
    fs.mkdirSync(tokenDir, { recursive: true });
    fs.writeFileSync(path.join(tokenDir, 'token'), token.toString('hex'), { mode: 0o600 });
    fs.chmodSync(tokenDir, 0o700);
    const names = [...Object.keys(real), INJECTED];
    const values = new Map(names.map((name) => [name, name === INJECTED ? CANARY : `${CANARY}-forged-${name}`]));
    const mac = runEnvMac(token, { stageFile: svc.stageFile, stage: 'dev', values });
    const dotenv = path.join(svc.dir, '.env');
    const plain = fs.readFileSync(dotenv, 'utf8');
    fs.writeFileSync(
      dotenv,
      `${plain}STAGE_SECRETS_RUN_TOKEN=${path.join(tokenDir, 'token')}\nSTAGE_SECRETS_RUN_MAC=${mac}\n`,
    );
    try {
      const env = { ...svc.env };
      for (const name of Object.keys(env)) if (name.startsWith('STAGE_SECRETS_KEY_')) delete env[name];
      const { result, template } = await packageService(fw, { ...svc, env });
      expect(result.code, result.output).not.toBe(0);
      expect(template).toBeUndefined();
      expect(result.output).toContain('where a committed file could be');
      expectNoCanary(result.output, 'package log');
    } finally {
      fs.writeFileSync(dotenv, plain);
      fs.rmSync(path.join(svc.dir, '.ci'), { recursive: true, force: true });
    }
  }, 60_000);

  it('with the stage key at hand: opens the stage file itself, takes none of the forged names or values', async () => {
    const { result, template } = await packageService(fw, svc);
    expect(result.code, result.output).toBe(0);
    const fns = lambdas(template!, 'per-function-svc', 'dev');
    expect(fns.full!.variables).toMatchObject(real);
    for (const fn of Object.values(fns)) expect(Object.keys(fn.variables)).not.toContain(INJECTED);
    expect(JSON.stringify(template)).not.toContain(CANARY);
    expect(result.output).toMatch(/from the stage file config\/secrets\/dev\.json/);
    expectNoCanary(result.output, 'package log');
  }, 60_000);
});

describe('the SST helper and the client with a committed .env forging the run env', () => {
  let ws: Workspace;
  let base: StageOptions;
  const real = { DB_URL: 'postgres://real-db/shop', PORT: '5432' };
  /** process.env as SST leaves it after loading the committed .env, without the stage key */
  let forged: NodeJS.ProcessEnv;

  beforeAll(async () => {
    ws = makeWorkspace('shop');
    base = { stage: 'dev', app: 'shop', cwd: ws.dir, env: ws.env };
    await initStage(base, [{ type: 'local' }]);
    await setSecrets(base, [
      { name: 'DB_URL', type: 'string', value: real.DB_URL },
      { name: 'PORT', type: 'number', value: real.PORT },
    ]);
    fs.writeFileSync(path.join(ws.dir, '.env'), forgedDotenv(ws.stageFile('dev'), Object.keys(real)));
    const dotenv = parseDotenv(fs.readFileSync(path.join(ws.dir, '.env')));
    forged = { ...ws.env, ...dotenv, XDG_CONFIG_HOME: path.join(ws.dir, 'no-keys') };
  });
  afterAll(() => ws?.cleanup());

  async function refusal(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
    try {
      await p;
    } catch (err) {
      return err as { code?: string; message: string };
    }
    throw new Error('expected a refusal');
  }

  it('secretEnv and secretEnvSync refuse it without a key, naming the problem and no value', async () => {
    forgetUnwrappedKeys();
    const err = await refusal(secretEnv({ app: 'shop', stage: 'dev', cwd: ws.dir, env: forged }));
    expect(err.code).toBe('RUN_ENV_UNVERIFIED');
    expect(err.message).toContain('nothing from the environment was used');
    expectNoCanary(err.message, 'secretEnv error');
    let sync: { code?: string; message: string } | undefined;
    try {
      secretEnvSync({ app: 'shop', stage: 'dev', cwd: ws.dir, env: forged });
    } catch (e) {
      sync = e as { code?: string; message: string };
    }
    expect(sync?.code).toBe('RUN_ENV_UNVERIFIED');
    expectNoCanary(sync!.message, 'secretEnvSync error');
  });

  it('secretEnv with the stage key at hand opens the stage file and takes no forged name or value', async () => {
    forgetUnwrappedKeys();
    const withKey = { ...forged, XDG_CONFIG_HOME: ws.env.XDG_CONFIG_HOME };
    expect(await secretEnv({ app: 'shop', stage: 'dev', cwd: ws.dir, env: withKey })).toEqual(real);
  });

  it('the client refuses it without a key, and reads the stage file with one', async () => {
    forgetUnwrappedKeys();
    const err = await refusal(new SecretClient({ stage: 'dev', cwd: ws.dir, env: forged }).readSecret(INJECTED));
    expect(err.code).toBe('RUN_ENV_UNVERIFIED');
    expectNoCanary(err.message, 'client error');
    forgetUnwrappedKeys();
    const withKey = new SecretClient({
      stage: 'dev',
      cwd: ws.dir,
      env: { ...forged, XDG_CONFIG_HOME: ws.env.XDG_CONFIG_HOME },
    });
    expect(await withKey.readSecret('DB_URL')).toBe(real.DB_URL);
    expect((await refusal(withKey.readSecret(INJECTED))).code).toBe('NOT_FOUND');
  });
});

describe("stage-secrets run's own proof", () => {
  let svc: SlsService;
  afterAll(() => svc?.ws.cleanup());

  it('the child finds a 0600 token file outside the repository and a MAC over what run set; run removes the token when it ends', async () => {
    svc = await prepareService('sls-per-function', {
      stage: 'dev',
      secrets: { API_KEY: CANARY },
      secretsDir: 'config/secrets',
    });
    const report = `const fs = require('node:fs'); const t = process.env.STAGE_SECRETS_RUN_TOKEN;
      console.log(JSON.stringify({ token: t, mode: (fs.statSync(t).mode & 0o777).toString(8), mac: process.env.STAGE_SECRETS_RUN_MAC, file: process.env.STAGE_SECRETS_FILE }));`;
    const r = await runCli(['run', '--stage', 'dev', '--dir', 'config/secrets', '--', process.execPath, '-e', report], {
      cwd: svc.dir,
      env: svc.env,
    });
    expect(r.code, r.stderr).toBe(0);
    const seen = JSON.parse(r.stdout) as { token: string; mode: string; mac: string; file: string };
    expect(path.isAbsolute(seen.token)).toBe(true);
    expect(path.relative(path.dirname(svc.dir), seen.token).startsWith('..')).toBe(true);
    if (typeof process.getuid === 'function') expect(seen.mode).toBe('600');
    expect(seen.mac).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(seen.file).toBe(svc.stageFile);
    expect(fs.existsSync(path.dirname(seen.token))).toBe(false);
  }, 60_000);

  it('warns when TMPDIR is inside the repository (its env would then be refused), and still runs the command', async () => {
    const tmp = path.join(svc.dir, 'tmp');
    fs.mkdirSync(tmp);
    const r = await runCli(
      ['run', '--stage', 'dev', '--dir', 'config/secrets', '--', process.execPath, '-e', 'console.log("ran")'],
      {
        cwd: svc.dir,
        env: { ...svc.env, TMPDIR: tmp },
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('ran');
    expect(r.stderr).toContain(`warning: TMPDIR (${tmp}) is inside ${fs.realpathSync(path.dirname(svc.dir))}`);
    expect(fs.readdirSync(tmp)).toEqual([]);
  }, 60_000);
});
