import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskTexts } from '../../src/core/mask-texts.js';
import { githubMaskLines } from '../../src/core/ci-masks.js';
import { setSecrets } from '../../src/stages/secrets.js';
import { makeWorkspace, readOnlyLocalKey, startCli, type Workspace } from '../support/cli.js';

// The CLI runs as a real process (the built dist/), the child is a real process too.

const TOKEN = 'tok-3f9a-SECRET-77';
const DB = { user: 'dbadmin', password: 'pa55-w0rd!', port: 5432 };
const PEM =
  '-----BEGIN TEST KEY-----\nMIIBVwIBADANBgkqhkiG9w0BAQEFAASC\nAT8wggE7AgEAAkEAq7BFUpkGp3+XQ\n-----END TEST KEY-----\n';
const OVERRIDE = 'value-from-the-stage';
const PIN = '42';

const sha = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

let ws: Workspace;
let ciEnv: NodeJS.ProcessEnv;

function run(args: string[], extra: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  return ws.run(['run', '--stage', 'ci', ...args], { env: { ...ciEnv, ...extra.env }, input: extra.input });
}

/** Writes a child script into the workspace; returns its path. */
function script(name: string, body: string): string {
  const file = path.join(ws.dir, name);
  fs.writeFileSync(file, body);
  return file;
}

beforeAll(async () => {
  ws = makeWorkspace();
  const init = await ws.run(['init', '--stage', 'ci']);
  expect(init.code).toBe(0);
  await setSecrets({ stage: 'ci', cwd: ws.dir, app: 'demo-app', env: ws.env }, [
    { name: 'API_TOKEN', type: 'string', value: TOKEN },
    { name: 'DB', type: 'json', value: JSON.stringify(DB, null, 2) },
    { name: 'PEM', type: 'string', value: PEM },
    { name: 'OVERRIDE_ME', type: 'string', value: OVERRIDE },
    { name: 'PIN', type: 'number', value: PIN },
  ]);
  // As in CI: the key only in STAGE_SECRETS_KEY_CI, no key files.
  const emptyConfig = path.join(ws.dir, '..', 'ci-config');
  fs.mkdirSync(emptyConfig);
  ciEnv = {
    ...ws.env,
    XDG_CONFIG_HOME: emptyConfig,
    STAGE_SECRETS_KEY_CI: readOnlyLocalKey(ws),
    OVERRIDE_ME: 'inherited',
    KEEP_ME: 'kept',
  };
});

afterAll(() => ws?.cleanup());

describe('run: env and exit codes', () => {
  it('gives the child the secrets over inherited env, the stage and key names, but not the key', async () => {
    const child = script(
      'env.mjs',
      `import { createHash } from 'node:crypto';
       const h = (v) => v === undefined ? 'unset' : createHash('sha256').update(v).digest('hex');
       console.log(JSON.stringify({
         token: h(process.env.API_TOKEN), db: h(process.env.DB), pem: h(process.env.PEM), override: h(process.env.OVERRIDE_ME),
         pin: process.env.PIN, keep: process.env.KEEP_ME, stage: process.env.STAGE_SECRETS_STAGE,
         keys: process.env.STAGE_SECRETS_KEYS, key: h(process.env.STAGE_SECRETS_KEY_CI) }));`,
    );
    const r = await run(['--', process.execPath, child]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      token: sha(TOKEN),
      db: sha(JSON.stringify(DB)),
      pem: sha(PEM),
      override: sha(OVERRIDE),
      pin: PIN,
      keep: 'kept',
      stage: 'ci',
      keys: 'API_TOKEN,DB,OVERRIDE_ME,PEM,PIN',
      key: 'unset',
    });
  });

  it("exits with the child's code", async () => {
    expect((await run(['--', process.execPath, '-e', 'process.exit(42)'])).code).toBe(42);
    expect((await run(['--', process.execPath, '-e', ''])).code).toBe(0);
  });

  it('exits 128+N when the child dies by signal N', async () => {
    expect((await run(['--', process.execPath, '-e', 'process.kill(process.pid, "SIGKILL")'])).code).toBe(137);
    expect((await run(['--', 'sh', '-c', 'kill -TERM $$'])).code).toBe(143);
  });

  it('lets the child read stdin, with no terminal', async () => {
    const r = await run(
      [
        '--',
        process.execPath,
        '-e',
        'let s="";process.stdin.on("data",c=>s+=c).on("end",()=>console.log(s.toUpperCase(), process.stdout.isTTY ?? false))',
      ],
      {
        input: 'hello from stdin',
      },
    );
    expect(r.stdout).toBe('HELLO FROM STDIN false\n');
  });

  it('takes the command without -- too, and keeps its options as its own', async () => {
    const r = await run([process.execPath, '-e', 'console.log(process.argv.slice(1).join(" "))', '--', '--stage', 'x']);
    expect(r.stdout).toBe('--stage x\n');
  });

  it('fails before starting with the tool exit codes: 1 usage or unknown command, 3 no key', async () => {
    const missing = await run(['--', 'no-such-command-here']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot start "no-such-command-here" \(ENOENT\)/);
    expect((await run([])).code).toBe(1);
    const noKey = await run(['--', 'true'], { env: { STAGE_SECRETS_KEY_CI: '' } });
    expect(noKey.code).toBe(3);
    expect(noKey.stdout).toBe('');
  });
});

