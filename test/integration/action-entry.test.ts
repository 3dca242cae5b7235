/**
 * The committed action bundle (action/index.mjs) run as the GitHub Actions runner runs it: a child
 * `node action/index.mjs` with INPUT_* variables and the runner's files. What it printed and wrote is
 * parsed back: every value masked before any other line, GITHUB_ENV restoring each secret exactly (the
 * heredoc format, with values that look like delimiters), the outputs, the summary; and the failures
 * (no key, pending names, unknown stage, bad inputs) exit non-zero with the tool's message and no value.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskTexts } from '../../src/core/mask-texts.js';
import { setSecrets } from '../../src/stages/secrets.js';
import { makeWorkspace, readOnlyLocalKey, REPO_ROOT, type Workspace } from '../support/cli.js';
import { parseFileCommands, runAction, workflowCommands, type ActionRun } from '../support/github-runner.js';

const BUNDLE = path.join(REPO_ROOT, 'action', 'index.mjs');

const SECRETS: Record<string, string> = {
  API_TOKEN: 'tok-8f3a9c2d71e0',
  MULTI: 'line one\nline "two" = 2\n  line three',
  QUOTES: `it's "quoted" and 'single' = fine`,
  EQUALS: 'a=b=c==',
  // values built to end a heredoc block early, or to be mistaken for the header of another variable
  LOOKALIKE: 'before\nghadelimiter_00000000-0000-0000-0000-000000000000\nEVIL<<ghadelimiter_x\nafter',
  DELIM_ONLY: 'ghadelimiter_',
  PERCENT: '100%25 of %0A',
  SHORT: 'q7',
};

let ws: Workspace;
let env: NodeJS.ProcessEnv;

function longValues(): string[] {
  return Object.values(SECRETS).filter((v) => v.length >= 4);
}

/** Values to look for in what the step printed: not DELIM_ONLY, which every file command's delimiter holds. */
function findableValues(): string[] {
  return longValues().filter((v) => v !== SECRETS.DELIM_ONLY);
}

/** No secret value (of 4+ characters) anywhere in the text, outside ::add-mask:: lines. */
function expectNoValue(text: string, where: string): void {
  const other = text
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
  for (const value of findableValues()) {
    for (const piece of [value, ...value.split('\n').filter((l) => l.trim().length >= 4)]) {
      expect(other.includes(piece), `${where} holds a value`).toBe(false);
    }
  }
}

/** `exported`: the step was asked to put the values in GITHUB_ENV, so only that file may hold them. */
function expectNoValueAnywhere(r: ActionRun, exported = false): void {
  expectNoValue(r.stdout, 'stdout');
  expectNoValue(r.stderr, 'stderr');
  if (!exported) expectNoValue(r.envFile, 'GITHUB_ENV');
  expectNoValue(r.outputFile, 'GITHUB_OUTPUT');
  expectNoValue(r.summary, 'GITHUB_STEP_SUMMARY');
}

const action = (inputs: Record<string, string>, extra: NodeJS.ProcessEnv = {}, cwd = ws.dir) =>
  runAction(BUNDLE, { cwd, env: { ...env, ...extra }, inputs: { export: 'env', mask: 'true', ...inputs } });

beforeAll(async () => {
  ws = makeWorkspace('action-app');
  fs.mkdirSync(path.join(ws.dir, '.git'));
  expect((await ws.run(['init', '--stage', 'ci'])).code).toBe(0);
  await setSecrets(
    { stage: 'ci', cwd: ws.dir, env: ws.env },
    Object.entries(SECRETS).map(([name, value]) => ({ name, type: 'string' as const, value })),
  );
  await setSecrets({ stage: 'ci', cwd: ws.dir, env: ws.env }, [
    { name: 'CONFIG', type: 'json', value: '{"password":"json-leaf-secret","n":1}' },
  ]);
  SECRETS.CONFIG = '{"password":"json-leaf-secret","n":1}';
  // the runner holds no key file: only the step's env var, as a workflow passes ${{ secrets... }}
  const emptyConfig = path.join(ws.dir, '..', 'runner-config');
  fs.mkdirSync(emptyConfig);
  env = { ...ws.env, XDG_CONFIG_HOME: emptyConfig, STAGE_SECRETS_KEY_CI: readOnlyLocalKey(ws) };
});

afterAll(() => ws?.cleanup());

