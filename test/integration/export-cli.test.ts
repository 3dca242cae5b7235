import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskTexts } from '../../src/core/mask-texts.js';
import { setSecrets } from '../../src/stages/secrets.js';
import { makeWorkspace, readOnlyLocalKey, type Workspace } from '../support/cli.js';

// Values that break naive quoting: $, quotes of every kind, backslashes, newlines, a trailing backslash.
const SECRETS: Record<string, string> = {
  DOLLAR: 'pa$$word-$(whoami)-`id`',
  MULTI: 'line one\nline "two"\n  line three\n',
  APOSTROPHE: `it's 100% fine`,
  BACKSLASHES: 'back\\slash \\n is not a newline',
  TRAILING: 'C:\\path\\',
  JSONISH: '{"a":"b","n":1}',
  PLAIN: 'simple-token-123',
};

let ws: Workspace;
let env: NodeJS.ProcessEnv;

const exportCli = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
  ws.run(['export', '--stage', 'ci', ...args], { env: { ...env, ...extra } });
const mode = (file: string) => (fs.statSync(file).mode & 0o777).toString(8);

beforeAll(async () => {
  ws = makeWorkspace();
  expect((await ws.run(['init', '--stage', 'ci'])).code).toBe(0);
  await setSecrets(
    { stage: 'ci', cwd: ws.dir, app: 'demo-app', env: ws.env },
    Object.entries(SECRETS).map(([name, value]) => ({ name, type: 'string' as const, value })),
  );
  const emptyConfig = path.join(ws.dir, '..', 'ci-config');
  fs.mkdirSync(emptyConfig);
  env = { ...ws.env, XDG_CONFIG_HOME: emptyConfig, STAGE_SECRETS_KEY_CI: readOnlyLocalKey(ws) };
  delete env.GITHUB_ENV;
});

afterAll(() => ws?.cleanup());

