/**
 * The CI recipes in examples/ (GitHub Actions, GitLab CI, Seed): each parses as YAML and has the shape its
 * platform reads; every `stage-secrets ...` command in it (in the YAML values and in its comments) runs
 * through the built CLI with --help added to stage-secrets' own arguments (before `--`: after it, --help
 * would go to the child command) and exits 0, and each option the recipe gives appears in that help text,
 * so an option the CLI does not have fails. The README's CI section links each recipe, and the recipe's
 * section of docs/ci.md links it too and shows only commands that the recipe has.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageKeyEnvName } from '../../src/core/names.js';
import { seedSetting } from '../../src/serverless/opt-out.js';
import { REPO_ROOT, runCli } from '../support/cli.js';

// js-yaml is no dependency of stage-secrets; serverless (a devDependency) depends on it.
const requireHere = createRequire(import.meta.url);
const requireFromServerless = createRequire(requireHere.resolve('serverless/package.json'));
const yaml = requireFromServerless('js-yaml') as { load(text: string): unknown };

const EXAMPLES = path.join(REPO_ROOT, 'examples');
const RECIPES = ['github-actions.yml', 'gitlab-ci.yml', 'seed.yml'] as const;
type Recipe = (typeof RECIPES)[number];

type Yaml = Record<string, unknown>;

function isMap(value: unknown): value is Yaml {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readRecipe(name: Recipe): { text: string; doc: Yaml } {
  const text = fs.readFileSync(path.join(EXAMPLES, name), 'utf8');
  const doc = yaml.load(text);
  if (!isMap(doc)) throw new Error(`${name} is not a YAML mapping`);
  return { text, doc };
}

function stringLeaves(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringLeaves);
  if (isMap(value)) return Object.values(value).flatMap(stringLeaves);
  return [];
}

/** Shell words of one command line, quotes removed, up to the first `&&`, `||`, `;` or `|`. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unclosed quote in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (word === undefined && (c === ';' || c === '|' || c === '&')) {
      break;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

interface Command {
  /** where it was found, for messages */
  source: string;
  /** the words after `stage-secrets` */
  words: string[];
}