describe('the action bundle, run as the runner runs it', () => {
  it('masks every value first, exports each secret exactly through GITHUB_ENV, sets the outputs and the summary', async () => {
    const r = await action({ stage: 'ci' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const commands = workflowCommands(r.stdout);
    const masks = commands.filter((c) => c.command === 'add-mask');
    // every ::add-mask:: line comes before any other output line
    const firstOther = lines.findIndex((line) => line !== '' && !line.startsWith('::add-mask::'));
    expect(firstOther).toBeGreaterThan(0);
    expect(Math.max(...masks.map((m) => m.line))).toBeLessThan(firstOther);
    const masked = new Set(masks.map((m) => m.data));
    for (const value of longValues()) expect(masked.has(value)).toBe(true);
    // and the same texts run masks: each line, the JSON leaf, the encoded forms
    const secrets = new Map(
      Object.entries(SECRETS).map(([n, text]) => [n, { type: n === 'CONFIG' ? 'json' : 'string', text }] as const),
    );
    const expected = maskTexts(secrets).filter((t) => t.trim() !== '');
    expect([...masked].sort()).toEqual([...new Set(expected)].sort());
    expect(masked.has('json-leaf-secret')).toBe(true);
    expect(masked.has('q7')).toBe(false);
    expect(r.stdout).toMatch(/::warning::stage-secrets: not masking SHORT/);
    // GITHUB_ENV parses back to the secrets, exactly
    expect(Object.fromEntries(parseFileCommands(r.envFile))).toEqual(SECRETS);
    expect(r.envFile).toMatch(/^API_TOKEN<<ghadelimiter_[0-9a-f-]{36}$/m);
    const outputs = parseFileCommands(r.outputFile);
    expect(outputs.get('names')).toBe(Object.keys(SECRETS).sort().join(','));
    expect(outputs.get('stage-file')).toBe('secrets/ci.json');
    expect(r.summary).toContain('### stage-secrets: stage ci');
    for (const name of Object.keys(SECRETS)) expect(r.summary).toContain(`| \`${name}\` |`);
    expectNoValueAnywhere(r, true);
  });

  it('export files:DIR writes each secret as a 0600 file and nothing to GITHUB_ENV', async () => {
    const dir = path.join(ws.dir, '..', 'runner-temp', 'secrets');
    const r = await action({ stage: 'ci', export: `files:${dir}` });
    expect(r.code, r.stdout).toBe(0);
    expect(r.envFile).toBe('');
    expect((fs.statSync(dir).mode & 0o777).toString(8)).toBe('700');
    expect(fs.readdirSync(dir).sort()).toEqual(Object.keys(SECRETS).sort());
    for (const [name, value] of Object.entries(SECRETS)) {
      expect(fs.readFileSync(path.join(dir, name), 'utf8')).toBe(value);
      expect((fs.statSync(path.join(dir, name)).mode & 0o777).toString(8)).toBe('600');
    }
    expect(parseFileCommands(r.outputFile).get('names')).toBe(Object.keys(SECRETS).sort().join(','));
    expectNoValueAnywhere(r);
  });

  it('export none sets only the outputs; mask false registers nothing', async () => {
    const r = await action({ stage: 'ci', export: 'none', mask: 'false' });
    expect(r.code, r.stdout).toBe(0);
    expect(r.envFile).toBe('');
    expect(workflowCommands(r.stdout).filter((c) => c.command === 'add-mask')).toEqual([]);
    expect(parseFileCommands(r.outputFile).get('stage-file')).toBe('secrets/ci.json');
    expectNoValueAnywhere(r);
  });

  it('a preview stage falls back through the fallback input (one rule per line)', async () => {
    const r = await action({ stage: 'pr-42', fallback: 'feature-*=nope\npr-*=ci\n' });
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/stage-secrets: stage pr-42 has no stage file/);
    expect(Object.fromEntries(parseFileCommands(r.envFile))).toEqual(SECRETS);
    expect(parseFileCommands(r.outputFile).get('stage-file')).toBe('secrets/ci.json');
  });

  it('the dir input names the secrets folder, relative to the workspace', async () => {
    fs.cpSync(path.join(ws.dir, 'secrets'), path.join(ws.dir, 'deploy', 'keys'), { recursive: true });
    try {
      const r = await action({ stage: 'ci', dir: 'deploy/keys' });
      expect(r.code, r.stdout).toBe(0);
      expect(parseFileCommands(r.outputFile).get('stage-file')).toBe('deploy/keys/ci.json');
      expect(Object.fromEntries(parseFileCommands(r.envFile))).toEqual(SECRETS);
    } finally {
      fs.rmSync(path.join(ws.dir, 'deploy'), { recursive: true, force: true });
    }
  });
});

describe('failures: non-zero exit, the tool message, no value anywhere', () => {
  it('no key here: exit 3 naming the key variable', async () => {
    const r = await action({ stage: 'ci' }, { STAGE_SECRETS_KEY_CI: undefined });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^::error::stage-secrets: .*STAGE_SECRETS_KEY_CI/m);
    expect(r.envFile).toBe('');
    expect(r.outputFile).toBe('');
    expect(workflowCommands(r.stdout).filter((c) => c.command === 'add-mask')).toEqual([]);
    expectNoValueAnywhere(r);
  });

  it('a name no key holder approved: exit 2, naming it and the approve command, nothing exported', async () => {
    const writer = path.join(ws.dir, '..', 'writer-config');
    const set = await ws.run(['set', '--stage', 'ci', 'REPORT_VIEWER'], {
      env: { XDG_CONFIG_HOME: writer },
      input: 'sneaky-browser-value',
    });
    expect(set.code, set.stderr).toBe(0);
    try {
      const r = await action({ stage: 'ci' });
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(/^::error::stage-secrets: stage ci has names no key holder approved: REPORT_VIEWER/m);
      expect(r.stdout).toMatch(/npx --no-install stage-secrets approve --stage ci REPORT_VIEWER/);
      expect(r.envFile).toBe('');
      expect(r.stdout + r.stderr).not.toContain('sneaky-browser-value');
      expectNoValueAnywhere(r);
    } finally {
      expect((await ws.run(['rm', '--stage', 'ci', 'REPORT_VIEWER'])).code).toBe(0);
    }
  });

  it('check: a name the code needs that the stage lacks fails the step before any export, the matrix in the summary', async () => {
    const service = path.join(ws.dir, 'svc');
    fs.mkdirSync(service, { recursive: true });
    fs.writeFileSync(
      path.join(service, 'serverless.yml'),
      'service: api\nprovider:\n  name: aws\n  runtime: nodejs20.x\nfunctions:\n  hello:\n    handler: handler.main\n',
    );
    const handler = path.join(service, 'handler.js');
    try {
      fs.writeFileSync(handler, 'exports.main = async () => [process.env.API_TOKEN, process.env.PAYMENT_KEY];\n');
      // PAYMENT_KEY is a secret somewhere (another stage), so a read of it is a need
      expect((await ws.run(['init', '--stage', 'prod'])).code).toBe(0);
      expect((await ws.run(['set', '--stage', 'prod', 'PAYMENT_KEY', 'pk-prod-0000'])).code).toBe(0);
      const failed = await action({ stage: 'ci', check: 'true' });
      expect(failed.code).toBe(1);
      expect(failed.stdout).toMatch(
        /^::error::stage-secrets: stage ci lacks a name the app needs: PAYMENT_KEY \(PAYMENT_KEY for service api, function hello, svc\/handler\.js:1\); nothing was exported/m,
      );
      expect(failed.envFile + failed.outputFile).toBe('');
      expect(failed.summary).toContain('PAYMENT_KEY');
      expectNoValueAnywhere(failed);

      fs.writeFileSync(handler, 'exports.main = async () => process.env.API_TOKEN;\n');
      const passed = await action({ stage: 'ci', check: 'true' });
      expect(passed.code, passed.stdout).toBe(0);
      expect(Object.fromEntries(parseFileCommands(passed.envFile))).toEqual(SECRETS);
      expect(passed.summary).toContain('### stage-secrets: stage ci');
      expect(passed.summary).toContain('API_TOKEN');
      expect(passed.summary.length).toBeGreaterThan((await action({ stage: 'ci' })).summary.length);
      expectNoValueAnywhere(passed, true);
    } finally {
      fs.rmSync(service, { recursive: true, force: true });
      fs.rmSync(path.join(ws.dir, 'secrets', 'prod.json'), { force: true });
      fs.rmSync(path.join(ws.dir, 'secrets', 'prod'), { recursive: true, force: true });
    }
  });

  it('an unknown stage: exit 1', async () => {
    const r = await action({ stage: 'nosuchstage' });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^::error::stage-secrets: .*nosuchstage/m);
    expect(r.envFile + r.outputFile).toBe('');
  });

  it('bad inputs: no stage, an unknown export, a bad fallback, a mask that is not a boolean', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ stage: '' }, /input stage is required/],
      [{ stage: 'ci', export: 'dotenv' }, /input export must be env, files:DIR or none/],
      [{ stage: 'ci', export: 'files:' }, /files: needs a folder/],
      [{ stage: 'ci', fallback: 'pr-*' }, /input fallback: .* must be PATTERN=STAGE/],
      [{ stage: 'ci', mask: 'yes' }, /input mask must be true or false/],
      [{ stage: '../ci' }, /invalid stage name/],
    ];
    for (const [inputs, message] of cases) {
      const r = await action(inputs);
      expect(r.code, JSON.stringify(inputs)).toBe(1);
      expect(r.stdout).toMatch(message);
      expect(r.envFile + r.outputFile).toBe('');
      expectNoValueAnywhere(r);
    }
  });

  it('without GITHUB_ENV (not a runner step): refused before the stage is opened, no value on stdout', async () => {
    // @actions/core would otherwise fall back to printing ::set-env with the value on stdout
    const r = await runAction(BUNDLE, { cwd: ws.dir, env, inputs: { stage: 'ci' }, unset: ['GITHUB_ENV'] });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^::error::stage-secrets: GITHUB_ENV not set/m);
    expect(r.stdout).not.toMatch(/::set-env|::add-mask::/);
    expectNoValueAnywhere(r);
  });
});