describe('run on a CI runner', () => {
  const child = () => script('started.mjs', "console.log('child-started')");
  const stageValues = () =>
    new Map([
      ['API_TOKEN', { type: 'string' as const, text: TOKEN }],
      ['DB', { type: 'json' as const, text: JSON.stringify(DB) }],
      ['OVERRIDE_ME', { type: 'string' as const, text: OVERRIDE }],
      ['PEM', { type: 'string' as const, text: PEM }],
      ['PIN', { type: 'number' as const, text: PIN }],
    ]);

  it('on GitHub Actions registers every text it masks with ::add-mask:: before the child starts', async () => {
    const r = await run(['--', process.execPath, child()], { env: { GITHUB_ACTIONS: 'true' } });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    expect(lines[lines.length - 1]).toBe('child-started');
    const masks = lines.slice(0, -1);
    expect(masks.length).toBeGreaterThan(5);
    expect([...masks].sort()).toEqual(githubMaskLines(maskTexts(stageValues())).sort());
    // the same rule as everywhere: a value too short to mask is not registered
    expect(masks).not.toContain(`::add-mask::${PIN}`);
    expect(masks.some((l) => l === `::add-mask::${TOKEN}`)).toBe(true);
  });

  it('on GitLab and elsewhere prints nothing extra, and nothing with --no-mask', async () => {
    for (const env of [{ GITLAB_CI: 'true' }, {}]) {
      const r = await run(['--', process.execPath, child()], { env });
      expect(r.stdout).toBe('child-started\n');
    }
    const noMask = await run(['--no-mask', '--', process.execPath, child()], { env: { GITHUB_ACTIONS: 'true' } });
    expect(noMask.stdout).toBe('child-started\n');
  });
});

describe('run: signals', () => {
  it('forwards SIGTERM to the child and exits with its code', async () => {
    const child = script(
      'trap.mjs',
      `process.on('SIGTERM', () => { console.log('child got SIGTERM'); process.exit(7); });
       console.log('ready'); setInterval(() => {}, 1000);`,
    );
    const p = startCli(['run', '--stage', 'ci', '--', process.execPath, child], {
      cwd: ws.dir,
      env: ciEnv,
      keepStdinOpen: true,
    });
    await p.waitFor('ready');
    p.child.kill('SIGTERM');
    const r = await p.doneBytes;
    expect(r.code).toBe(7);
    expect(r.stdout.toString()).toBe('ready\nchild got SIGTERM\n');
  });

  it('forwards SIGINT; a child without a handler dies and run exits 130', async () => {
    const p = startCli(
      ['run', '--stage', 'ci', '--', process.execPath, '-e', 'console.log("ready"); setInterval(() => {}, 1000)'],
      { cwd: ws.dir, env: ciEnv, keepStdinOpen: true },
    );
    await p.waitFor('ready');
    p.child.kill('SIGINT');
    const r = await p.doneBytes;
    expect(r.signal).toBe(null);
    expect(r.code).toBe(130);
  });
});

