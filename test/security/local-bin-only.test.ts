/**
 * A bare `npx stage-secrets` runs the package of that name from the public registry when it is not
 * installed in the project (a CI job before `npm ci`, a typo in a folder name): whoever publishes the name
 * there would run next to the stage key. Every command the docs, the recipes, `--help` and the printed
 * hints tell someone to run must use the locally installed bin only: `npx --no-install stage-secrets` or
 * `npm exec --no -- stage-secrets`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { makeWorkspace, REPO_ROOT, runCli, type Workspace } from '../support/cli.js';

const SUBCOMMANDS = [
  'init',
  'set',
  'list',
  'rm',
  'import',
  'run',
  'export',
  'verify',
  'rotate',
  'rewrap',
  'approve',
  'pull',
  'log',
  'git-setup',
  'merge-driver',
  'textconv',
  'upgrade',
  'review',
  'check',
  'console',
  '<command>',
];
const LOCAL_ONLY = /(?:npx --no-install |npm exec --no -- )$/;
/** `stage-secrets SUB` followed by an argument or the end of the line: a command to run, not a mention. */
const INVOCATION = new RegExp(`stage-secrets (${SUBCOMMANDS.join('|')})(?= +-| +\\.\\.\\.| *$| *['\`])`, 'gm');

/** Invocations in `text` that could reach the registry or run a global install, as `where: line`. */
function unsafeInvocations(text: string, where: string): string[] {
  const found: string[] = [];
  for (const line of text.split('\n')) {
    if (/\bnpx +stage-secrets\b/.test(line)) found.push(`${where}: ${line.trim()}`);
    for (const m of line.matchAll(INVOCATION)) {
      const before = line.slice(0, m.index);
      // a usage line, or its continuation aligned under it
      // (a command spec's usage field is a usage line too)
      if (LOCAL_ONLY.test(before) || /(Usage: |usage: ['`])$/.test(before) || /^ {7}$/.test(before)) continue;
      // a synopsis (`[--json]`, `(--kms ID | --local)`) describes a command rather than runs one
      if (/ [[(]-/.test(line.slice(m.index))) continue;
      found.push(`${where}: ${line.trim()}`);
    }
  }
  return [...new Set(found)];
}

/** Fenced code blocks and backtick spans holding an option: what a reader copies and runs. */
function markdownCommands(text: string): string {
  const blocks = [...text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const prose = text.replace(/```[a-z]*\n[\s\S]*?```/g, '');
  const spans = [...prose.matchAll(/`([^`\n]*)`/g)].map((m) => m[1]!).filter((s) => / --?[a-z]/.test(s));
  return [...blocks, ...spans].join('\n');
}

describe('every stage-secrets command people are told to run uses the installed bin only', () => {
  it('README.md, SECURITY.md, bench/README.md and docs/*.md: code blocks and commands in backticks', () => {
    const docs = fs
      .readdirSync(path.join(REPO_ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`);
    expect(docs.length).toBeGreaterThan(0);
    const found = ['README.md', 'SECURITY.md', 'bench/README.md', ...docs].flatMap((file) => {
      const text = fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
      const bare = text.split('\n').filter((l) => /\bnpx +stage-secrets\b/.test(l));
      return [...unsafeInvocations(markdownCommands(text), file), ...bare.map((l) => `${file}: ${l.trim()}`)];
    });
    expect(found).toEqual([]);
  });

  it('the README says why it never uses a bare npx', () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toMatch(/npx --no-install stage-secrets/);
    expect(readme).toMatch(/public registry/);
  });

  it('the recipes in examples/', () => {
    const dir = path.join(REPO_ROOT, 'examples');
    const found = fs
      .readdirSync(dir)
      .flatMap((f) => unsafeInvocations(fs.readFileSync(path.join(dir, f), 'utf8'), `examples/${f}`));
    expect(fs.readdirSync(dir).length).toBeGreaterThan(0);
    expect(found).toEqual([]);
  });

  it("every command's --help", async () => {
    const ws = makeWorkspace('local-bin-help');
    try {
      const main = await runCli(['--help'], { cwd: ws.dir, env: ws.env });
      expect(main.code).toBe(0);
      const subs = [...main.stdout.matchAll(/^ {2}([a-z][a-z-]+) {2,}/gm)].map((m) => m[1]!);
      expect(subs.length).toBeGreaterThan(10);
      const found = unsafeInvocations(main.stdout, '--help');
      for (const sub of subs) {
        const r = await runCli([sub, '--help'], { cwd: ws.dir, env: ws.env });
        expect(r.code, sub).toBe(0);
        found.push(...unsafeInvocations(r.stdout, `${sub} --help`));
      }
      expect(found).toEqual([]);
    } finally {
      ws.cleanup();
    }
  });

  describe('printed hints', () => {
    let ws: Workspace;
    beforeAll(() => {
      ws = makeWorkspace('local-bin-hints');
      execFileSync('git', ['init', '-q'], { cwd: ws.dir, env: ws.env });
    });
    afterAll(() => ws.cleanup());

    it("init's and list's hints, and a writer's pending-approval hint", async () => {
      const init = await runCli(['init', '--stage', 'dev', '--app', 'demo'], { cwd: ws.dir, env: ws.env });
      expect(init.code, init.stderr).toBe(0);
      const list = await runCli(['list', '--stage', 'dev'], { cwd: ws.dir, env: ws.env });
      // a writer without the key: another config home
      const writer = { ...ws.env, XDG_CONFIG_HOME: path.join(ws.config, '..', 'writer-config') };
      const set = await runCli(['set', '--stage', 'dev', 'API_TOKEN', 'x'], { cwd: ws.dir, env: writer });
      expect(set.code, set.stderr).toBe(0);
      const texts = [init.stderr, list.stderr, set.stderr];
      expect(texts.join('\n')).toMatch(/stage-secrets (git-setup|set|approve)/);
      expect(texts.flatMap((t, i) => unsafeInvocations(t, ['init', 'list', 'set'][i]!))).toEqual([]);
    });

    it('every hint in the sources (error messages and notes), comments aside', () => {
      const files: string[] = [];
      const walk = (dir: string) => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
          const p = path.join(dir, e.name);
          if (e.isDirectory()) walk(p);
          else if (/\.(ts|mjs|js)$/.test(e.name)) files.push(p);
        }
      };
      walk(path.join(REPO_ROOT, 'src'));
      walk(path.join(REPO_ROOT, 'plugin'));
      expect(files.length).toBeGreaterThan(20);
      const found = files.flatMap((file) => {
        const code = fs
          .readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l))
          .join('\n');
        return unsafeInvocations(code, path.relative(REPO_ROOT, file));
      });
      expect(found).toEqual([]);
    });
  });
});
