import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretClient } from '../../src/client/index.js';
import { makeWorkspace, type CliResult, type Workspace } from '../support/cli.js';
import { startS3Server } from '../support/s3-server.js';
import { CANARY, canaryForms, expectNoCanary, expectNoCrash, filesWithCanary, readStageText } from './support.js';

/**
 * Every command, run with a canary among the secrets. The canary may appear only where a command's
 * purpose is to put it: export's output (stdout, or the 0600 --out file), the child of run when the
 * child itself prints it unmasked, and ::add-mask:: lines for GitHub. Never in any other output, the
 * stage file, temp files, or an error message.
 */
const stage = ['--stage', 'dev'];
const child = (script: string) => ['--', process.execPath, '-e', script];
const PEM = `-----BEGIN TEST KEY-----\n${CANARY}-line1\n${CANARY}-line2\n-----END TEST KEY-----\n`;

describe('leak checks with a canary secret, every command', () => {
  let ws: Workspace;
  let root: string;
  let tmp: string;
  /** files the test itself put the canary in (inputs) or asked the tool to write it to (export --out) */
  const allowedFiles: string[] = [];
  const systemTmpBefore = new Set(fs.readdirSync(os.tmpdir()));
  /** every result whose output must be free of the canary */
  const clean: Array<[string, CliResult]> = [];

  async function run(
    label: string,
    args: string[],
    extra: { input?: string; env?: NodeJS.ProcessEnv } = {},
  ): Promise<CliResult> {
    const r = await ws.run(args, extra);
    expectNoCrash(r, label);
    return r;
  }
  async function ok(
    label: string,
    args: string[],
    extra: { input?: string; env?: NodeJS.ProcessEnv } = {},
  ): Promise<CliResult> {
    const r = await run(label, args, extra);
    expect(r.code, `${label}: ${r.stderr}`).toBe(0);
    clean.push([label, r]);
    return r;
  }
  function inputFile(name: string, text: string): string {
    const file = path.join(ws.dir, name);
    fs.writeFileSync(file, text);
    allowedFiles.push(file);
    return file;
  }

  beforeAll(async () => {
    ws = makeWorkspace('leak-app');
    root = path.dirname(ws.dir);
    tmp = path.join(root, 'tmp');
    fs.mkdirSync(tmp);
    ws.env.TMPDIR = tmp; // whatever temp file our processes make lands here, and is scanned below
    await ok('init', ['init', ...stage]);
    await ok('set from stdin', ['set', ...stage, 'CANARY_TOKEN'], { input: `${CANARY}\n` });
    await ok('set from an argument', ['set', ...stage, 'ARG_TOKEN', `${CANARY}-arg`]);
    await ok('set --from-file', ['set', ...stage, 'PEM', '--from-file', inputFile('key.pem', PEM)]);
    await ok('set json', ['set', ...stage, 'JSON_TOKEN', '--type', 'json'], {
      input: JSON.stringify({ token: `${CANARY}-json`, n: 1 }),
    });
    await ok('import', [
      'import',
      ...stage,
      inputFile('more.env', `IMPORTED_A=${CANARY}-a\nIMPORTED_B="${CANARY}-b"\n`),
    ]);
  });

  afterAll(() => ws.cleanup());

  it('reads without a key and key-holding maintenance print no value', async () => {
    await ok('list', ['list', ...stage]);
    await ok('list --json', ['list', ...stage, '--json']);
    await ok('verify', ['verify', ...stage]);
    await ok('verify --json', ['verify', ...stage, '--json']);
    await ok('rotate', ['rotate', ...stage]);
    const added = await ok('rewrap --local', ['rewrap', ...stage, '--local']);
    const firstId = /identities: (local:[0-9a-f]{16}),/.exec(added.stderr)?.[1];
    expect(firstId).toBeDefined();
    await ok('rewrap --remove', ['rewrap', ...stage, '--remove', firstId!]);
    await ok('rm', ['rm', ...stage, 'IMPORTED_B']);
    await ok('verify after maintenance', ['verify', ...stage]);
  });

  it('run masks every value in the child output, files-dir files are 0600 and gone afterwards', async () => {
    const filesDir = path.join(ws.dir, 'secret-files');
    const script = `
      const fs = require('fs');
      const e = process.env;
      console.log('token', e.CANARY_TOKEN, 'arg', e.ARG_TOKEN, 'json', e.JSON_TOKEN);
      console.error('pem', e.PEM);
      const f = ${JSON.stringify(filesDir)} + '/CANARY_TOKEN';
      console.log('file mode', (fs.statSync(f).mode & 0o777).toString(8), 'content', fs.readFileSync(f, 'utf8'));`;
    const r = await ok('run (masked, files-dir, verbose)', [
      'run',
      ...stage,
      '--verbose',
      '--files-dir',
      filesDir,
      ...child(script),
    ]);
    expect(r.stdout).toMatch(/token \*\*\* arg \*\*\* json \*\*\*/);
    expect(r.stdout).toContain('file mode 600 content ***');
    expect(r.stderr).toContain('pem ***');
    expect(fs.existsSync(filesDir)).toBe(false);
  });

  it('run --no-mask: the value shows only where the child itself prints it', async () => {
    const r = await run('run --no-mask', [
      'run',
      ...stage,
      '--no-mask',
      '--verbose',
      ...child("console.log('CHILD:' + process.env.CANARY_TOKEN); console.error('to stderr, no value')"),
    ]);
    expect(r.code).toBe(0);
    const withCanary = r.stdout.split('\n').filter((l) => canaryForms().some((f) => l.includes(f)));
    expect(withCanary).toEqual([`CHILD:${CANARY}`]);
    expectNoCanary(r.stderr, 'run --no-mask stderr');
  });

  it('export writes values where asked: stdout without --out, else only the 0600 file; never stderr', async () => {
    for (const format of ['dotenv', 'json', 'shell']) {
      const printed = await run(`export ${format}`, ['export', ...stage, '--format', format]);
      expect(printed.code).toBe(0);
      expect(printed.stdout).toContain(`${CANARY}-arg`);
      expectNoCanary(printed.stderr, `export ${format} stderr`);

      const out = path.join(ws.dir, `exported.${format}`);
      fs.writeFileSync(out, 'old content\n', { mode: 0o644 }); // an existing, too open file is tightened first
      allowedFiles.push(out);
      await ok(`export ${format} --out`, ['export', ...stage, '--format', format, '--out', out]);
      expect(fs.statSync(out).mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(out, 'utf8')).toContain(`${CANARY}-arg`);
    }
    const ghEnv = path.join(ws.dir, 'github-env');
    allowedFiles.push(ghEnv);
    const gh = await run('export github-env', ['export', ...stage, '--format', 'github-env', '--out', ghEnv], {
      env: { GITHUB_ACTIONS: 'true' },
    });
    expect(gh.code).toBe(0);
    const stdoutWithCanary = gh.stdout.split('\n').filter((l) => l.includes(CANARY));
    expect(stdoutWithCanary.length).toBeGreaterThan(0);
    for (const line of stdoutWithCanary) expect(line).toMatch(/^::add-mask::/);
    expectNoCanary(gh.stderr, 'export github-env stderr');
    expect(fs.statSync(ghEnv).mode & 0o777).toBe(0o600);
  });

  it('error paths never echo a value', async () => {
    const before = readStageText(ws);
    const failing: Array<[string, string[], { input?: string }?]> = [
      ['bad JSON', ['set', ...stage, 'J', '--type', 'json'], { input: `{"token": "${CANARY}", oops}` }],
      ['not a number', ['set', ...stage, 'N', '--type', 'number'], { input: CANARY }],
      ['too long', ['set', ...stage, 'BIG'], { input: CANARY.repeat(300) }],
      ['value that looks like an option', ['set', ...stage, 'OPT', `--${CANARY}`]],
      ['KEY and VALUE swapped', ['set', ...stage, `${CANARY}`, 'API_KEY']],
      ['value given twice', ['set', ...stage, 'TWICE', CANARY, '--from-file', allowedFiles[0]!]],
      ['three positionals', ['set', ...stage, 'X', CANARY, 'more']],
      ['rm with a value for a name', ['rm', ...stage, CANARY]],
      [
        'import with a bad name',
        ['import', ...stage, '-'],
        { input: `OK_NAME=${CANARY}\nNODE_OPTIONS=--require ${CANARY}\n` },
      ],
      ['import with a case clash', ['import', ...stage, '-'], { input: `CASE_A=${CANARY}\ncase_a=${CANARY}\n` }],
      ['export without a format', ['export', ...stage]],
      ['run without a command', ['run', ...stage]],
    ];
    for (const [label, args, extra] of failing) {
      const r = await run(label, args, extra);
      expect(r.code, `${label}: ${r.stderr}`).toBe(1);
      clean.push([label, r]);
    }
    expect(readStageText(ws)).toBe(before);

    // a tampered value: integrity error, in verify, run (child never starts) and export
    const file = JSON.parse(before);
    const ct = Buffer.from(file.secrets.CANARY_TOKEN.ct, 'base64');
    ct[0]! ^= 1;
    file.secrets.CANARY_TOKEN.ct = ct.toString('base64');
    ws.writeStage('dev', file);
    try {
      for (const args of [
        ['verify', ...stage],
        ['run', ...stage, ...child("console.log('child started')")],
        ['export', ...stage, '--format', 'json'],
      ]) {
        const r = await run(`${args[0]} tampered`, args);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stdout + r.stderr).toMatch(/integrity check failed[^\n]*CANARY_TOKEN/);
        expect(r.stdout).not.toContain('child started');
        clean.push([`${args[0]} tampered`, r]);
      }
    } finally {
      ws.restore('dev', before);
    }
  });

  it('the runtime store: updates, list --store and pull print no value, and no object holds one', async () => {
    const s3 = await startS3Server();
    try {
      s3.createBucket('leak-store');
      const store = {
        STAGE_SECRETS_STORE: 's3://leak-store/rt',
        AWS_ENDPOINT_URL_S3: s3.url,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'x',
        AWS_SECRET_ACCESS_KEY: 'y',
      };
      const client = new SecretClient({ stage: 'dev', cwd: ws.dir, env: { ...ws.env, ...store } });
      await client.updateSecret({ key: 'CANARY_TOKEN', value: `${CANARY}-runtime` });
      await client.updateSecret({ key: 'JSON_TOKEN', value: { token: `${CANARY}-runtime-json` } });
      expect(await client.readSecret('CANARY_TOKEN', { useCache: false })).toBe(`${CANARY}-runtime`);
      await ok('list --store', ['list', ...stage], { env: store });
      await ok('list --store --json', ['list', ...stage, '--json'], { env: store });
      const pulled = await ok('pull', ['pull', ...stage], { env: store });
      expect(pulled.stdout).toContain('2 secrets updated: CANARY_TOKEN, JSON_TOKEN');
      for (const key of s3.keys('leak-store'))
        expectNoCanary(s3.getObject('leak-store', key)!.body.toString('latin1'), `store object ${key}`);
      // a foreign object holding the canary: refused, its content never echoed
      s3.putObject(
        'leak-store',
        'rt/leak-app/dev/ARG_TOKEN.json',
        JSON.stringify({ type: 'string', updated: '2099-01-01T00:00:00Z', ct: CANARY }),
      );
      const refused = await run('pull of a foreign object', ['pull', ...stage], { env: store });
      expect(refused.code).toBe(2);
      clean.push(['pull of a foreign object', refused]);
      const read = await client.readSecret('ARG_TOKEN', { useCache: false }).catch((e: unknown) => e as Error);
      expect(read).toBeInstanceOf(Error);
      expectNoCanary(String((read as Error).message), 'client error on a foreign object');
    } finally {
      await s3.close();
    }
  });

  it('no output of those commands, nor the stage file, nor any temp file holds the canary', () => {
    expect(clean.length).toBeGreaterThan(30);
    for (const [label, r] of clean) expectNoCanary(r.stdout + r.stderr, label);
    expectNoCanary(readStageText(ws), 'the stage file');
    expect(filesWithCanary(tmp), 'files in the private TMPDIR').toEqual([]);
    expect(filesWithCanary(root, { except: allowedFiles }), 'files in the workspace').toEqual([]);
    // anything new in the system temp folder since this file started (our processes were told to use
    // their own TMPDIR, so nothing of theirs should be there; other suites' files never hold our canary)
    const fresh = fs
      .readdirSync(os.tmpdir())
      .filter((n) => !systemTmpBefore.has(n) && !root.startsWith(path.join(os.tmpdir(), n)));
    const hits = fresh.flatMap((n) => {
      const p = path.join(os.tmpdir(), n);
      try {
        const stat = fs.lstatSync(p);
        if (stat.isDirectory()) return filesWithCanary(p);
        if (stat.isFile() && stat.size < 5_000_000)
          return canaryForms().some((f) => fs.readFileSync(p).toString('latin1').includes(f)) ? [p] : [];
      } catch {
        // removed meanwhile by whoever made it
      }
      return [];
    });
    expect(hits).toEqual([]);
  });
});