describe('export', () => {
  it('dotenv on stdout reads back exactly with dotenv, with a note on stderr', async () => {
    const r = await exportCli(['--format', 'dotenv']);
    expect(r.code).toBe(0);
    expect(parseDotenv(r.stdout)).toEqual(SECRETS);
    expect(r.stderr).toMatch(/printed 7 secrets of stage ci to stdout \(dotenv\)/);
    for (const value of Object.values(SECRETS)) expect(r.stderr).not.toContain(value);
  });

  it('dotenv --out writes 0600 and reads back exactly through bash (set -a; . file)', async () => {
    const file = path.join(ws.dir, '.env.ci');
    fs.writeFileSync(file, 'OLD=content\n', { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    const r = await exportCli(['--format', 'dotenv', '--out', '.env.ci']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/dotenv-only/);
    expect(mode(file)).toBe('600');
    expect(parseDotenv(fs.readFileSync(file))).toEqual(SECRETS);
    const names = Object.keys(SECRETS);
    const out = execFileSync('bash', [
      '-c',
      `set -a; . "$1"; shift; exec node -e 'const o={}; for (const k of process.argv.slice(1)) o[k]=process.env[k]; console.log(JSON.stringify(o))' "$@"`,
      'bash',
      file,
      ...names,
    ]);
    expect(JSON.parse(out.toString())).toEqual(SECRETS);
  });

  it('dotenv warns when a value needs quoting that only dotenv parsers read', async () => {
    expect((await ws.run(['init', '--stage', 'mixed'])).code).toBe(0);
    const hostile = `it's "$(echo pwned)"`;
    await setSecrets({ stage: 'mixed', cwd: ws.dir, app: 'demo-app', env: ws.env }, [
      { name: 'MIXED', type: 'string', value: hostile },
    ]);
    const r = await ws.run(['export', '--stage', 'mixed', '--format', 'dotenv']);
    expect(r.code).toBe(0);
    expect(parseDotenv(r.stdout)).toEqual({ MIXED: hostile });
    expect(r.stderr).toMatch(/MIXED needed dotenv-only quoting: .*do not source it in a shell/);
  });

  it('shell --out round-trips through sh, nothing executed', async () => {
    const file = path.join(ws.dir, 'secrets.sh');
    const r = await exportCli(['--format', 'shell', '--out', file]);
    expect(r.code).toBe(0);
    expect(mode(file)).toBe('600');
    const out = execFileSync('sh', [
      '-c',
      `. "$1"; printf '%s' "$DOLLAR"; printf '|'; printf '%s' "$TRAILING"`,
      'sh',
      file,
    ]);
    expect(out.toString()).toBe(`${SECRETS.DOLLAR}|${SECRETS.TRAILING}`);
  });

  it('json is an object of strings', async () => {
    const r = await exportCli(['--format', 'json']);
    expect(JSON.parse(r.stdout)).toEqual(SECRETS);
  });

  it('github-env appends to $GITHUB_ENV in heredoc form and masks every value on stdout', async () => {
    const file = path.join(ws.dir, 'github_env');
    fs.writeFileSync(file, 'EARLIER=step\n');
    const r = await exportCli(['--format', 'github-env'], { GITHUB_ENV: file, GITHUB_ACTIONS: 'true' });
    expect(r.code).toBe(0);
    expect(mode(file)).toBe('600');
    const text = fs.readFileSync(file, 'utf8');
    expect(text.startsWith('EARLIER=step\n')).toBe(true);
    // read it back the way the runner does: NAME<<DELIM, lines, DELIM
    const lines = text.split('\n');
    const parsed: Record<string, string> = {};
    const delimiters = new Set<string>();
    for (let i = 1; i < lines.length - 1; i++) {
      const [name, delimiter] = lines[i]!.split('<<') as [string, string];
      delimiters.add(delimiter);
      const body: string[] = [];
      for (i++; lines[i] !== delimiter; i++) body.push(lines[i]!);
      parsed[name] = body.join('\n');
    }
    expect(parsed).toEqual(SECRETS);
    expect(delimiters.size).toBe(1);
    expect([...delimiters][0]).toMatch(/^STAGE_SECRETS_EOF_[0-9a-f]{32}$/);
    const masks = r.stdout.trim().split('\n');
    expect(masks.every((l) => l.startsWith('::add-mask::'))).toBe(true);
    for (const value of Object.values(SECRETS))
      expect(masks).toContain(`::add-mask::${value.replace(/%/g, '%25').replace(/\n/g, '%0A')}`);
    for (const line of ['line one', 'line "two"', 'line three']) expect(masks).toContain(`::add-mask::${line}`);

    // a second export appends again, with a fresh delimiter
    await exportCli(['--format', 'github-env', '--out', file]);
    const again = fs.readFileSync(file, 'utf8');
    expect(again.startsWith(text)).toBe(true);
    expect(again.slice(text.length).split('\n')[0]).not.toBe(lines[1]);
  });

  it('github-env registers the texts run masks and names, never prints, values too short to mask', async () => {
    expect((await ws.run(['init', '--stage', 'short'])).code).toBe(0);
    const values = { PIN: '20', DB_URL: 'postgres://app:pa55;w0rd@db:5432/app' };
    await setSecrets({ stage: 'short', cwd: ws.dir, app: 'demo-app', env: ws.env }, [
      { name: 'PIN', type: 'number', value: values.PIN },
      { name: 'DB_URL', type: 'string', value: values.DB_URL },
    ]);
    const r = await ws.run(['export', '--stage', 'short', '--format', 'github-env'], {
      env: { GITHUB_ENV: '', GITHUB_ACTIONS: 'true' },
    });
    expect(r.code).toBe(0);
    const masks = r.stdout.split('\n').filter((l) => l.startsWith('::add-mask::'));
    const expected = maskTexts(new Map([['DB_URL', { type: 'string', text: values.DB_URL }]]));
    expect(masks.sort()).toEqual(expected.map((t) => `::add-mask::${t.replace(/%/g, '%25')}`).sort());
    // the same rule as run: the password alone and the percent-encoded URL are among them, "20" is not
    expect(masks).toContain('::add-mask::pa55;w0rd');
    expect(masks).toContain(`::add-mask::${encodeURIComponent(values.DB_URL).replace(/%/g, '%25')}`);
    expect(masks).not.toContain('::add-mask::20');
    expect(r.stderr).toMatch(/not masking PIN: values shorter than 4 characters/);
    expect(r.stderr).not.toMatch(/\b20\b/);
  });

  it('github-env checks --out before printing any mask line, and prints mask lines only on GitHub Actions', async () => {
    const missing = await exportCli(['--format', 'github-env', '--out', path.join(ws.dir, 'no-such-dir', 'env')], {
      GITHUB_ACTIONS: 'true',
    });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain('no-such-dir');
    for (const value of Object.values(SECRETS)) expect(missing.stderr).not.toContain(value);

    const outside = await exportCli(['--format', 'github-env']);
    expect(outside.code).toBe(0);
    expect(outside.stdout).not.toContain('::add-mask::');
    expect(outside.stdout).toContain('<<STAGE_SECRETS_EOF_');
  });

  it('github-env on GitHub Actions without --out or $GITHUB_ENV prints the mask lines, then the blocks, on stdout', async () => {
    const r = await exportCli(['--format', 'github-env'], { GITHUB_ACTIONS: 'true' });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const firstBlock = lines.findIndex((l) => l.includes('<<STAGE_SECRETS_EOF_'));
    expect(firstBlock).toBeGreaterThan(0);
    expect(lines.slice(0, firstBlock).every((l) => l.startsWith('::add-mask::'))).toBe(true);
    expect(lines.slice(firstBlock).some((l) => l.startsWith('::add-mask::'))).toBe(false);
    expect(r.stderr).toMatch(/printed \d+ secrets of stage .* to stdout \(github-env\)/);
  });

  it('refuses an unknown format and a folder as --out', async () => {
    expect((await exportCli(['--format', 'toml'])).code).toBe(1);
    const folder = await exportCli(['--format', 'json', '--out', ws.dir]);
    expect(folder.code).toBe(1);
    expect(folder.stdout).toBe('');
  });

  it('refuses a FIFO as --out or $GITHUB_ENV at once, without waiting for a reader, and writes nothing', async () => {
    const fifo = path.join(ws.dir, 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    try {
      const cases: Array<[string, string[], NodeJS.ProcessEnv]> = [
        ['--out FIFO', ['--format', 'dotenv', '--out', fifo], {}],
        ['$GITHUB_ENV FIFO', ['--format', 'github-env'], { GITHUB_ENV: fifo }],
      ];
      for (const [label, args, extra] of cases) {
        const r = await ws.run(['export', '--stage', 'ci', ...args], { env: { ...env, ...extra }, timeoutMs: 10_000 });
        expect(r.signal, `${label}: still running after 10 s`).toBeNull();
        expect(r.code, `${label}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toMatch(/out\.fifo is not a regular file/);
        // github-env prints its ::add-mask:: lines (for GitHub to learn the values) before it writes the file
        expect(
          r.stdout.split('\n').filter((l) => l && !l.startsWith('::add-mask::')),
          label,
        ).toEqual([]);
        for (const value of Object.values(SECRETS)) expect(r.stderr).not.toContain(value);
      }
      expect(fs.lstatSync(fifo).isFIFO()).toBe(true);
    } finally {
      fs.rmSync(fifo, { force: true });
    }
  });
});
