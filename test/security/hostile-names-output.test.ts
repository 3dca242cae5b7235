import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../support/cli.js';
import { type GitRepo, gitWorkspace } from '../support/git-repo.js';

/**
 * A pull request chooses service, function, file and secrets-folder names and config strings. Through the
 * built CLI, none of them may inject markdown (a link, an image, an HTML tag, a mention) into `check` or
 * `review` markdown (a step summary, a PR comment), or start a line of text output or of an error, where a
 * CI runner would read `::warning::` / `::stop-commands::` as a workflow command.
 */

const SERVICE = 'evil\n::warning::from-the-service-name\u001b[31m';
const FUNCTION = 'fn[click](https://evil.example)<img src=x onerror=alert(1)>@octocat\n::stop-commands::tok';
const FOLDER = '@acme-team <img src=x onerror=y> [link](https:evil.example)\n::warning::folder';
const HANDLER_DIR = '@octocat-dir <b>x</b>';

/** Every line of `text`, leading spaces ignored, that a runner would read as a workflow command. */
function commandLines(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => /^\s*::/.test(line) || line.includes('##['));
}

function expectNoMarkdownInjection(markdown: string): void {
  expect(markdown).not.toMatch(/<img|<b>|\]\(|@(?!&#8203;)/);
  expect(markdown).not.toMatch(/@octocat|@acme/);
  expect(markdown).not.toContain('\u001b');
  expect(commandLines(markdown)).toEqual([]);
}

describe('PR-chosen names in check, review and error output', () => {
  let ws: Workspace;
  let repo: GitRepo;

  beforeAll(async () => {
    ({ ws, repo } = gitWorkspace('hostile-app'));
    await repo.cli(['init', '--stage', 'dev']);
    await repo.cli(['set', '--stage', 'dev', 'A', 'hostile-A-value']);
    const service = path.join(ws.dir, 'services', 'api');
    fs.mkdirSync(path.join(service, HANDLER_DIR), { recursive: true });
    fs.writeFileSync(
      path.join(service, 'serverless.yml'),
      [
        `service: ${JSON.stringify(SERVICE)}`,
        'provider:',
        '  name: aws',
        '  runtime: nodejs20.x',
        'custom:',
        '  stageSecrets:',
        '    required: [MISSING_ONE]',
        'functions:',
        `  ${JSON.stringify(FUNCTION)}:`,
        `    handler: ${JSON.stringify(`${HANDLER_DIR}/h.main`)}`,
        '',
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(service, HANDLER_DIR, 'h.js'),
      'exports.main = async () => [process.env.A, process.env.MISSING_ONE];\n',
    );
    repo.commitAll('base');
    repo.ok('checkout', '-q', '-b', 'change');
    const planted = path.join(ws.dir, FOLDER, 'secrets');
    fs.mkdirSync(planted, { recursive: true });
    fs.copyFileSync(path.join(ws.dir, 'secrets/dev.json'), path.join(planted, 'dev.json'));
    fs.writeFileSync(path.join(planted, `.${'\n'}::warning::file<img src=x>@octocat`), 'x');
    repo.commitAll('hostile folder');
  }, 60_000);

  afterAll(() => ws.cleanup());

  it('check text: the hostile names are shown with visible escapes, and no line is a workflow command', async () => {
    const r = await repo.run(['check'], true);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('MISSING_ONE');
    expect(r.stdout).toContain('evil\\n');
    expect(r.stdout).toContain('\\x1b[31m');
    expect(r.stdout).not.toContain('\u001b');
    expect(commandLines(r.stdout + r.stderr)).toEqual([]);
  });

  it('check markdown: no link, image, tag, mention or new line from a name', async () => {
    const r = await repo.run(['check', '--format', 'markdown'], true);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('MISSING');
    expectNoMarkdownInjection(r.stdout);
  });

  it('review text and markdown: the hostile folder and file names are named, escaped', async () => {
    const text = await repo.run(['review', '--base', 'main'], true);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(
      'SECRETS FOLDER ADDED: @acme-team <img src=x onerror=y> [link](https:evil.example)\\n',
    );
    expect(commandLines(text.stdout + text.stderr)).toEqual([]);
    const markdown = await repo.run(['review', '--base', 'main', '--format', 'markdown'], true);
    expect(markdown.code, markdown.stderr).toBe(0);
    expect(markdown.stdout).toContain('acme\\-team');
    expectNoMarkdownInjection(markdown.stdout);
  });

  it('an error naming them (rm of a name a hostile service needs) starts no line with their text', async () => {
    const r = await repo.run(['rm', '--stage', 'dev', 'A'], true);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('still needed by');
    expect(r.stderr).toContain('evil\\n');
    expect(commandLines(r.stderr)).toEqual([]);
    expect(r.stderr).not.toContain('\u001b');
  });
});
