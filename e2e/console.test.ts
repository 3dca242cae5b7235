/**
 * `stage-secrets console` in a real browser: Debian's chromium driven by playwright-core, against the
 * console started as the CLI process. Logs in without a cookie, and a second local listener on another
 * port that the browser visits gets nothing it can read or write with. Adds each type, refuses an invalid
 * JSON value inline, replaces, deletes behind the confirmation, approves with a key and shows no Approve
 * without one, picks up CLI changes on reload; then checks that no response the browser received, no browser storage and no
 * cookie holds a value, and that the page asked no other host for anything.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, REPO_ROOT, type Workspace } from '../test/support/cli.js';
import { type LiveConsole, rawRequest, startConsole } from '../test/support/console.js';

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's chromium (installed by .ci/run); a missing browser fails the suite, it never skips it. */
function locateChromium(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((file) => file && fs.existsSync(file));
  if (!found) {
    throw new Error(
      "chromium is not installed: the console browser tests need Debian's chromium (apt-get install chromium, as " +
        '.ci/run does), or CHROMIUM_PATH set to a Chromium binary.',
    );
  }
  return found;
}

const STRING_VALUE = `browser-canary-${randomBytes(8).toString('hex')}`;
const REPLACED_VALUE = `browser-canary-replaced-${randomBytes(8).toString('hex')}`;
const NUMBER_VALUE = `${randomInt(100_000_000, 999_999_999)}.${randomInt(100_000_000, 999_999_999)}`;
const JSON_VALUE = `{"token":"browser-json-canary-${randomBytes(8).toString('hex')}"}`;
const BAD_JSON_VALUE = `{"token": browser-bad-canary-${randomBytes(8).toString('hex')}`;
const KEYBOARD_VALUE = `${randomInt(100_000_000, 999_999_999)}`;
// a 28-line PEM as users paste it (final newline included), and one typed into the multi-line box
const PEM = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const TYPED_LINES = `first-line-canary-${randomBytes(8).toString('hex')}\n\n  indented line\nlast line`;
const VALUES = [
  STRING_VALUE,
  REPLACED_VALUE,
  NUMBER_VALUE,
  JSON_VALUE,
  BAD_JSON_VALUE,
  KEYBOARD_VALUE,
  'canary',
  PEM.split('\n')[5]!,
  PEM.replace(/\n/g, ''),
];

// the screenshots docs/console.md and the README show, taken anew by every run (no value is on them:
// values are typed into password fields and never sent back)
const SHOTS = path.join(REPO_ROOT, 'docs', 'images');

