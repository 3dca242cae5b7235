import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'vitest';
import { makeWorkspace, readOnlyLocalKey, type CliResult, type Workspace } from '../support/cli.js';

/**
 * A value that must never show up where it does not belong. Random per test run, so a match can only
 * come from the secret itself; checked as text and in the encodings a careless log line would use.
 */
export const CANARY = `canary-${randomBytes(9).toString('hex')}-do-not-print`;

export function canaryForms(canary = CANARY): string[] {
  return [
    canary,
    Buffer.from(canary).toString('base64'),
    Buffer.from(canary).toString('hex'),
    JSON.stringify(canary).slice(1, -1),
  ];
}

export function expectNoCanary(text: string, where: string, canary = CANARY): void {
  for (const form of canaryForms(canary))
    expect(text.includes(form), `${where} contains the canary (${form === canary ? 'as is' : 'encoded'})`).toBe(false);
}

/** What a crashed process looks like: our own "internal error" line, a Node stack trace, or a signal. */
export function expectNoCrash(r: CliResult, label: string): void {
  expect(r.signal, `${label}: killed by a signal`).toBeNull();
  expect(r.stderr, `${label}: internal error`).not.toMatch(/internal error/);
  expect(r.stderr + r.stdout, `${label}: stack trace`).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  expect([0, 1, 2, 3], `${label}: exit code ${r.code}; stderr: ${r.stderr}`).toContain(r.code);
}

/** Every file under `dir` (recursively) that holds the canary in any of its forms. */
export function filesWithCanary(dir: string, options: { except?: string[]; canary?: string } = {}): string[] {
  const hits: string[] = [];
  const except = new Set((options.except ?? []).map((p) => path.resolve(p)));
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      try {
        if (entry.isDirectory()) walk(full);
        else if (entry.isFile() && !except.has(full) && fs.statSync(full).size <= 20_000_000) {
          const text = fs.readFileSync(full).toString('latin1');
          if (canaryForms(options.canary).some((form) => text.includes(form))) hits.push(full);
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // removed while we looked
      }
    }
  };
  walk(dir);
  return hits;
}

export interface SecureWorkspace extends Workspace {
  /** the whole temp tree of the workspace: app folder, config home, private TMPDIR */
  root: string;
  /** TMPDIR of every process started in this workspace: temp files the tool makes land here */
  tmp: string;
  /** the local key text, as CI would hold it in STAGE_SECRETS_KEY_<STAGE> */
  key: string;
  keyFile: string;
}

/**
 * A workspace with stage `dev` initialised (local key) and a few secrets, the canary among them. Its
 * processes get a private TMPDIR, so "no canary in temp files" means: in files these processes made.
 */
export async function secureWorkspace(
  app = 'sec-app',
  extraSecrets: Array<[string, string, string?]> = [],
): Promise<SecureWorkspace> {
  const ws = makeWorkspace(app);
  const root = path.dirname(ws.dir);
  const tmp = path.join(root, 'tmp');
  fs.mkdirSync(tmp);
  ws.env.TMPDIR = tmp;
  const ok = (r: CliResult, what: string) => expect(r.code, `${what}: ${r.stderr}`).toBe(0);
  ok(await ws.run(['init', '--stage', 'dev']), 'init');
  const secrets: Array<[string, string, string?]> = [
    ['CANARY_TOKEN', CANARY],
    ['PORT', '8080', 'number'],
    ['CONFIG', '{"region":"eu","retries":3}', 'json'],
    ...extraSecrets,
  ];
  // in parallel: the stage lock serialises the writes
  const results = await Promise.all(
    secrets.map(([name, value, type]) =>
      ws.run(['set', '--stage', 'dev', name, ...(type ? ['--type', type] : [])], { input: value }),
    ),
  );
  results.forEach((r, i) => ok(r, `set ${secrets[i]![0]}`));
  const key = readOnlyLocalKey(ws);
  const keysDir = path.join(ws.config, 'stage-secrets', 'keys');
  const keyFile = path.join(keysDir, fs.readdirSync(keysDir)[0]!);
  return { ...ws, root, tmp, key, keyFile };
}

export function readStageText(ws: Workspace, stage = 'dev'): string {
  return ws.snapshot(stage);
}

/** Files in the secrets folder other than stage files: temp files and locks. */
export function leftovers(ws: Workspace): string[] {
  const dir = path.join(ws.dir, 'secrets');
  const inEntries = (stage: string) =>
    fs
      .readdirSync(path.join(dir, stage))
      .filter((n) => !/^[A-Za-z][A-Za-z0-9_]*\.json$/.test(n))
      .map((n) => `${stage}/${n}`);
  return fs.readdirSync(dir).flatMap((n) => {
    if (/^[A-Za-z0-9][A-Za-z0-9_-]*\.json$/.test(n)) return [];
    if (fs.existsSync(path.join(dir, `${n}.json`)) && fs.lstatSync(path.join(dir, n)).isDirectory())
      return inEntries(n);
    return [n];
  });
}

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence of "random" faults. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