describe('run: masking', () => {
  it('masks every value in stdout and stderr, JSON leaves and PEM lines included', async () => {
    const child = script(
      'leak.mjs',
      `const e = process.env; const db = JSON.parse(e.DB);
       console.log('token', e.API_TOKEN, 'db', e.DB);
       console.log('user', db.user, 'password', db.password, 'port', db.port);
       console.log(JSON.stringify({ config: e.PEM }));
       console.error('pem:\\n' + e.PEM.split('\\n').slice(1, 3).join('\\n'));
       console.error('pin', e.PIN);`,
    );
    const r = await run(['--', process.execPath, child]);
    expect(r.code).toBe(0);
    const all = r.stdout + r.stderr;
    for (const v of [
      TOKEN,
      JSON.stringify(DB),
      DB.user,
      DB.password,
      'MIIBVwIBADANBgkqhkiG9w0BAQEFAASC',
      'AT8wggE7AgEAAkEAq7BFUpkGp3+XQ',
    ]) {
      expect(all).not.toContain(v);
    }
    expect(r.stdout).toBe('token *** db ***\nuser *** password *** port 5432\n{"config":"***"}\n');
    expect(r.stderr).toContain('pem:\n***\n***\npin 42\n');
    expect(r.stderr).toContain('not masking PIN');
  });

  it('masks a value written one byte at a time', async () => {
    const child = script(
      'bytes.mjs',
      `import { writeSync } from 'node:fs';
       const pause = new Int32Array(new SharedArrayBuffer(4));
       writeSync(1, 'before ');
       for (const b of Buffer.from(process.env.API_TOKEN)) { writeSync(1, Buffer.from([b])); Atomics.wait(pause, 0, 0, 2); }
       writeSync(1, ' after\\n');`,
    );
    // A long flush delay: the held prefix is never written early, however slowly the bytes arrive.
    const r = await run(['--mask-flush-ms', '10000', '--', process.execPath, child]);
    expect(r.stdout).toBe('before *** after\n');
  });

  it('masks a value written a character at a time with pauses longer than the flush delay', async () => {
    const child = script(
      'slow.mjs',
      `import { writeSync } from 'node:fs';
       const pause = new Int32Array(new SharedArrayBuffer(4));
       writeSync(1, 'before ');
       for (const ch of process.env.API_TOKEN) { writeSync(1, ch); Atomics.wait(pause, 0, 0, 40); }
       writeSync(1, ' after\\n');`,
    );
    // each pause (40 ms) is 8 times the flush delay
    const r = await run(['--mask-flush-ms', '5', '--', process.execPath, child]);
    expect(r.stdout).toBe('before *** after\n');
  });

  it('masks a value cut off by the exit of the child', async () => {
    const r = await run([
      '--',
      process.execPath,
      '-e',
      'process.stdout.write("end " + process.env.API_TOKEN.slice(0, -1))',
    ]);
    expect(r.stdout).toBe('end ***');
  });

  it('during a pause, writes the text up to a possible start of a value and holds that start', async () => {
    const child = script(
      'prompt.mjs',
      `import { writeSync } from 'node:fs';
       writeSync(1, 'line one\\n');
       writeSync(1, 'enter ' + process.env.API_TOKEN.slice(0, 6));
       process.stdin.once('data', () => { writeSync(1, '\\ndone\\n'); process.exit(0); });`,
    );
    const p = startCli(['run', '--stage', 'ci', '--mask-flush-ms', '1', '--', process.execPath, child], {
      cwd: ws.dir,
      env: ciEnv,
      keepStdinOpen: true,
    });
    let seen = '';
    p.child.stdout!.on('data', (c: Buffer) => (seen += c.toString()));
    // The child waits for stdin, so this shows only if run wrote it while the child waits.
    await p.waitFor('line one\nenter ');
    // hundreds of flush delays later, the possible start of the token is still held
    await new Promise((resolve) => setTimeout(resolve, 300));
    const duringPause = seen;
    p.child.stdin!.end('go\n');
    const r = await p.doneBytes;
    expect(r.code).toBe(0);
    expect(duringPause).toBe('line one\nenter ');
    // the newline ruled the token out: the held text was not the value, and is written as it is
    expect(r.stdout.toString()).toBe(`line one\nenter ${TOKEN.slice(0, 6)}\ndone\n`);
  });

  it('shows a progress line ending in \\r at once while the child pauses', async () => {
    const child = script(
      'progress.mjs',
      `import { writeSync } from 'node:fs';
       writeSync(1, 'progress 10%\\r');
       writeSync(1, 'progress 20%\\r');
       process.stdin.once('data', () => { writeSync(1, 'progress 100%\\n'); process.exit(0); });`,
    );
    // a flush delay far longer than the test: the line shows because nothing of it is held
    const p = startCli(['run', '--stage', 'ci', '--mask-flush-ms', '60000', '--', process.execPath, child], {
      cwd: ws.dir,
      env: ciEnv,
      keepStdinOpen: true,
    });
    await p.waitFor('progress 10%\rprogress 20%\r');
    p.child.stdin!.end('go\n');
    const r = await p.doneBytes;
    expect(r.stdout.toString()).toBe('progress 10%\rprogress 20%\rprogress 100%\n');
  });

  it('--no-mask passes values through', async () => {
    const r = await run(['--no-mask', '--', process.execPath, '-e', 'console.log(process.env.API_TOKEN)']);
    expect(r.stdout).toBe(`${TOKEN}\n`);
    expect(r.stderr).toBe('');
  });

  it('masks a large output exactly (20 MB, values in many places)', async () => {
    const child = script(
      'big.mjs',
      `import { writeSync } from 'node:fs';
       const t = process.env.API_TOKEN, p = JSON.parse(process.env.DB).password;
       let buf = '';
       for (let i = 0; i < 250000; i++) {
         buf += 'line ' + i + (i % 997 === 0 ? ' token=' + t : '') + (i % 1009 === 0 ? ' pw=' + p : '') + ' padding-padding-padding-pad\\n';
         if (buf.length > 50000) { writeSync(1, buf); buf = ''; }
       }
       writeSync(1, buf);`,
    );
    const p = startCli(['run', '--stage', 'ci', '--', process.execPath, child], {
      cwd: ws.dir,
      env: ciEnv,
      keepStdinOpen: true,
    });
    const r = await p.doneBytes;
    expect(r.code).toBe(0);
    let expected = '';
    for (let i = 0; i < 250000; i++) {
      expected += `line ${i}${i % 997 === 0 ? ' token=***' : ''}${i % 1009 === 0 ? ' pw=***' : ''} padding-padding-padding-pad\n`;
    }
    expect(r.stdout.length).toBe(Buffer.byteLength(expected));
    expect(sha(r.stdout)).toBe(sha(expected));
  });

  it('passes binary output through unchanged except the values', async () => {
    const child = script(
      'binary.mjs',
      `import { writeSync } from 'node:fs';
       const all = Buffer.alloc(256 * 64); for (let i = 0; i < all.length; i++) all[i] = (i * 31 + (i >> 8)) & 255;
       writeSync(1, all); writeSync(1, Buffer.from(process.env.API_TOKEN)); writeSync(1, all);`,
    );
    const p = startCli(['run', '--stage', 'ci', '--', process.execPath, child], {
      cwd: ws.dir,
      env: ciEnv,
      keepStdinOpen: true,
    });
    const r = await p.doneBytes;
    const all = Buffer.alloc(256 * 64);
    for (let i = 0; i < all.length; i++) all[i] = (i * 31 + (i >> 8)) & 255;
    expect(r.stdout.equals(Buffer.concat([all, Buffer.from('***'), all]))).toBe(true);
  });
});

