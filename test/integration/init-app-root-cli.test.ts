import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../support/cli.js';
import { gitRepo, initRepo, type GitRepo } from '../support/git-repo.js';

/** init from a folder below the app root refuses to make <subfolder>/secrets, naming the root and --here. */
describe('init: the app root', () => {
  let ws: Workspace;
  let repo: GitRepo;
  const inDir = (rel: string) => {
    const dir = path.join(ws.dir, rel);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  };
  const init = (cwd: string, ...extra: string[]) =>
    ws.run(['init', '--stage', 'dev', ...extra], { cwd, env: repo.env });
  beforeEach(() => {
    ws = makeWorkspace('root-app');
    repo = gitRepo(ws);
    initRepo(repo);
  });
  afterEach(() => ws.cleanup());

  it('refuses in a subfolder of an app with package.json, naming the root and --here', async () => {
    fs.writeFileSync(path.join(ws.dir, 'package.json'), '{"name":"root-app"}\n');
    const src = inDir('src');
    const r = await init(src);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the app's root is ${ws.dir}`);
    expect(r.stderr).toContain('package.json');
    expect(r.stderr).toContain('--here');
    expect(fs.existsSync(path.join(src, 'secrets'))).toBe(false);
  });

  it('refuses below a service folder with a serverless config, naming that folder', async () => {
    fs.writeFileSync(path.join(ws.dir, 'package.json'), '{"name":"mono"}\n');
    const service = inDir('services/api');
    fs.writeFileSync(path.join(service, 'serverless.yml'), 'service: api\nprovider:\n  name: aws\n');
    const r = await init(inDir('services/api/handlers'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the app's root is ${service}`);
    expect(r.stderr).toContain('serverless.yml');
  });

  it('without a package.json or serverless config, the git root is the app root', async () => {
    const r = await init(inDir('a/b'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the app's root is ${ws.dir}`);
    expect(r.stderr).toContain('git root');
  });

  it('--here insists: secrets/ is made in this folder', async () => {
    fs.writeFileSync(path.join(ws.dir, 'package.json'), '{"name":"root-app"}\n');
    const src = inDir('src');
    const r = await init(src, '--here', '--app', 'src-app');
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(src, 'secrets', 'dev.json'))).toBe(true);
  });

  it('runs as before at the app root, in a service folder, and with --dir', async () => {
    fs.writeFileSync(path.join(ws.dir, 'package.json'), '{"name":"root-app"}\n');
    const service = inDir('services/api');
    fs.writeFileSync(path.join(service, 'serverless.yml'), 'service: api\nprovider:\n  name: aws\n');
    expect((await init(service)).code).toBe(0);
    expect(fs.existsSync(path.join(service, 'secrets', 'dev.json'))).toBe(true);
    const withDir = await init(inDir('tools'), '--dir', '../config/secrets', '--app', 'tools');
    expect(withDir.code, withDir.stderr).toBe(0);
    expect((await init(ws.dir, '--stage', 'prod')).code).toBe(0);
  });
});
