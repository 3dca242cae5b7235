/**
 * The README and docs as a reference kept in step with the tool: every command of `--help` has a row in the
 * README's command table, every input of action.yml is named where the README lists them, the Action example
 * pins this package's version, help and README name every export format and identity flag, and no command
 * line in the docs runs a bare `npx` (it would download whatever the registry holds under that name).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_FORMATS } from '../../src/export/formats.js';
import { CUSTOM_SCHEMA, readSettings } from '../../src/serverless/config.js';
import { IDENTITY_KINDS } from '../../src/identities/registry.js';
import { makeWorkspace, REPO_ROOT, type Workspace } from '../support/cli.js';

const read = (file: string): string => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
const README = read('README.md');
const section = (name: string): string => {
  const text = new RegExp(`<!-- section:${name} -->([\\s\\S]*?)<!-- /section:${name} -->`).exec(README)?.[1];
  if (!text) throw new Error(`README has no ${name} section`);
  return text;
};
/** the first cell of every row of the README's command table */
const tableCommands = (): string[] =>
  section('commands')
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .flatMap((l) => [...l.split(' | ')[0]!.matchAll(/`([a-z-]+)/g)].map((m) => m[1]!));

/** the docs a user reads: README, docs/*.md and examples/ */
function userDocs(): Array<{ file: string; text: string }> {
  const files = [
    'README.md',
    ...fs
      .readdirSync(path.join(REPO_ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
    ...fs.readdirSync(path.join(REPO_ROOT, 'examples')).map((f) => `examples/${f}`),
  ];
  return files.filter((f) => fs.statSync(path.join(REPO_ROOT, f)).isFile()).map((file) => ({ file, text: read(file) }));
}

let ws: Workspace;
beforeAll(() => (ws = makeWorkspace()));
afterAll(() => ws.cleanup());

describe('README and docs against the tool', () => {
  it("the README's command table has a row for every command `--help` lists", async () => {
    const help = await ws.run(['--help']);
    expect(help.code).toBe(0);
    const listed = [...help.stdout.matchAll(/^ {2}([a-z][a-z-]+) {2,}/gm)].map((m) => m[1]!);
    expect(listed).toContain('review');
    const rows = new Set(tableCommands());
    expect(listed.filter((c) => !rows.has(c))).toEqual([]);
  });

  it('lists every custom.stageSecrets setting of the plugin in its serverless.yml example, which the plugin accepts', () => {
    const block = /```yaml\n(# serverless\.yml[\s\S]*?stageSecrets: {10}# all optional[\s\S]*?)```/.exec(README)?.[1];
    expect(block, 'the plugin example').toBeDefined();
    const custom = (parseYaml(block!) as { custom: { stageSecrets: Record<string, unknown> } }).custom;
    const schema = CUSTOM_SCHEMA as { properties: { stageSecrets: { properties: Record<string, unknown> } } };
    expect(Object.keys(custom.stageSecrets).sort()).toEqual(
      Object.keys(schema.properties.stageSecrets.properties).sort(),
    );
    expect(() => readSettings(custom)).not.toThrow();
  });

  it("states the runtime file's size as built (docs/runtime-mode.md), within 10%", () => {
    const stated = /`stage-secrets-runtime\.cjs`: [^(]*\(`dist\/runtime\/`, ([\d.]+) kB\)/i.exec(
      read('docs/runtime-mode.md'),
    )?.[1];
    expect(stated, 'the size in docs/runtime-mode.md').toBeDefined();
    for (const file of ['stage-secrets-runtime.cjs', 'stage-secrets-runtime.mjs']) {
      const kB = fs.statSync(path.join(REPO_ROOT, 'dist', 'runtime', file)).size / 1000;
      expect(Math.abs(kB - Number(stated)) / kB, `${file}: ${kB} kB built`).toBeLessThan(0.1);
    }
  });

  it('names every input of action.yml where the README lists the inputs', () => {
    const inputs = Object.keys((parseYaml(read('action.yml')) as { inputs: Record<string, unknown> }).inputs);
    expect(inputs).toContain('review');
    const paragraph = /Inputs: [\s\S]*?outputs:/.exec(section('ci'))?.[0] ?? '';
    expect(inputs.filter((i) => !paragraph.includes(`\`${i}\``))).toEqual([]);
  });

  it("pins the Action at this package's version wherever the docs use it", () => {
    const version = (JSON.parse(read('package.json')) as { version: string }).version;
    const pins = userDocs().flatMap(({ file, text }) =>
      [...text.matchAll(/uses: YOUR-ORG\/stage-secrets@(v\d\S*)/g)].map((m) => `${file}: ${m[1]}`),
    );
    expect(pins.length).toBeGreaterThan(0);
    expect(pins.filter((p) => !p.endsWith(`: v${version}`))).toEqual([]);
  });

  it('help and README name every export format', async () => {
    const help = await ws.run(['--help']);
    const exportLine = /^ {2}export .*$/m.exec(help.stdout)?.[0] ?? '';
    const exportRow = section('commands')
      .split('\n')
      .find((l) => l.startsWith('| `export '))!;
    for (const format of EXPORT_FORMATS) {
      expect(exportLine, format).toContain(format);
      expect(exportRow, format).toContain(format);
    }
  });

  it("init's usage line and the README's init row name every identity flag", async () => {
    const help = await ws.run(['init', '--help']);
    const usage = help.stdout.split('\n')[0]!;
    const initRow = section('commands')
      .split('\n')
      .find((l) => l.startsWith('| `init '))!
      .split(' | ')[0]!;
    for (const flag of IDENTITY_KINDS.flatMap((k) => k.flags.map((f) => `--${f.name}`))) {
      expect(usage, flag).toMatch(new RegExp(`${flag}\\b(?!-)`));
      expect(initRow, flag).toMatch(new RegExp(`${flag}\\b(?!-)`));
    }
  });

  it('runs no bare npx in any command line of the docs or the help', async () => {
    const bare = /\bnpx\s+(?!--no-install\b)(?:-{1,2}[\w-]+\s+)*(?:stage-secrets|serverless|sls|osls|sst)\b/;
    const texts = userDocs();
    const run = await ws.run(['run', '--help']);
    texts.push({ file: 'stage-secrets run --help', text: run.stdout });
    const found = texts.flatMap(({ file, text }) =>
      text
        .split('\n')
        .map((line, i) => ({ line, at: `${file}:${i + 1}` }))
        .filter(({ line }) => bare.test(line))
        .map(({ line, at }) => `${at}: ${line.trim()}`),
    );
    expect(found).toEqual([]);
  });
});