/** `stage-secrets <sub> ...` in one line: inside `backticks` when the line has any, else to the end of the line. */
function commandsInLine(line: string, source: string): Command[] {
  const spans = line.includes('`') ? [...line.matchAll(/`([^`]*)`/g)].map((m) => m[1]!) : [line];
  const out: Command[] = [];
  for (const span of spans) {
    const m = /(?:^|[\s/])stage-secrets\s+([a-z][a-z-]*(?:\s.*)?)$/.exec(span);
    if (m) out.push({ source, words: shellWords(m[1]!) });
  }
  return out;
}

/** Commands in the YAML values (what the platform runs). */
function valueCommands(doc: Yaml, name: string): Command[] {
  return stringLeaves(doc).flatMap((s) => s.split('\n').flatMap((line) => commandsInLine(line, `${name} (value)`)));
}

/** Commands in the YAML comments (commented-out steps and prose). */
function commentCommands(text: string, name: string): Command[] {
  return text
    .split('\n')
    .map((line) => /^\s*#(.*)$/.exec(line)?.[1])
    .filter((c): c is string => c !== undefined)
    .flatMap((c) => commandsInLine(c, `${name} (comment)`));
}

function optionValue(words: string[], option: string): string | undefined {
  const i = words.indexOf(option);
  return i >= 0 ? words[i + 1] : undefined;
}

function splitAtDashes(words: string[]): { own: string[]; child: string[] | undefined } {
  const i = words.indexOf('--');
  return i < 0 ? { own: words, child: undefined } : { own: words.slice(0, i), child: words.slice(i + 1) };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

let cwd: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-examples-'));
  env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('STAGE_SECRETS_') && !k.startsWith('AWS_')),
  );
});

afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

describe('CI recipes in examples/', () => {
  for (const name of RECIPES) {
    it(`${name}: every stage-secrets command runs with --help and each of its options is in that help`, async () => {
      const { text, doc } = readRecipe(name);
      const values = valueCommands(doc, name);
      expect(values.length, `${name} runs no stage-secrets command`).toBeGreaterThan(0);
      const all = [...values, ...commentCommands(text, name)];
      for (const { source, words } of all) {
        const { own, child } = splitAtDashes(words);
        const sub = own[0]!;
        const r = await runCli([...own, '--help'], { cwd, env });
        const label = `${source}: stage-secrets ${words.join(' ')}`;
        expect(r.code, `${label}\n${r.stderr}`).toBe(0);
        expect(r.stdout, label).toMatch(new RegExp(`^Usage: stage-secrets ${escapeRe(sub)}\\b`));
        for (const option of own.filter((w) => w.startsWith('-'))) {
          const flag = option.split('=')[0]!;
          expect(r.stdout, `${label}: ${flag} is not in the help of ${sub}`).toMatch(
            new RegExp(`(^|[\\s,[(|])${escapeRe(flag)}(?=[\\s=\\])|]|$)`, 'm'),
          );
        }
        if (child) {
          expect(child.length, `${label}: nothing after --`).toBeGreaterThan(0);
          // the deploy (or test) command works on the same stage as the secrets
          const childStage = optionValue(child, '--stage');
          if (childStage !== undefined) expect(childStage, label).toBe(optionValue(own, '--stage'));
        }
      }
    });
  }

  it('github-actions.yml: checkout, setup-node, npm ci, then run ... serverless deploy with the key from the secret', () => {
    const { text, doc } = readRecipe('github-actions.yml');
    expect(doc.on).toBeDefined();
    const jobs = doc.jobs;
    expect(isMap(jobs)).toBe(true);
    const steps = (jobs as Yaml).deploy as Yaml;
    expect(steps['runs-on']).toBe('ubuntu-latest');
    const list = steps.steps as Yaml[];
    expect(Array.isArray(list)).toBe(true);
    const uses = list.map((s) => String(s.uses ?? ''));
    const runs = list.map((s) => String(s.run ?? ''));
    const at = (pred: (i: number) => boolean) => list.findIndex((_, i) => pred(i));
    const checkout = at((i) => uses[i]!.startsWith('actions/checkout@'));
    const setupNode = at((i) => uses[i]!.startsWith('actions/setup-node@'));
    const npmCi = at((i) => runs[i] === 'npm ci');
    const deploy = at((i) =>
      runs[i]!.includes('stage-secrets run --stage prod -- npx --no-install serverless deploy --stage prod'),
    );
    expect(
      [checkout, setupNode, npmCi, deploy].every((i) => i >= 0),
      JSON.stringify(list),
    ).toBe(true);
    expect(checkout < setupNode && setupNode < npmCi && npmCi < deploy).toBe(true);
    const node = Number(((list[setupNode]!.with ?? {}) as Yaml)['node-version']);
    expect(node).toBeGreaterThanOrEqual(20);
    expect(list[deploy]!.env).toEqual({ [stageKeyEnvName('prod')]: '${{ secrets.STAGE_SECRETS_KEY_PROD }}' });
    // the OIDC token the AWS credentials step (and the KMS variant) needs
    expect((doc.permissions as Yaml)['id-token']).toBe('write');
    expect(text).toMatch(/kms:Decrypt/);
  });

  it('gitlab-ci.yml: a deploy job in a declared stage that runs npm ci, then run ... serverless deploy', () => {
    const { text, doc } = readRecipe('gitlab-ci.yml');
    const stages = doc.stages as string[];
    const jobs = Object.entries(doc).filter(([, v]) => isMap(v) && Array.isArray(v.script)) as [string, Yaml][];
    expect(jobs.map(([k]) => k)).toEqual(['deploy:prod']);
    const job = jobs[0]![1];
    expect(stages).toContain(job.stage);
    expect(String(job.image)).toMatch(/^node:(\d+)/);
    expect(Number(/^node:(\d+)/.exec(String(job.image))![1])).toBeGreaterThanOrEqual(20);
    const script = job.script as string[];
    const npmCi = script.findIndex((l) => l.startsWith('npm ci'));
    const deploy = script.indexOf(
      'npx --no-install stage-secrets run --stage prod -- npx --no-install serverless deploy --stage prod',
    );
    expect(npmCi).toBeGreaterThanOrEqual(0);
    expect(deploy).toBeGreaterThan(npmCi);
    expect(text).toContain(stageKeyEnvName('prod'));
    expect(text).toMatch(/masked, protected CI\/CD variable/);
  });

  it('seed.yml: build-spec hooks only, and the plugin reads its sls_set_secret_envs as the YAML says', () => {
    const file = path.join(EXAMPLES, 'seed.yml');
    const { text, doc } = readRecipe('seed.yml');
    const hooks = ['before_compile', 'before_build', 'before_deploy', 'after_deploy', 'before_remove', 'after_remove'];
    for (const [key, value] of Object.entries(doc)) {
      if (key === 'sls_set_secret_envs') continue;
      expect(hooks, `unknown build-spec key ${key}`).toContain(key);
      expect(Array.isArray(value) && value.every((v) => typeof v === 'string'), key).toBe(true);
    }
    expect(doc.sls_set_secret_envs).toBe(true);
    expect(seedSetting(text, file)).toBe(true);
    // the way the comment tells to turn it off: YAML and the plugin agree again
    const off = text.replace(/^sls_set_secret_envs: true$/m, 'sls_set_secret_envs: false');
    expect(off).not.toBe(text);
    expect((yaml.load(off) as Yaml).sls_set_secret_envs).toBe(false);
    expect(seedSetting(off, file)).toBe(false);
    // every command works on Seed's stage, and the key variables named follow the CLI's rule
    for (const { words } of valueCommands(doc, 'seed.yml'))
      expect(optionValue(words, '--stage')).toBe('$SEED_STAGE_NAME');
    expect(text).toContain(stageKeyEnvName('prod'));
    expect(text).toContain(`${stageKeyEnvName('pr-12')} for pr-12`);
  });

  it("the README's CI section links each recipe; its section of docs/ci.md shows only commands that the recipe has", () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const ci = /<!-- section:ci -->([\s\S]*?)<!-- \/section:ci -->/.exec(readme)?.[1];
    expect(ci).toBeDefined();
    const page = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'ci.md'), 'utf8');
    const sections: [string, Recipe][] = [
      ['## GitHub Actions with the CLI', 'github-actions.yml'],
      ['## GitLab CI', 'gitlab-ci.yml'],
      ['## Seed', 'seed.yml'],
    ];
    for (const [heading, name] of sections) {
      expect(ci, `README: ${name}`).toContain(`(examples/${name})`);
      const start = page.indexOf(`\n${heading}\n`);
      expect(start, heading).toBeGreaterThanOrEqual(0);
      const next = page.indexOf('\n## ', start + 1);
      const section = page.slice(start, next < 0 ? undefined : next);
      expect(section, heading).toContain(`(../examples/${name})`);
      const { text, doc } = readRecipe(name);
      const inRecipe = new Set(
        [...valueCommands(doc, name), ...commentCommands(text, name)].map((c) => c.words.join(' ')),
      );
      const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
      expect(blocks.length, heading).toBeGreaterThan(0);
      let shown = 0;
      for (const block of blocks) {
        for (const line of block.split('\n')) {
          for (const c of commandsInLine(line.replace(/^\s*#/, ''), heading)) {
            shown++;
            expect(inRecipe, `${heading}: stage-secrets ${c.words.join(' ')} is not in examples/${name}`).toContain(
              c.words.join(' '),
            );
          }
        }
      }
      expect(shown, heading).toBeGreaterThan(0);
    }
  });
});