describe('stage-secrets console in chromium', () => {
  let ws: Workspace;
  let writerEnv: NodeJS.ProcessEnv;
  let keyed: LiveConsole;
  let keyless: LiveConsole;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  const bodies: Array<Promise<[string, string]>> = [];
  const requested: string[] = [];
  const posts: string[] = [];
  const foreignOrigins: string[] = [];

  const cli = async (args: string[], env?: NodeJS.ProcessEnv) => {
    const r = await ws.run(args, { env });
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const listed = async (stage = 'dev') =>
    (JSON.parse(await cli(['list', '--stage', stage, '--json'])) as Array<{ name: string; approval: string }>).map(
      (s) => `${s.name}:${s.approval}`,
    );
  const row = (name: string) => page.locator(`tr[data-name="${name}"]`);

  async function addSecret(name: string, format: 'Plaintext' | 'Number' | 'JSON', value: string): Promise<void> {
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.locator('form[aria-label="Add a secret"]').getByText(format, { exact: true }).click();
    await page.getByLabel('Value', { exact: true }).fill(value);
    await page.getByRole('button', { name: 'Add secret' }).click();
  }

  beforeAll(async () => {
    const executablePath = locateChromium();
    ws = makeWorkspace('console-browser');
    execFileSync('git', ['init', '-q'], { cwd: ws.dir });
    for (const stage of ['dev', 'prod']) await cli(['init', '--stage', stage, '--app', 'demo']);
    // one service whose code reads RATE: the delete confirmation names it (the contract check's scan)
    fs.writeFileSync(
      path.join(ws.dir, 'serverless.yml'),
      'service: console-browser\nprovider:\n  name: aws\n  runtime: nodejs20.x\nfunctions:\n  quote:\n    handler: quote.main\n',
    );
    fs.writeFileSync(path.join(ws.dir, 'quote.js'), 'exports.main = async () => Number(process.env.RATE) * 2;\n');
    writerEnv = { ...ws.env, XDG_CONFIG_HOME: path.join(ws.config, '..', 'writer-config') };
    keyed = await startConsole(ws);
    keyless = await startConsole(ws, ['--no-open'], writerEnv);
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1100, height: 820 },
    });
    context.on('request', (req) => {
      requested.push(req.url());
      if (req.method() === 'POST') posts.push(req.url());
    });
    context.on('response', (res) => {
      bodies.push(
        res.body().then(
          (b) => [res.url(), b.toString('utf8')] as [string, string],
          () => [res.url(), ''] as [string, string], // a redirect has no body
        ),
      );
    });
    page = context.pages()[0] ?? (await context.newPage());
    fs.mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await context?.close();
    await keyed?.stop();
    await keyless?.stop();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
    ws?.cleanup();
  });

  it('logs in from the printed URL, then drops the token from the address bar; no cookie', async () => {
    await page.goto(keyed.url);
    await expect.poll(() => page.url()).toBe(`${keyed.origin}/`);
    await page.getByRole('heading', { name: 'App secrets' }).waitFor();
    // the token lives in this tab's sessionStorage, which the browser keeps for this origin, port included
    expect(await page.evaluate('JSON.stringify({ ...sessionStorage })')).toBe(
      JSON.stringify({ 'stage-secrets-console-token': keyed.token }),
    );
    expect(await context.cookies()).toEqual([]);
    // a tab opened without the token says where to get it
    const bare = await context.newPage();
    try {
      await bare.goto(`${keyed.origin}/`);
      await bare.getByText(/open the URL the console printed/).waitFor();
    } finally {
      await bare.close();
    }
  });

  it('gives a listener on another local port, visited by the browser, nothing that reads or writes the console', async () => {
    // cookies ignore ports: whatever the browser keeps for 127.0.0.1 goes to every port of it
    const received: http.IncomingHttpHeaders[] = [];
    const reports: string[] = [];
    const attackerPage = `<!doctype html><title>local dev server</title><script>
      const consoleOrigin = ${JSON.stringify(keyed.origin)};
      const body = JSON.stringify({ name: 'FROM_PAGE', type: 'string', value: 'x' });
      const tries = [
        fetch(consoleOrigin + '/api/app', { credentials: 'include' }).then((r) => r.text()),
        fetch(consoleOrigin + '/api/stages/dev/set', { method: 'POST', mode: 'no-cors', credentials: 'include',
          headers: { 'Content-Type': 'text/plain' }, body }).then((r) => r.type),
      ];
      Promise.allSettled(tries).then((results) => fetch('/report', { method: 'POST',
        body: JSON.stringify(results.map((r) => r.status === 'fulfilled' ? 'got ' + r.value : 'blocked')) }));
    </script>`;
    const listener = http.createServer((req, res) => {
      received.push(req.headers);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/report') reports.push(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end(req.url === '/' ? attackerPage : '');
      });
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const other = await context.newPage();
    try {
      const origin = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
      foreignOrigins.push(origin);
      await other.goto(`${origin}/`);
      await expect.poll(() => reports.length, { timeout: 10_000 }).toBe(1);
      // the page's own tries: an answer it cannot read (no CORS); its blind write is checked below
      expect((JSON.parse(reports[0]!) as string[])[0]).toBe('blocked');
      // then the listener replays every header it received, as a local program can, forging Origin too
      const before = await listed();
      for (const headers of received) {
        const carried: Record<string, string> = {};
        for (const name of ['cookie', 'authorization']) {
          const value = headers[name];
          if (typeof value === 'string') carried[name] = value;
        }
        const shell = await rawRequest(keyed.port, { headers: carried });
        const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(shell.body)?.[1] ?? '';
        const bearers = (carried.cookie ?? '').split(';').map((c) => c.trim().split('=').slice(1).join('='));
        for (const bearer of ['', ...bearers]) {
          const auth: Record<string, string> = bearer ? { ...carried, Authorization: `Bearer ${bearer}` } : carried;
          const read = await rawRequest(keyed.port, { path: '/api/app', headers: auth });
          expect(read.status, 'a read with what the listener received').toBe(403);
          const write = await rawRequest(keyed.port, {
            method: 'POST',
            path: '/api/stages/dev/set',
            headers: { ...auth, Origin: keyed.origin, 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
            body: JSON.stringify({ name: 'LEAKED', type: 'string', value: 'from-another-port' }),
          });
          expect(write.status, 'a write with what the listener received').toBe(403);
        }
      }
      expect(received.length).toBeGreaterThanOrEqual(2);
      expect(await listed()).toEqual(before);
      expect(before.some((s) => /^(LEAKED|FROM_PAGE):/.test(s))).toBe(false);
      // nothing of the console's credential ever reached the listener
      expect(JSON.stringify(received)).not.toContain(keyed.token);
    } finally {
      await other.close();
      await new Promise<void>((resolve) => {
        listener.close(() => resolve());
        listener.closeAllConnections();
      });
    }
  });

  it('adds a secret of each type; the value field is a password field, cleared after each save', async () => {
    await page.getByRole('link', { name: 'dev' }).click();
    await page.getByRole('heading', { name: 'Stage dev' }).waitFor();
    expect(await page.getByLabel('Value', { exact: true }).getAttribute('type')).toBe('password');
    for (const [name, format, value, type] of [
      ['API_TOKEN', 'Plaintext', STRING_VALUE, 'string'],
      ['RATE', 'Number', NUMBER_VALUE, 'number'],
      ['CONFIG', 'JSON', JSON_VALUE, 'json'],
    ] as const) {
      await addSecret(name, format, value);
      await page
        .getByRole('heading', {
          name: new RegExp(`^Saved: added ${name} \\(${type}\\) in stage dev, approved with local:`),
        })
        .waitFor();
      await row(name).waitFor();
      expect(await row(name).locator('td').first().textContent()).toBe(format);
      expect(await page.getByLabel('Value', { exact: true }).inputValue()).toBe('');
      expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('');
    }
    const outcome = page.locator('#outcome');
    // format v3: the last save changed the one entry file of its name, not the header
    expect(await outcome.locator('ul.files').first().textContent()).toBe('secrets/dev/CONFIG.json');
    // nothing is committed yet: the header and the earlier entries go along, so a clone gets the whole stage
    expect(await outcome.locator('ul.untracked').textContent()).toBe(
      'secrets/dev.jsonsecrets/dev/API_TOKEN.jsonsecrets/dev/RATE.json',
    );
    expect(await outcome.locator('pre.commands').textContent()).toMatch(
      /^git add -- secrets\/dev\.json secrets\/dev\/API_TOKEN\.json secrets\/dev\/CONFIG\.json secrets\/dev\/RATE\.json\ngit commit -m /,
    );
    await page.screenshot({ path: path.join(SHOTS, 'console-stage.png'), fullPage: true });
    expect(await listed()).toEqual(['API_TOKEN:approved', 'CONFIG:approved', 'RATE:approved']);
    const exported = JSON.parse(await cli(['export', '--stage', 'dev', '--format', 'json']));
    expect(exported).toEqual({ API_TOKEN: STRING_VALUE, CONFIG: JSON_VALUE, RATE: NUMBER_VALUE });
  });

  it('keeps a pasted multi-line PEM byte for byte (a password field made it one line), and a typed one', async () => {
    expect(PEM.split('\n')).toHaveLength(29); // 28 lines and the final newline
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: keyed.origin });
    await page.evaluate(`navigator.clipboard.writeText(${JSON.stringify(PEM)})`);
    await page.getByLabel('Name', { exact: true }).fill('TLS_KEY');
    await page.locator('form[aria-label="Add a secret"]').getByText('Plaintext', { exact: true }).click();
    await page.getByLabel('Value', { exact: true }).focus();
    await page.keyboard.press('Control+V');
    // the paste moved the value into the multi-line box, masked, and says how many lines it holds
    const box = page.getByLabel('Value', { exact: true });
    expect(await box.evaluate((el) => el.tagName)).toBe('TEXTAREA');
    const mask = "getComputedStyle(document.getElementById('add-value')).getPropertyValue('-webkit-text-security')";
    expect(await page.evaluate(mask)).toBe('disc');
    expect(await page.locator('#add-value-help').textContent()).toMatch(
      /^28 lines \(ends with a line break\), 1,\d{3} characters, kept as is\./,
    );
    await page.getByRole('button', { name: 'Add secret' }).click();
    await page.getByRole('heading', { name: /^Saved: added TLS_KEY \(string\) in stage dev/ }).waitFor();
    expect(await page.getByLabel('Value', { exact: true }).inputValue()).toBe('');

    // typed into the multi-line box, chosen by hand
    await page.getByLabel('Name', { exact: true }).fill('NOTES');
    await page.getByLabel('Multi-line value').check();
    await page.getByLabel('Value', { exact: true }).fill(TYPED_LINES);
    await page.getByRole('button', { name: 'Add secret' }).click();
    await page.getByRole('heading', { name: /^Saved: added NOTES \(string\) in stage dev/ }).waitFor();

    // opened with the stage key: exactly the bytes pasted and typed
    const exported = JSON.parse(await cli(['export', '--stage', 'dev', '--format', 'json'])) as Record<string, string>;
    expect(Buffer.from(exported.TLS_KEY!).equals(Buffer.from(PEM))).toBe(true);
    expect(exported.NOTES).toBe(TYPED_LINES);
    await cli(['rm', '--stage', 'dev', 'NOTES']);
    await cli(['rm', '--stage', 'dev', 'TLS_KEY']);
    await page.reload();
    await page.getByRole('heading', { name: 'Stage dev' }).waitFor();
  });

  it('checks the name live with the CLI rules and refuses invalid JSON inline, sending nothing', async () => {
    const help = page.locator('#add-name-help');
    await page.getByLabel('Name', { exact: true }).fill('bad name');
    expect(await help.textContent()).toMatch(/invalid secret name "bad name"/);
    await page.getByLabel('Name', { exact: true }).fill('NODE_OPTIONS');
    expect(await help.textContent()).toMatch(/build-hijacking/);
    await page.getByLabel('Name', { exact: true }).fill('api_token');
    expect(await help.textContent()).toMatch(/differs from API_TOKEN only in case/);
    const before = fs.readFileSync(ws.stageFile('dev'), 'utf8');
    const postsBefore = posts.length;
    await addSecret('SETTINGS', 'JSON', BAD_JSON_VALUE);
    const valueHelp = page.locator('#add-value-help');
    await expect.poll(() => valueHelp.textContent()).toMatch(/not valid JSON/);
    expect(await page.getByLabel('Value', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await valueHelp.textContent()).not.toContain('browser-bad-canary');
    expect(posts.length).toBe(postsBefore);
    expect(fs.readFileSync(ws.stageFile('dev'), 'utf8')).toBe(before);
    await page.getByLabel('Value', { exact: true }).fill('');
  });

  it('adds a secret with the keyboard alone', async () => {
    await page.reload();
    await page.getByRole('heading', { name: 'Stage dev' }).waitFor();
    await page.getByLabel('Name', { exact: true }).focus();
    await page.keyboard.type('PORT_NUMBER');
    await page.keyboard.press('Tab'); // the format radio group: Plaintext
    await page.keyboard.press('ArrowRight'); // Number
    await page.keyboard.press('Tab'); // the value
    await page.keyboard.type(KEYBOARD_VALUE);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /^Saved: added PORT_NUMBER \(number\) in stage dev/ }).waitFor();
    expect(await page.evaluate('document.activeElement?.id')).toBe('outcome');
  });

  it('replaces a value', async () => {
    await page.getByRole('button', { name: 'Replace the value of API_TOKEN' }).click();
    await page.getByLabel('New value').fill(REPLACED_VALUE);
    await page.getByRole('button', { name: 'Save new value' }).click();
    await page.getByRole('heading', { name: 'Saved: replaced API_TOKEN (string) in stage dev' }).waitFor();
    const exported = JSON.parse(await cli(['export', '--stage', 'dev', '--format', 'json']));
    expect(exported.API_TOKEN).toBe(REPLACED_VALUE);
  });

  it('deletes behind a confirmation that says what breaks, and Cancel or Escape keep the secret', async () => {
    await page.getByRole('button', { name: 'Delete RATE' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toMatch(/fail on their next invocation/);
    expect(await dialog.textContent()).toContain('service console-browser, function quote');
    expect(await dialog.textContent()).toContain('quote.js:1');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Delete RATE' }).click();
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await listed()).toContain('RATE:approved');
    await page.getByRole('button', { name: 'Delete RATE' }).click();
    await dialog.getByRole('button', { name: 'Delete RATE' }).click();
    await page.getByRole('heading', { name: 'Saved: removed RATE from stage dev' }).waitFor();
    await row('RATE').waitFor({ state: 'detached' });
    expect(await page.locator('#outcome').textContent()).toMatch(/approve --stage dev --revoke RATE/);
    expect(await listed()).not.toContain('RATE:approved');
  });

  it('approves a name a writer without the key added, saying whose key', async () => {
    await cli(['set', '--stage', 'dev', 'WEBHOOK', 'https://hooks.test/x'], writerEnv);
    await page.getByRole('button', { name: 'Reload' }).click();
    await row('WEBHOOK').getByText('Pending approval').waitFor();
    expect(await page.locator('#key-status').textContent()).toMatch(/A key of stage dev is here: local:[0-9a-f]+/);
    await row('WEBHOOK').getByRole('button', { name: 'Approve WEBHOOK' }).click();
    await page.getByRole('heading', { name: 'Saved: approved WEBHOOK in stage dev' }).waitFor();
    await row('WEBHOOK').getByText('Approved', { exact: true }).waitFor();
    expect(await listed()).toContain('WEBHOOK:approved');
  });

  it('offers no Approve without a key, and says who can approve', async () => {
    await cli(['set', '--stage', 'dev', 'SLACK_URL', 'https://hooks.test/y'], writerEnv);
    const other = await context.newPage();
    try {
      await other.goto(keyless.url);
      await other.getByRole('link', { name: 'dev' }).click();
      await other.locator('tr[data-name="SLACK_URL"]').getByText('Pending approval').waitFor();
      expect(await other.locator('#key-status').textContent()).toMatch(
        /No key of stage dev here.*npx --no-install stage-secrets approve --stage dev/,
      );
      expect(await other.getByRole('button', { name: /^Approve/ }).count()).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('shows a change made from the CLI in the matrix on reload', async () => {
    await cli(['set', '--stage', 'prod', 'ONLY_PROD', 'p']);
    await page.getByRole('link', { name: 'App secrets' }).first().click();
    await page.getByRole('heading', { name: 'Names × stages' }).waitFor();
    const cell = (name: string, stage: string) =>
      page.locator(`tr:has(th code:text-is("${name}")) td[data-stage="${stage}"]`).getAttribute('data-state');
    expect(await cell('ONLY_PROD', 'prod')).toBe('approved');
    expect(await cell('ONLY_PROD', 'dev')).toBe('missing');
    expect(await cell('SLACK_URL', 'dev')).toBe('pending');
    expect(await cell('API_TOKEN', 'prod')).toBe('missing');
    await page.screenshot({ path: path.join(SHOTS, 'console-matrix.png'), fullPage: true });
    // the pages show the screenshots this test takes
    expect(fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8')).toContain('(docs/images/console-matrix.png)');
    const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'console.md'), 'utf8');
    for (const shot of ['console-matrix.png', 'console-stage.png']) expect(doc).toContain(`(images/${shot})`);
  });

  it('shows the expiry and owner a secret was set with from the CLI', async () => {
    await cli(['set', '--stage', 'prod', 'ONLY_PROD', 'p', '--expires', '2099-01-31', '--owner', 'team-ops']);
    await page.getByRole('link', { name: 'prod' }).click();
    await page.getByRole('heading', { name: 'Stage prod' }).waitFor();
    expect(await row('ONLY_PROD').locator('td').nth(3).textContent()).toBe('2099-01-31 · team-ops');
    await page.getByRole('link', { name: 'App secrets' }).first().click();
    await page.getByRole('heading', { name: 'Names × stages' }).waitFor();
  });

  it('labels every field', async () => {
    await page.getByRole('link', { name: 'dev' }).click();
    await page.getByRole('heading', { name: 'Stage dev' }).waitFor();
    await page.getByRole('button', { name: 'Replace the value of API_TOKEN' }).click();
    await page.getByLabel('New value').waitFor();
    // page code as text: this file is type-checked for Node, without the DOM's types
    const unlabeled = await page.evaluate(`[...document.querySelectorAll('input, select, textarea')]
      .filter((el) => el.labels.length === 0 && !el.getAttribute('aria-label')).map((el) => el.outerHTML)`);
    expect(await page.locator('input').count()).toBeGreaterThanOrEqual(9); // add: 5, replace: 4
    expect(unlabeled).toEqual([]);
  });

  it('leaves no value in any response, browser storage or cookie, and asks no other host', async () => {
    const received = await Promise.all(bodies);
    expect(received.length).toBeGreaterThan(20);
    for (const [url, body] of received) {
      for (const value of VALUES) expect(body.includes(value), `${url} holds a value`).toBe(false);
    }
    for (const con of [keyed, keyless]) {
      await page.goto(con.url);
      await page.getByRole('heading', { name: 'App secrets' }).waitFor();
      const storage = await page.evaluate('JSON.stringify([{ ...localStorage }, { ...sessionStorage }])');
      expect(storage, con.origin).toBe(JSON.stringify([{}, { 'stage-secrets-console-token': con.token }]));
    }
    const cookies = JSON.stringify(await context.cookies());
    for (const value of VALUES) expect(cookies.includes(value)).toBe(false);
    const origins = new Set(requested.map((u) => new URL(u).origin));
    expect([...origins].sort()).toEqual([keyed.origin, keyless.origin, ...foreignOrigins].sort());
    const logs = [keyed, keyless].map((c) => `${c.cli.stdout().toString()}${c.cli.stderr().toString()}`).join('\n');
    for (const value of VALUES) expect(logs.includes(value), 'console output holds a value').toBe(false);
  });
});
