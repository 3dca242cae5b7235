/**
 * `stage-secrets console` as an attacker meets it: another local user or program, or a web page in the
 * user's browser that knows the port. Every API request without the token in its Authorization header
 * (the token as a cookie or in the query included), with a foreign Host (DNS rebinding), a cross-origin
 * write, or CORS preflight is a bare 403 and changes nothing; the page and API never carry a value, nor
 * do the console's own output lines.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, startCli, type Workspace } from '../support/cli.js';
import { type LiveConsole, type RawResponse, rawRequest, startConsole } from '../support/console.js';

const STRING_VALUE = `console-canary-${randomBytes(8).toString('hex')}`;
const NUMBER_VALUE = `${randomInt(100_000_000, 999_999_999)}.${randomInt(100_000_000, 999_999_999)}`;
const JSON_VALUE = `{"token":"json-canary-${randomBytes(8).toString('hex')}"}`;
const VALUES = [STRING_VALUE, NUMBER_VALUE, JSON_VALUE, 'json-canary-'];

describe('stage-secrets console: the server refuses what is not its own page', () => {
  let ws: Workspace;
  let con: LiveConsole;
  const responses: Array<[string, RawResponse]> = [];

  async function request(label: string, options: Parameters<typeof rawRequest>[1]): Promise<RawResponse> {
    const r = await rawRequest(con.port, options);
    responses.push([label, r]);
    return r;
  }
  const authed = (headers: Record<string, string> = {}) => ({ ...con.auth, ...headers });
  const writeHeaders = (headers: Record<string, string> = {}) =>
    authed({ Origin: con.origin, 'Content-Type': 'application/json', ...headers });
  const stageFileText = () => fs.readFileSync(ws.stageFile('dev'), 'utf8');
  const expectBare403 = (r: RawResponse, label: string) => {
    expect(r.status, label).toBe(403);
    expect(r.body, label).toBe('Forbidden\n');
    expect(r.headers['set-cookie'], label).toBeUndefined();
  };

  beforeAll(async () => {
    ws = makeWorkspace('console-app');
    execFileSync('git', ['init', '-q'], { cwd: ws.dir });
    for (const stage of ['dev', 'prod']) {
      const r = await ws.run(['init', '--stage', stage, '--app', 'demo']);
      expect(r.code, r.stderr).toBe(0);
    }
    con = await startConsole(ws);
  });
  afterAll(async () => {
    await con?.stop();
    ws?.cleanup();
  });

  it('prints one URL on 127.0.0.1 with a long random token, and listens on no other address', async () => {
    // the token in the fragment: a browser never sends that part of a URL to any server
    expect(con.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{43}$/);
    expect(con.cli.stdout().toString().trim().split('\n')).toHaveLength(1);
    // 127.0.0.2 is loopback too on Linux: a socket bound to 0.0.0.0 would answer there
    await expect(rawRequest(con.port, { address: '127.0.0.2' })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('serves its page (no data, no token) without the token, and never sets a cookie', async () => {
    for (const p of ['/', '/assets/app.js', '/assets/app.css']) {
      const r = await request(`page ${p}`, { path: p });
      expect(r.status, p).toBe(200);
      expect(r.headers['set-cookie'], p).toBeUndefined();
      expect(r.body, p).not.toContain(con.token);
    }
    const page = await request('page', { path: '/' });
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self'/);
    expect(page.body).not.toMatch(/csrf|token=/i);
  });

  it('refuses every API request without the token in the Authorization header: a cookie or query is no token', async () => {
    // the token with its last character changed (to another one: a token ending in A must not stay itself)
    const wrongToken = `${con.token.slice(0, -1)}${con.token.endsWith('A') ? 'B' : 'A'}`;
    expect(wrongToken).not.toBe(con.token);
    const ways: Array<[string, string, Record<string, string>]> = [
      ['no token', '', {}],
      ['wrong token', '', { Authorization: `Bearer ${wrongToken}` }],
      ['token without Bearer', '', { Authorization: con.token }],
      ['token twice', '', { Authorization: `Bearer ${con.token} ${con.token}` }],
      // the old login cookie, as a browser sends it to every port of 127.0.0.1
      ['token as a cookie', '', { Cookie: `stage_secrets_console_${con.port}=${con.token}` }],
      ['token in the query', `?token=${con.token}`, {}],
      ['token in the query and the header', `?token=${con.token}`, con.auth],
      ['cross-site read', '', authed({ 'Sec-Fetch-Site': 'cross-site' })],
      ['same-site read (another port)', '', authed({ 'Sec-Fetch-Site': 'same-site' })],
    ];
    for (const p of ['/api/app', '/api/stages/dev']) {
      for (const [label, query, headers] of ways) {
        expectBare403(await request(`${label} ${p}`, { path: `${p}${query}`, headers }), `${label} ${p}`);
      }
    }
    expectBare403(await request('page with a query', { path: `/?token=${con.token}` }), 'page with a query');
    const ok = await request('app', { path: '/api/app', headers: authed() });
    expect(ok.status).toBe(200);
  });

  it('refuses a foreign Host header (DNS rebinding), even with the token', async () => {
    for (const host of ['evil.example', `evil.example:${con.port}`, `127.0.0.1:${con.port + 1}`, '127.0.0.1']) {
      const r = await request(`host ${host}`, { path: '/api/app', headers: authed({ Host: host }) });
      expectBare403(r, `Host ${host}`);
      const page = await request(`page host ${host}`, { path: '/', headers: { Host: host } });
      expectBare403(page, `page with Host ${host}`);
    }
  });

  it('refuses a cross-origin form post, a write without or with a wrong token, and CORS preflight', async () => {
    const before = stageFileText();
    const form = `name=EVIL&type=string&value=${STRING_VALUE}`;
    const formType = { 'Content-Type': 'application/x-www-form-urlencoded' };
    const body = JSON.stringify({ name: 'EVIL', type: 'string', value: STRING_VALUE });
    const attempts: Array<[string, Record<string, string>, string]> = [
      ['cross-origin form post', authed({ Origin: 'http://evil.example', ...formType }), form],
      ['form post with no Origin', authed(formType), form],
      ['same-origin form post', authed({ Origin: con.origin, ...formType }), form],
      ['cross-origin JSON', writeHeaders({ Origin: 'http://evil.example' }), body],
      ['null Origin', writeHeaders({ Origin: 'null' }), body],
      ['Sec-Fetch-Site cross-site', writeHeaders({ 'Sec-Fetch-Site': 'cross-site' }), body],
      ['Sec-Fetch-Site same-site', writeHeaders({ 'Sec-Fetch-Site': 'same-site' }), body],
      ['no Origin', authed({ 'Content-Type': 'application/json' }), body],
      ['Origin of another port', writeHeaders({ Origin: `http://127.0.0.1:${con.port + 1}` }), body],
      ['no token', { Origin: con.origin, 'Content-Type': 'application/json' }, body],
      [
        'wrong token',
        writeHeaders({ Authorization: `Bearer ${con.token.slice(0, -1)}${con.token.endsWith('x') ? 'y' : 'x'}` }),
        body,
      ],
      [
        'token as a cookie',
        {
          Origin: con.origin,
          'Content-Type': 'application/json',
          Cookie: `stage_secrets_console_${con.port}=${con.token}`,
        },
        body,
      ],
    ];
    for (const [label, headers, text] of attempts) {
      const r = await request(label, { method: 'POST', path: '/api/stages/dev/set', headers, body: text });
      expectBare403(r, label);
    }
    const preflight = await request('preflight', {
      method: 'OPTIONS',
      path: '/api/stages/dev/set',
      headers: authed({ Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' }),
    });
    expectBare403(preflight, 'preflight');
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const r = await request(method, { method, path: '/api/stages/dev/set', headers: writeHeaders(), body });
      expectBare403(r, method);
    }
    expect(stageFileText()).toBe(before);
  });

  it('sets, replaces, removes and approves through the same use cases as the CLI, never echoing a value', async () => {
    const post = (action: string, payload: unknown) =>
      request(`${action}`, {
        method: 'POST',
        path: `/api/stages/dev/${action}`,
        headers: writeHeaders(),
        body: JSON.stringify(payload),
      });
    for (const [name, type, value] of [
      ['API_TOKEN', 'string', STRING_VALUE],
      ['RATE', 'number', NUMBER_VALUE],
      ['CONFIG', 'json', JSON_VALUE],
    ] as const) {
      const r = await post('set', { name, type, value });
      expect(r.status, r.body).toBe(200);
      const outcome = JSON.parse(r.body) as { message: string; changes: { files: string[]; git: string[] } };
      expect(outcome.message).toMatch(new RegExp(`^added ${name} \\(${type}\\) in stage dev, approved with local:`));
      // format v3: a set changes the one entry file of the name, never the header
      expect(outcome.changes.files).toEqual([path.join('secrets', 'dev', `${name}.json`)]);
      expect(outcome.changes.git[0]).toMatch(new RegExp(`^git add -- .*secrets/dev/${name}\\.json`));
      expect(outcome.changes.git[1]).toMatch(/^git commit -m /);
    }
    const list = await ws.run(['list', '--stage', 'dev', '--json']);
    const listed = JSON.parse(list.stdout) as Array<{ name: string; type: string; approval: string }>;
    expect(listed.map((s) => [s.name, s.type, s.approval])).toEqual([
      ['API_TOKEN', 'string', 'approved'],
      ['CONFIG', 'json', 'approved'],
      ['RATE', 'number', 'approved'],
    ]);
    const exported = await ws.run(['export', '--stage', 'dev', '--format', 'json']);
    expect(JSON.parse(exported.stdout)).toEqual({ API_TOKEN: STRING_VALUE, CONFIG: JSON_VALUE, RATE: NUMBER_VALUE });

    const badJson = await post('set', { name: 'BROKEN', type: 'json', value: `{"a": ${STRING_VALUE}` });
    expect(badJson.status).toBe(400);
    expect(JSON.parse(badJson.body).error.message).toMatch(/not valid JSON/);
    const valueAsName = await post('set', { name: `${STRING_VALUE} x`, type: 'string', value: 'v' });
    expect(valueAsName.status).toBe(400);
    expect(JSON.parse(valueAsName.body).error.message).toMatch(/not shown/);
    const reserved = await post('set', { name: 'NODE_OPTIONS', type: 'string', value: '--require x' });
    expect(JSON.parse(reserved.body).error.message).toMatch(/build-hijacking/);

    const replaced = await post('set', { name: 'API_TOKEN', type: 'string', value: `${STRING_VALUE}-2` });
    expect(JSON.parse(replaced.body).message).toBe('replaced API_TOKEN (string) in stage dev');
    const removed = await post('remove', { name: 'RATE' });
    expect(removed.status).toBe(200);
    expect(JSON.parse(removed.body).notes.join(' ')).toMatch(/approve --stage dev --revoke RATE/);
    const gone = await post('remove', { name: 'RATE' });
    expect(gone.status).toBe(404);

    // a writer without the key adds a name from the CLI: pending; the console's key holder approves it
    const writer = { ...ws.env, XDG_CONFIG_HOME: path.join(ws.config, '..', 'writer-config') };
    const set = await ws.run(['set', '--stage', 'dev', 'WEBHOOK', 'https://hooks.test/x'], { env: writer });
    expect(set.code, set.stderr).toBe(0);
    const stage = await request('stage page', { path: '/api/stages/dev', headers: authed() });
    const page = JSON.parse(stage.body) as { checkedWith?: string; secrets: Array<{ name: string; approval: string }> };
    expect(page.checkedWith).toMatch(/^local:/);
    expect(page.secrets.find((s) => s.name === 'WEBHOOK')?.approval).toBe('pending');
    const approved = await post('approve', { names: ['WEBHOOK'] });
    expect(JSON.parse(approved.body).message).toBe('approved WEBHOOK in stage dev');
    const after = await ws.run(['list', '--stage', 'dev', '--json']);
    expect((JSON.parse(after.stdout) as Array<{ name: string; approval: string }>).map((s) => s.approval)).toEqual([
      'approved',
      'approved',
      'approved',
    ]);
  });

  it('refuses to approve where no key of the stage is, saying so, and writes nothing', async () => {
    const writer = { ...ws.env, XDG_CONFIG_HOME: path.join(ws.config, '..', 'writer-config') };
    const set = await ws.run(['set', '--stage', 'dev', 'NEW_NAME', 'n'], { env: writer });
    expect(set.code, set.stderr).toBe(0);
    const keyless = await startConsole(ws, ['--no-open'], writer);
    try {
      const headers = keyless.auth;
      const stage = JSON.parse((await rawRequest(keyless.port, { path: '/api/stages/dev', headers })).body);
      expect(stage.checkedWith).toBeUndefined();
      const before = stageFileText();
      const r = await rawRequest(keyless.port, {
        method: 'POST',
        path: '/api/stages/dev/approve',
        headers: {
          ...headers,
          Origin: keyless.origin,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({ names: ['NEW_NAME'] }),
      });
      responses.push(['keyless approve', r]);
      expect(r.status).toBe(409);
      expect(JSON.parse(r.body).error.code).toBe('KEY_MISSING');
      expect(stageFileText()).toBe(before);
    } finally {
      await keyless.stop();
    }
    const rm = await ws.run(['rm', '--stage', 'dev', 'NEW_NAME']);
    expect(rm.code, rm.stderr).toBe(0);
  });

  it('shows a change made from the CLI on the next request (matrix and stage page)', async () => {
    const set = await ws.run(['set', '--stage', 'prod', 'ONLY_PROD', 'p'], { input: undefined });
    expect(set.code, set.stderr).toBe(0);
    const app = await request('matrix', { path: '/api/app', headers: authed() });
    const matrix = JSON.parse(app.body) as { rows: Array<{ name: string; cells: Record<string, string> }> };
    expect(matrix.rows.find((r) => r.name === 'ONLY_PROD')?.cells).toEqual({ dev: 'missing', prod: 'approved' });
    expect(matrix.rows.find((r) => r.name === 'API_TOKEN')?.cells).toEqual({ dev: 'approved', prod: 'missing' });
  });

  it('names who needs each name from the contract scan: a missing one in the matrix, an existing one on the stage page', async () => {
    fs.writeFileSync(
      path.join(ws.dir, 'serverless.yml'),
      'service: console-app\nprovider:\n  name: aws\n  runtime: nodejs20.x\nfunctions:\n  hello:\n    handler: handler.main\n',
    );
    fs.writeFileSync(
      path.join(ws.dir, 'handler.js'),
      'exports.main = async () => {\n  return [process.env.NEEDED_BY_CODE, process.env.API_TOKEN];\n};\n',
    );
    try {
      const r = await ws.run(['set', '--stage', 'dev', 'NEEDED_BY_CODE', 'x']);
      expect(r.code, r.stderr).toBe(0);
      const app = await request('matrix with needs', { path: '/api/app', headers: authed() });
      type Row = { name: string; cells: Record<string, string>; neededBy?: Array<{ who: string; where?: string }> };
      const rows = (JSON.parse(app.body) as { rows: Row[] }).rows;
      const row = rows.find((x) => x.name === 'NEEDED_BY_CODE');
      expect(row?.cells).toEqual({ dev: 'approved', prod: 'missing' });
      expect(row?.neededBy).toEqual([{ who: 'service console-app, function hello', where: 'handler.js:2' }]);
      const page = await request('stage page with needs', { path: '/api/stages/dev', headers: authed() });
      const stage = JSON.parse(page.body) as { needsKnown: boolean; secrets: Row[] };
      expect(stage.needsKnown).toBe(true);
      expect(stage.secrets.find((x) => x.name === 'API_TOKEN')?.neededBy).toEqual([
        { who: 'service console-app, function hello', where: 'handler.js:2' },
      ]);
    } finally {
      fs.rmSync(path.join(ws.dir, 'serverless.yml'));
      fs.rmSync(path.join(ws.dir, 'handler.js'));
    }
  });

  it('never sends a value, a CORS header or a cacheable response', () => {
    expect(responses.length).toBeGreaterThan(40);
    for (const [label, r] of responses) {
      for (const value of VALUES) expect(r.body.includes(value), `${label}: body holds a value`).toBe(false);
      expect(
        Object.keys(r.headers).filter((h) => h.startsWith('access-control-')),
        label,
      ).toEqual([]);
      expect(r.headers['cache-control'], label).toBe('no-store');
    }
    const output = `${con.cli.stdout().toString()}${con.cli.stderr().toString()}`;
    for (const value of VALUES) expect(output.includes(value), 'console output holds a value').toBe(false);
  });
});

describe('stage-secrets console: the git commands it prints commit the whole stage', () => {
  let ws: Workspace;
  let con: LiveConsole;
  let gitEnv: NodeJS.ProcessEnv;
  const sh = (command: string, cwd = ws.dir) =>
    execFileSync('bash', ['-c', command], { cwd, env: gitEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const set = async (name: string) => {
    const r = await rawRequest(con.port, {
      method: 'POST',
      path: '/api/stages/dev/set',
      headers: { ...con.auth, Origin: con.origin, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name, type: 'string', value: `${STRING_VALUE}-${name}` }),
    });
    expect(r.status, r.body).toBe(200);
    return JSON.parse(r.body) as {
      notes: string[];
      changes: { files: string[]; untracked: string[]; ignored: string[]; git: string[] };
    };
  };

  beforeAll(async () => {
    ws = makeWorkspace('console-git');
    gitEnv = {
      ...ws.env,
      GIT_AUTHOR_NAME: 'Dev',
      GIT_AUTHOR_EMAIL: 'dev@example.test',
      GIT_COMMITTER_NAME: 'Dev',
      GIT_COMMITTER_EMAIL: 'dev@example.test',
    };
    sh('git init -q');
    // a first secret from the CLI, never committed: the console's first change must bring it along
    for (const args of [
      ['init', '--stage', 'dev', '--app', 'demo'],
      ['set', '--stage', 'dev', 'FROM_CLI', 'c'],
    ]) {
      const r = await ws.run(args);
      expect(r.code, r.stderr).toBe(0);
    }
    con = await startConsole(ws);
  });
  afterAll(async () => {
    await con?.stop();
    ws?.cleanup();
  });

  it('adds the stage files git does not track yet to its git add, so a clone gets every secret', async () => {
    const outcome = await set('FROM_PAGE');
    expect(outcome.changes.files).toEqual([path.join('secrets', 'dev', 'FROM_PAGE.json')]);
    expect(outcome.changes.untracked).toEqual(['secrets/dev.json', 'secrets/dev/FROM_CLI.json']);
    expect(outcome.changes.git[0]).toBe(
      'git add -- secrets/dev.json secrets/dev/FROM_CLI.json secrets/dev/FROM_PAGE.json',
    );
    for (const command of outcome.changes.git) sh(command);
    const clone = path.join(ws.dir, '..', 'clone');
    sh(`git clone -q '${ws.dir}' '${clone}'`, path.dirname(ws.dir));
    const listed = await ws.run(['list', '--stage', 'dev', '--json'], { cwd: clone });
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as Array<{ name: string }>).map((s) => s.name)).toEqual([
      'FROM_CLI',
      'FROM_PAGE',
    ]);
    // once committed, the next change names only its own file
    const next = await set('FROM_CLI');
    expect(next.changes.untracked).toEqual([]);
    expect(next.changes.git[0]).toBe('git add -- secrets/dev/FROM_CLI.json');
  });

  it('prints git commands that run for a secret added and removed before any commit', async () => {
    await set('SHORT_LIVED');
    const r = await rawRequest(con.port, {
      method: 'POST',
      path: '/api/stages/dev/remove',
      headers: { ...con.auth, Origin: con.origin, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'SHORT_LIVED' }),
    });
    expect(r.status, r.body).toBe(200);
    const outcome = JSON.parse(r.body) as { changes: { files: string[]; git: string[] } };
    expect(outcome.changes.files).toEqual([path.join('secrets', 'dev', 'SHORT_LIVED.json')]);
    // never in git: nothing of it to add; the commands given run as printed
    expect(outcome.changes.git.join('\n')).not.toContain('SHORT_LIVED');
    for (const command of outcome.changes.git) sh(command);
  });

  it('says when a .gitignore hides a file of the stage, and leaves it out of git add', async () => {
    fs.writeFileSync(path.join(ws.dir, '.gitignore'), 'secrets/dev/HIDDEN*\n');
    const outcome = await set('HIDDEN_ONE');
    expect(outcome.changes.ignored).toEqual(['secrets/dev/HIDDEN_ONE.json']);
    expect(outcome.changes.git.join('\n')).not.toContain('HIDDEN_ONE');
    expect(outcome.notes.join(' ')).toMatch(
      /git ignores secrets\/dev\/HIDDEN_ONE\.json \(a \.gitignore rule\): a clone of the repository would miss it.*git check-ignore -v secrets\/dev\/HIDDEN_ONE\.json/,
    );
  });
});

describe('stage-secrets console: starting and stopping', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = makeWorkspace('console-start');
    const r = await ws.run(['init', '--stage', 'dev', '--app', 'demo']);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(() => ws?.cleanup());

  it('refuses another bind address and a bad port', async () => {
    for (const args of [['--host', '0.0.0.0'], ['--bind=::'], ['--address', '192.0.2.1']]) {
      const r = await ws.run(['console', '--no-open', ...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/serves on 127\.0\.0\.1 only/);
    }
    for (const port of ['http', '70000', '1.5']) {
      const r = await ws.run(['console', '--no-open', '--port', port]);
      expect(r.code, port).toBe(1);
      expect(r.stderr).toMatch(/--port needs a port number/);
    }
  });

  it('serves on the port asked for, and says so when it is taken', async () => {
    const first = await startConsole(ws, ['--no-open']);
    try {
      const r = await ws.run(['console', '--no-open', '--port', String(first.port)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`port ${first.port} on 127\\.0\\.0\\.1 is in use`));
    } finally {
      await first.stop();
    }
    const again = await startConsole(ws, ['--no-open', '--port', String(first.port)]);
    expect(again.port).toBe(first.port);
    await again.stop();
  });

  it('stops on SIGTERM and on Ctrl-C (SIGINT) with exit 0', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const con = await startConsole(ws);
      con.cli.kill(signal);
      const r = await con.cli.done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`console stopped (${signal})`);
      await expect(rawRequest(con.port, {})).rejects.toThrow(/ECONNREFUSED/);
    }
  });

  it('opens the browser with the URL when an opener exists, and keeps serving when none does', async () => {
    const bin = path.join(ws.dir, '..', 'fake-bin');
    fs.mkdirSync(bin, { recursive: true });
    const opened = path.join(ws.dir, '..', 'opened.txt');
    fs.writeFileSync(path.join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > '${opened}'\n`, { mode: 0o755 });
    const withOpener = await startConsole(ws, [], { ...ws.env, PATH: `${bin}:/usr/bin:/bin` });
    try {
      await expect
        .poll(() => fs.existsSync(opened) && fs.readFileSync(opened, 'utf8'), { timeout: 10_000 })
        .toBe(withOpener.url);
    } finally {
      await withOpener.stop();
    }
    const none = await startConsole(ws, [], { ...ws.env, PATH: path.join(ws.dir, 'no-such-bin') });
    try {
      const app = await rawRequest(none.port, { path: '/api/app', headers: none.auth });
      expect(app.status).toBe(200);
    } finally {
      await none.stop();
    }
  });

  it('says where to start when there is no secrets folder', async () => {
    const empty = path.join(ws.dir, '..', 'empty');
    fs.mkdirSync(empty, { recursive: true });
    const live = startCli(['console', '--no-open'], { cwd: empty, env: ws.env, timeoutMs: 30_000 });
    const r = await live.done;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no secrets\/ folder with a stage file.*npx --no-install stage-secrets init --stage/);
  });
});