describe('run: --files-dir', () => {
  it('writes each secret as a 0600 file in a 0700 folder, removed after the child exits', async () => {
    const dir = path.join(ws.dir, 'run-secrets');
    const child = script(
      'files.mjs',
      `import { createHash } from 'node:crypto'; import * as fs from 'node:fs';
       const dir = process.argv[2];
       const out = { dir: (fs.statSync(dir).mode & 0o777).toString(8), files: {} };
       for (const f of fs.readdirSync(dir).sort()) {
         const p = dir + '/' + f;
         out.files[f] = [(fs.statSync(p).mode & 0o777).toString(8), createHash('sha256').update(fs.readFileSync(p)).digest('hex')];
       }
       console.log(JSON.stringify(out));`,
    );
    const r = await run(['--files-dir', 'run-secrets', '--', process.execPath, child, dir]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      dir: '700',
      files: {
        API_TOKEN: ['600', sha(TOKEN)],
        DB: ['600', sha(JSON.stringify(DB))],
        OVERRIDE_ME: ['600', sha(OVERRIDE)],
        PEM: ['600', sha(PEM)],
        PIN: ['600', sha(PIN)],
      },
    });
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('removes the files after the child crashes', async () => {
    const dir = path.join(ws.dir, 'crash-secrets');
    const r = await run([
      '--files-dir',
      dir,
      '--',
      'sh',
      '-c',
      `test -f "${dir}/API_TOKEN" && echo present; kill -KILL $$`,
    ]);
    expect(r.code).toBe(137);
    expect(r.stdout).toBe('present\n');
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('removes the files when run itself is stopped by a signal', async () => {
    const dir = path.join(ws.dir, 'signal-secrets');
    const p = startCli(
      [
        'run',
        '--stage',
        'ci',
        '--files-dir',
        dir,
        '--',
        process.execPath,
        '-e',
        'console.log("ready"); setInterval(() => {}, 1000)',
      ],
      {
        cwd: ws.dir,
        env: ciEnv,
        keepStdinOpen: true,
      },
    );
    await p.waitFor('ready');
    expect(fs.existsSync(path.join(dir, 'API_TOKEN'))).toBe(true);
    p.child.kill('SIGTERM');
    expect((await p.doneBytes).code).toBe(143);
    expect(fs.existsSync(dir)).toBe(false);
  });

  it('removes the files when the command cannot start, and refuses a folder with content', async () => {
    const dir = path.join(ws.dir, 'nostart-secrets');
    expect((await run(['--files-dir', dir, '--', 'no-such-command-here'])).code).toBe(1);
    expect(fs.existsSync(dir)).toBe(false);

    const busy = path.join(ws.dir, 'busy');
    fs.mkdirSync(busy);
    fs.writeFileSync(path.join(busy, 'keep.txt'), 'mine');
    const r = await run(['--files-dir', busy, '--', 'true']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--files-dir .*busy is not empty/);
    expect(fs.readdirSync(busy)).toEqual(['keep.txt']);
  });
});

describe('run: masking the forms tools print', () => {
  let enc: Workspace;
  const DB_URL = 'postgres://app:pa55;w0rd=x@db.internal:5432/app';
  const WIN_KEY = 'C:\\deploy\\"prod"\\käy<1>&';

  beforeAll(async () => {
    enc = makeWorkspace('enc-app');
    expect((await enc.run(['init', '--stage', 'enc'])).code).toBe(0);
    await setSecrets({ stage: 'enc', cwd: enc.dir, app: 'enc-app', env: enc.env }, [
      { name: 'DB_URL', type: 'string', value: DB_URL },
      { name: 'WIN_KEY', type: 'string', value: WIN_KEY },
    ]);
  });

  afterAll(() => enc?.cleanup());

  it('masks a URL value percent-encoded, its password alone, and util.inspect of a value with backslashes', async () => {
    const child = path.join(enc.dir, 'forms.mjs');
    fs.writeFileSync(
      child,
      `import { inspect } from 'node:util';
       const db = process.env.DB_URL;
       console.log('query', new URLSearchParams({ db }).toString());
       console.log('component', encodeURIComponent(db));
       console.log('password', decodeURIComponent(new URL(db).password));
       console.log(inspect({ key: process.env.WIN_KEY }));
       console.log(JSON.stringify({ key: process.env.WIN_KEY }));`,
    );
    const r = await enc.run(['run', '--stage', 'enc', '--', process.execPath, child]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`query db=***\ncomponent ***\npassword ***\n{ key: '***' }\n{"key":"***"}\n`);
  });
});
