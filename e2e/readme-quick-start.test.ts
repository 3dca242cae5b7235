/**
 * The README's quick start, run as written: its command lines are taken from README.md. A developer runs
 * them in a fresh app (stage-secrets installed from the packed tarball, the app's code committed), with the
 * plugin lines its comment tells to add applied where the comment stands; then CI runs the last line in a
 * fresh `git clone` of that app, after `npm ci`, with the key in STAGE_SECRETS_KEY_DEV and no key file.
 * Every secret the quick start set must arrive in the packaged function. Offline, so `serverless deploy`
 * becomes `package` (the same plugin hooks run first).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../test/support/cli.js';
import { lambdas, packThisPackage, type Template } from '../test/support/sls-service.js';
import { bash, machineEnv } from './support/matrix.js';

const exec = promisify(execFile);
const VALUE = 'sk_test_quick-start-1234';

let root: string;
let app: string;
let devEnv: NodeJS.ProcessEnv;
let schemaCache: string;

function quickStartBlock(): string {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = /<!-- section:quickstart -->([\s\S]*?)<!-- \/section:quickstart -->/.exec(readme)?.[1];
  if (!section) throw new Error('README has no quickstart section');
  const block = /```\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('the quick start has no code block');
  return block;
}

/** The app's own serverless, as `npm i -D serverless@3` gives it (the repo's copy, linked: offline). */
function linkServerless(dir: string): void {
  fs.symlinkSync(
    path.join(REPO_ROOT, 'node_modules', 'serverless'),
    path.join(dir, 'node_modules', 'serverless'),
    'dir',
  );
  fs.symlinkSync('../serverless/bin/serverless.js', path.join(dir, 'node_modules', '.bin', 'serverless'));
}

// the user's npm cache, not the test's empty home: the packages come from it when they can
const npmCache = process.env.npm_config_cache ?? path.join(os.homedir(), '.npm');

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-quick-start-'));
  schemaCache = path.join(root, 'sls-schemas');
  fs.mkdirSync(schemaCache);
  app = path.join(root, 'quick-start-app');
  fs.mkdirSync(app);
  devEnv = { ...machineEnv(path.join(root, 'dev-home'), schemaCache), STRIPE_KEY: VALUE };
  const packDir = path.join(root, 'pack');
  fs.mkdirSync(packDir);
  const tarball = await packThisPackage(packDir);
  fs.writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({ name: 'quick-start-app', version: '1.0.0', private: true }),
  );
  fs.writeFileSync(
    path.join(app, 'serverless.yml'),
    'service: quick-start-app\nprovider:\n  name: aws\n  runtime: nodejs22.x\nfunctions:\n  hello:\n    handler: handler.hello\n',
  );
  fs.writeFileSync(path.join(app, 'handler.js'), 'module.exports.hello = async () => ({ statusCode: 200 });\n');
  fs.writeFileSync(path.join(app, '.gitignore'), 'node_modules/\n.serverless/\n');
  await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--save-dev', tarball], {
    cwd: app,
    env: { ...devEnv, npm_config_cache: npmCache },
  });
  linkServerless(app);
  // "In your app": an app already in git
  await exec('bash', ['-c', 'git init -q -b main && git add . && git commit -q -m "the app"'], {
    cwd: app,
    env: devEnv,
  });
}, 300_000);

afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe("the README's quick start, as written", () => {
  it('a developer runs it in the app, CI in a fresh clone: the function gets every secret, no log shows one', async () => {
    const lines = quickStartBlock().split('\n');
    const commands = lines.filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
    expect(commands.length).toBeGreaterThanOrEqual(5);
    // only the installed bins: a bare npx may download whatever the registry holds under the name
    expect(commands.filter((c) => /\bnpx\s+(?!--no-install\b)/.test(c))).toEqual([]);
    const ci = commands.findIndex((c) => /stage-secrets run .*serverless deploy/.test(c));
    expect(ci).toBe(commands.length - 1);

    // the developer's machine: every line but CI's, top to bottom; the plugin lines where the comment stands
    const yamlLine = (l: string | undefined) => l !== undefined && /^#\s{2,}\S/.test(l);
    for (const [i, line] of lines.entries()) {
      if (yamlLine(line) && !yamlLine(lines[i - 1])) {
        let end = i;
        while (yamlLine(lines[end])) end++;
        const block = lines.slice(i, end).map((l) => l.slice(1));
        const indent = Math.min(...block.map((l) => /^ */.exec(l)![0].length));
        const yaml = block.map((l) => l.slice(indent)).join('\n');
        expect(yaml).toMatch(/^plugins:\s*\n\s*- stage-secrets\/plugin$/);
        fs.appendFileSync(path.join(app, 'serverless.yml'), `${yaml}\n`);
        continue;
      }
      if (line.trim() === '' || line.trimStart().startsWith('#') || line === commands[ci]) continue;
      const r = await bash(line, app, devEnv);
      expect(r.code, `${line}\n${r.output}`).toBe(0);
      expect(r.output).not.toContain(VALUE);
    }
    const status = await exec('git', ['status', '--porcelain'], { cwd: app });
    expect(status.stdout, 'the quick start leaves nothing uncommitted').toBe('');

    // CI: a fresh clone, npm ci, the key in its variable, no key file
    const clone = path.join(root, 'ci-clone');
    await exec('git', ['clone', '-q', app, clone]);
    const keys = path.join(devEnv.XDG_CONFIG_HOME!, 'stage-secrets', 'keys');
    const [keyFile, ...more] = fs.readdirSync(keys);
    expect(more).toEqual([]);
    const key = fs.readFileSync(path.join(keys, keyFile!), 'utf8').trim();
    const ciEnv = { ...machineEnv(path.join(root, 'ci-home'), schemaCache), STAGE_SECRETS_KEY_DEV: key };
    await exec('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: clone,
      env: { ...ciEnv, npm_config_cache: npmCache },
    });
    linkServerless(clone);
    const r = await bash(commands[ci]!.replace('serverless deploy', 'serverless package'), clone, ciEnv);
    expect(r.code, `${commands[ci]}\n${r.output}`).toBe(0);
    expect(r.output).not.toContain(VALUE);
    expect(r.output).not.toContain(key);

    const template = JSON.parse(
      fs.readFileSync(path.join(clone, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8'),
    ) as Template;
    expect(lambdas(template, 'quick-start-app', 'dev').hello!.variables).toEqual({ STRIPE_KEY: VALUE });
  }, 600_000);
});
