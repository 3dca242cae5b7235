/**
 * The README's quick start, run as written in a fresh app: stage-secrets installed from the packed
 * tarball, each command line of the block through bash, the plugin line its comment tells to add, and
 * the CI line with the key in STAGE_SECRETS_KEY_DEV. Offline, so `serverless deploy` becomes `package`
 * (the same plugin hooks run first).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, readOnlyLocalKey, REPO_ROOT, type Workspace } from '../support/cli.js';
import { frameworkEnv, lambdas, packThisPackage, type Template } from '../support/sls-service.js';

const exec = promisify(execFile);
const VALUE = 'sk_test_quick-start-1234';

let ws: Workspace;

function quickStartBlock(): string {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = /<!-- section:quickstart -->([\s\S]*?)<!-- \/section:quickstart -->/.exec(readme)?.[1];
  if (!section) throw new Error('README has no quickstart section');
  const block = /```\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('the quick start has no code block');
  return block;
}

function bash(line: string, env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number; output: string }>((resolve) => {
    execFile(
      'bash',
      ['-euo', 'pipefail', '-c', line],
      { cwd: ws.dir, env, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr });
      },
    );
  });
}

beforeAll(async () => {
  ws = makeWorkspace('quick-start-app');
  const packDir = path.join(path.dirname(ws.dir), 'pack');
  fs.mkdirSync(packDir);
  const tarball = await packThisPackage(packDir);
  fs.writeFileSync(
    path.join(ws.dir, 'package.json'),
    JSON.stringify({ name: 'quick-start-app', version: '1.0.0', private: true }),
  );
  fs.writeFileSync(
    path.join(ws.dir, 'serverless.yml'),
    'service: quick-start-app\nprovider:\n  name: aws\n  runtime: nodejs22.x\nfunctions:\n  hello:\n    handler: handler.hello\n',
  );
  fs.writeFileSync(path.join(ws.dir, 'handler.js'), 'module.exports.hello = async () => ({ statusCode: 200 });\n');
  const cache = process.env.npm_config_cache ?? path.join(os.homedir(), '.npm');
  await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--save-dev', tarball], {
    cwd: ws.dir,
    env: { ...ws.env, npm_config_cache: cache },
  });
  // the app's own serverless, as `npm i -D serverless@3` gives it (the repo's copy, linked: offline)
  fs.symlinkSync(
    path.join(REPO_ROOT, 'node_modules', 'serverless'),
    path.join(ws.dir, 'node_modules', 'serverless'),
    'dir',
  );
  fs.symlinkSync('../serverless/bin/serverless.js', path.join(ws.dir, 'node_modules', '.bin', 'serverless'));
  await exec('git', ['init', '-q'], { cwd: ws.dir });
}, 240_000);

afterAll(() => ws?.cleanup());

describe("the README's quick start, as written", () => {
  it('init, set, list, commit, the plugin line, then the CI command: the function gets the secret, no log shows it', async () => {
    const lines = quickStartBlock().split('\n');
    const commands = lines.filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
    const commented = lines.filter((l) => /^#\s{2,}/.test(l)).map((l) => l.replace(/^#/, ''));
    const indent = Math.min(...commented.map((l) => /^ */.exec(l)![0].length));
    const pluginLines = commented.map((l) => l.slice(indent));
    expect(pluginLines.join('\n')).toMatch(/plugins:\s*\n\s*- stage-secrets\/plugin/);
    expect(commands.length).toBeGreaterThanOrEqual(5);
    expect(commands.every((c) => !/\bnpx stage-secrets\b/.test(c))).toBe(true);

    const env: NodeJS.ProcessEnv = {
      ...frameworkEnv(ws),
      STRIPE_KEY: VALUE,
      GIT_AUTHOR_NAME: 'Dev',
      GIT_AUTHOR_EMAIL: 'dev@example.com',
      GIT_COMMITTER_NAME: 'Dev',
      GIT_COMMITTER_EMAIL: 'dev@example.com',
    };
    const ci = commands.findIndex((c) => /stage-secrets run .*serverless deploy/.test(c));
    expect(ci).toBe(commands.length - 1);
    for (const [i, command] of commands.entries()) {
      if (i === ci) {
        // the plugin line the comment tells to add, then CI: the key in its variable, no key file
        fs.appendFileSync(path.join(ws.dir, 'serverless.yml'), `${pluginLines.join('\n')}\n`);
        const key = readOnlyLocalKey(ws);
        fs.rmSync(path.join(ws.config, 'stage-secrets', 'keys'), { recursive: true, force: true });
        const ciEnv = { ...env, STAGE_SECRETS_KEY_DEV: key, STRIPE_KEY: '' };
        const r = await bash(command.replace('serverless deploy', 'serverless package'), ciEnv);
        expect(r.code, `${command}\n${r.output}`).toBe(0);
        expect(r.output).not.toContain(VALUE);
        expect(r.output).not.toContain(key);
      } else {
        const r = await bash(command, env);
        expect(r.code, `${command}\n${r.output}`).toBe(0);
        expect(r.output).not.toContain(VALUE);
      }
    }
    const template = JSON.parse(
      fs.readFileSync(path.join(ws.dir, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8'),
    ) as Template;
    expect(lambdas(template, 'quick-start-app', 'dev').hello!.variables).toEqual({ STRIPE_KEY: VALUE });
    const committed = await exec('git', ['ls-files'], { cwd: ws.dir });
    expect(committed.stdout.split('\n')).toContain('secrets/dev.json');
  });
});
