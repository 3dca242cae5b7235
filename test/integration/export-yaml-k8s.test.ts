/**
 * `export --format yaml` and `--format k8s-secret` through the built CLI: the YAML parses back (with the
 * `yaml` package) to exactly the values, the Secret manifest has Kubernetes' shape and its base64 data
 * decodes back to them, --name is checked as a DNS-1123 name, --out writes 0600, and neither format is
 * ever printed to a terminal (a real pseudo-terminal, test/support/tty-answer.py).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { setSecrets } from '../../src/stages/secrets.js';
import { CLI, makeWorkspace, readOnlyLocalKey, REPO_ROOT, type Workspace } from '../support/cli.js';

const SECRETS: Record<string, string> = {
  MULTI: 'line one\nline "two"\n  indented: three\n',
  QUOTES: `it's "both" 'kinds'`,
  YAMLISH: '- not: a list\n? no\n&anchor *alias !tag',
  NUMBERISH: '0755',
  BOOLISH: 'yes',
  NULLISH: '~',
  TRAILING_SPACE: 'ends with spaces   ',
  HASH: 'a # not a comment',
  UNICODE: 'pässwörd €',
  LONG: 'x'.repeat(300),
};

let ws: Workspace;
let env: NodeJS.ProcessEnv;
const exportCli = (args: string[]) => ws.run(['export', '--stage', 'ci', ...args], { env });
const mode = (file: string) => (fs.statSync(file).mode & 0o777).toString(8);

beforeAll(async () => {
  ws = makeWorkspace();
  expect((await ws.run(['init', '--stage', 'ci'])).code).toBe(0);
  await setSecrets(
    { stage: 'ci', cwd: ws.dir, env: ws.env },
    Object.entries(SECRETS).map(([name, value]) => ({ name, type: 'string' as const, value })),
  );
  const emptyConfig = path.join(ws.dir, '..', 'ci-config');
  fs.mkdirSync(emptyConfig);
  env = { ...ws.env, XDG_CONFIG_HOME: emptyConfig, STAGE_SECRETS_KEY_CI: readOnlyLocalKey(ws) };
});

afterAll(() => ws?.cleanup());

interface SecretManifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  type: string;
  data: Record<string, string>;
}

describe('export --format yaml', () => {
  it('to a pipe: one mapping that parses back to exactly the values', async () => {
    const r = await exportCli(['--format', 'yaml']);
    expect(r.code, r.stderr).toBe(0);
    expect(parseYaml(r.stdout)).toEqual(SECRETS);
    expect(r.stderr).toMatch(/printed 10 secrets of stage ci to stdout \(yaml\)/);
  });

  it('--out writes 0600', async () => {
    const r = await exportCli(['--format', 'yaml', '--out', 'secrets.yml']);
    expect(r.code, r.stderr).toBe(0);
    const file = path.join(ws.dir, 'secrets.yml');
    expect(mode(file)).toBe('600');
    expect(parseYaml(fs.readFileSync(file, 'utf8'))).toEqual(SECRETS);
  });
});

describe('export --format k8s-secret', () => {
  it('a Secret manifest whose data decodes back to the values', async () => {
    const r = await exportCli(['--format', 'k8s-secret', '--name', 'demo-app-ci', '--out', 'secret.yaml']);
    expect(r.code, r.stderr).toBe(0);
    const file = path.join(ws.dir, 'secret.yaml');
    expect(mode(file)).toBe('600');
    const text = fs.readFileSync(file, 'utf8');
    const manifest = parseYaml(text) as SecretManifest;
    expect(manifest.apiVersion).toBe('v1');
    expect(manifest.kind).toBe('Secret');
    expect(manifest.type).toBe('Opaque');
    expect(manifest.metadata).toEqual({ name: 'demo-app-ci' });
    expect(Object.keys(manifest.data).sort()).toEqual(Object.keys(SECRETS).sort());
    const decoded = Object.fromEntries(
      Object.entries(manifest.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
    );
    expect(decoded).toEqual(SECRETS);
    // base64 only: no value in clear in the manifest
    for (const value of Object.values(SECRETS)) if (value.length >= 4) expect(text).not.toContain(value);
  });

  it('needs --name, a DNS-1123 name; --name belongs to k8s-secret only', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--format', 'k8s-secret'], /needs --name NAME/],
      [['--format', 'k8s-secret', '--name', 'my_secret'], /not a Kubernetes object name/],
      [['--format', 'k8s-secret', '--name', 'Upper'], /not a Kubernetes object name/],
      [['--format', 'k8s-secret', '--name', 'trailing-'], /not a Kubernetes object name/],
      [['--format', 'k8s-secret', '--name=-leading'], /not a Kubernetes object name/],
      [['--format', 'k8s-secret', '--name', `a${'b'.repeat(253)}`], /not a Kubernetes object name/],
      [['--format', 'yaml', '--name', 'x'], /--name belongs to --format k8s-secret/],
    ];
    for (const [args, message] of cases) {
      const r = await exportCli(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
    const dotted = await exportCli(['--format', 'k8s-secret', '--name', 'api.prod-1']);
    expect(dotted.code, dotted.stderr).toBe(0);
    expect((parseYaml(dotted.stdout) as SecretManifest).metadata.name).toBe('api.prod-1');
  });
});

describe('never to a terminal', () => {
  function atTerminal(args: string[]): Promise<{ code: number; shown: string }> {
    const answer = path.join(REPO_ROOT, 'test/support/tty-answer.py');
    return new Promise((resolve, reject) => {
      execFile(
        'python3',
        [answer, ws.dir, '[]', process.execPath, CLI, 'export', '--stage', 'ci', ...args],
        { env, timeout: 30_000 },
        (err, stdout) => {
          if (err && typeof err.code !== 'number') return reject(err);
          resolve({ code: err ? (err.code as number) : 0, shown: stdout });
        },
      );
    });
  }

  it('yaml and k8s-secret refuse a terminal stdout, naming --out and a pipe; nothing is shown', async () => {
    for (const args of [
      ['--format', 'yaml'],
      ['--format', 'k8s-secret', '--name', 'demo'],
    ]) {
      const r = await atTerminal(args);
      expect(r.code, r.shown).toBe(1);
      expect(r.shown).toMatch(/is not shown on a terminal: write it with --out FILE/);
      for (const value of Object.values(SECRETS)) if (value.length >= 4) expect(r.shown).not.toContain(value);
      expect(r.shown).not.toContain(Buffer.from(SECRETS.QUOTES!).toString('base64'));
    }
  });

  it('with --out at a terminal they write the file', async () => {
    const r = await atTerminal(['--format', 'yaml', '--out', 'tty.yml']);
    expect(r.code, r.shown).toBe(0);
    expect(parseYaml(fs.readFileSync(path.join(ws.dir, 'tty.yml'), 'utf8'))).toEqual(SECRETS);
  });
});
