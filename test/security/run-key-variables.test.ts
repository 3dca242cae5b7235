/**
 * The command under `run` is the build, and in a preview stage the build is the code of an unmerged
 * pull request: its serverless.yml, plugins and handlers. It gets the secrets, never a key: with the
 * key of the stage it fell back to (`dev`) it could approve names on `dev`, open `dev`'s whole history
 * and print the key. So the child gets no STAGE_SECRETS_KEY_* variable at all, and a key text it finds
 * another way is masked in its output like a value.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../support/cli.js';

const KEYS_DIR = (ws: Workspace) => path.join(ws.config, 'stage-secrets', 'keys');

/** Prints the names of key variables it got, and whether any variable holds one of the key texts. */
const reportEnv = (keyTexts: string[]) => `
  const texts = ${JSON.stringify(keyTexts)};
  const names = Object.keys(process.env).filter((k) => k.toUpperCase().startsWith('STAGE_SECRETS_KEY_'));
  const holders = Object.entries(process.env)
    .filter(([, v]) => texts.some((t) => v && v.includes(t.slice(20))))
    .map(([k]) => k);
  console.log(JSON.stringify({ stage: process.env.STAGE_SECRETS_STAGE, names, holders }));`;

/** Reads a file and prints its content in the forms a careless program would. */
const printFile = (file: string) => `
  const text = require('fs').readFileSync(${JSON.stringify(file)}, 'utf8');
  const body = text.trim().split(':')[1];
  process.stdout.write(text);
  console.log(text.trim());
  console.log('body=' + body);
  console.log(JSON.stringify({ key: text }));
  console.error(require('util').inspect(text));`;

describe('run hands its child no stage key', () => {
  let ws: Workspace;
  let devKey: string;
  let prodKey: string;
  let devKeyFile: string;
  let noKeys: string;
  beforeAll(async () => {
    ws = makeWorkspace('shop');
    fs.mkdirSync(path.join(ws.dir, '.git'));
    const keyFiles: Record<string, string> = {};
    for (const stage of ['dev', 'prod']) {
      const before = new Set(fs.existsSync(KEYS_DIR(ws)) ? fs.readdirSync(KEYS_DIR(ws)) : []);
      const init = await ws.run(['init', '--stage', stage]);
      expect(init.code, init.stderr).toBe(0);
      keyFiles[stage] = path.join(KEYS_DIR(ws), fs.readdirSync(KEYS_DIR(ws)).find((f) => !before.has(f))!);
      const set = await ws.run(['set', '--stage', stage, 'API_KEY', `${stage}-value-1234567`]);
      expect(set.code, set.stderr).toBe(0);
    }
    devKeyFile = keyFiles.dev!;
    devKey = fs.readFileSync(devKeyFile, 'utf8').trim();
    prodKey = fs.readFileSync(keyFiles.prod!, 'utf8').trim();
    noKeys = path.join(path.dirname(ws.dir), 'no-keys');
    fs.mkdirSync(noKeys);
  });
  afterAll(() => ws.cleanup());

  const ciEnv = () => ({ XDG_CONFIG_HOME: noKeys, STAGE_SECRETS_KEY_DEV: devKey, STAGE_SECRETS_KEY_PROD: prodKey });

  it('a preview build on dev gets neither the key that opened the stage nor an unrelated one', async () => {
    const child = [process.execPath, '-e', reportEnv([devKey, prodKey])];
    const r = await ws.run(['run', '--stage', 'pr-7', '--fallback', 'pr-*=dev', '--', ...child], { env: ciEnv() });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({ stage: 'pr-7', names: [], holders: [] });
  });

  it('the stage own build gets no key variable either (any letter case)', async () => {
    const r = await ws.run(['run', '--stage', 'dev', '--', process.execPath, '-e', reportEnv([devKey, prodKey])], {
      env: { ...ciEnv(), stage_secrets_key_staging: prodKey },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({ stage: 'dev', names: [], holders: [] });
  });

  for (const which of ['dev', 'prod'] as const) {
    it(`a key text of ${which} the child reads from a file is masked in its output`, async () => {
      const key = which === 'dev' ? devKey : prodKey;
      const file = path.join(path.dirname(ws.dir), `${which}-key-copy.txt`);
      fs.writeFileSync(file, `${key}\n`);
      const child = [process.execPath, '-e', printFile(file)];
      const r = await ws.run(['run', '--stage', 'pr-7', '--fallback', 'pr-*=dev', '--', ...child], { env: ciEnv() });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('body=***');
      const body = key.split(':')[1]!;
      expect(r.stdout + r.stderr).not.toContain(body);
      expect(r.stdout + r.stderr).not.toContain(body.slice(0, 24));
    });
  }

  it('the content of the key file that opened the stage is masked', async () => {
    // no key variable: the stage opens with the key file, which the child can read as the same user
    const r = await ws.run([
      'run',
      '--stage',
      'pr-7',
      '--fallback',
      'pr-*=dev',
      '--',
      process.execPath,
      '-e',
      printFile(devKeyFile),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('body=***');
    expect(r.stdout + r.stderr).not.toContain(devKey.split(':')[1]!);
  });

  it('a key variable that holds something else is masked as it is', async () => {
    const odd = 'not-a-key but a token 0123456789abcdef';
    const file = path.join(path.dirname(ws.dir), 'odd.txt');
    fs.writeFileSync(file, `x:${odd}`);
    const r = await ws.run(['run', '--stage', 'dev', '--', process.execPath, '-e', printFile(file)], {
      env: { ...ciEnv(), STAGE_SECRETS_KEY_OTHER: odd },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(odd);
  });
});
