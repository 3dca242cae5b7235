/**
 * Approvals a key holder withdrew must stay withdrawn: a writer without the key restores an approved
 * entry (its tag included) or a `policy: open` line from git history and the build must not trust it.
 * And the review views (list, textconv, log) must not call a tag nobody checked "approved".
 * Everything goes through the built CLI and real git, as an attacker with a clone would do it.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Sealer } from '../../src/core/crypto.js';
import { valueAad } from '../../src/stages/sealing.js';
import { copyWorkspace } from '../support/cli.js';
import { readStageText, secureWorkspace, type SecureWorkspace } from './support.js';

let ws: SecureWorkspace;
let day: number;

/** The writer: the repo, no key. */
const writer = () => ({ XDG_CONFIG_HOME: path.join(ws.root, 'writer-config') });
/** CI, and the key holder: the key in STAGE_SECRETS_KEY_DEV. */
const ci = () => ({ XDG_CONFIG_HOME: path.join(ws.root, 'ci-config'), STAGE_SECRETS_KEY_DEV: ws.key });

// biome-ignore lint/suspicious/noExplicitAny: the tests edit stage files as an attacker would, any field
type Json = { [key: string]: any };

function git(args: string[], extra: NodeJS.ProcessEnv = {}): string {
  const env = { ...ws.env, GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C', ...extra };
  const r = spawnSync('git', args, { cwd: ws.dir, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Commits everything with a fixed, increasing date: the order of `log` never depends on the clock. */
function commit(label: string, who = 'Alice'): string {
  const when = `2026-04-${String(++day).padStart(2, '0')}T10:00:00+00:00`;
  git(['add', '-A']);
  const author = { GIT_AUTHOR_NAME: who, GIT_AUTHOR_EMAIL: `${who.toLowerCase()}@example.com` };
  git(['commit', '-qm', label], { ...author, GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when });
  return git(['rev-parse', '--short', 'HEAD']);
}

/**
 * The stage as it was at a commit, as one object (header fields plus `secrets`): in v3 the header
 * `secrets/dev.json` and the entry files `secrets/dev/<NAME>.json` of that tree, as an attacker reads history.
 */
function fileAt(rev: string): Json {
  const header = JSON.parse(git(['show', `${rev}:secrets/dev.json`])) as Json;
  expect(header.version).toBe(3);
  const secrets: Json = {};
  for (const entry of git(['ls-tree', '--name-only', rev, 'secrets/dev/']).split('\n').filter(Boolean)) {
    secrets[path.basename(entry, '.json')] = JSON.parse(git(['show', `${rev}:${entry}`]));
  }
  return { ...header, secrets };
}
/** Back to the committed stage: the header and entry files, and no entry file the commit does not have. */
function checkoutStage(): void {
  git(['checkout', '--', 'secrets']);
  git(['clean', '-fdq', '--', 'secrets']);
}
const current = (): Json => JSON.parse(readStageText(ws));
/** A writer's hand edit: any JSON layout is a stage file, so the writer needs none of our code for it. */
const writeStage = (file: Json) => ws.writeStage('dev', file);

/** What a writer seals without a key: a value for `name`, to the stage public key. */
function sealedEntry(file: Json, name: string, value: string): Json {
  const aad = valueAad({ app: file.app, stage: file.stage }, name, 'string');
  const sealed = new Sealer(Buffer.from(file.publicKey, 'base64')).seal(aad, value);
  return { type: 'string', updated: '2026-04-20T10:00:00.000Z', ...sealed };
}

/** The build: a child that prints one variable. `childRan` tells whether it started at all. */
async function build(name: string) {
  const marker = path.join(ws.root, 'child-ran');
  fs.rmSync(marker, { force: true });
  const script = `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); console.log(process.env.${name})`;
  const r = await ws.run(['run', '--stage', 'dev', '--no-mask', '--', process.execPath, '-e', script], { env: ci() });
  return { ...r, childRan: fs.existsSync(marker) };
}

async function ok(args: string[], env: NodeJS.ProcessEnv, input?: string) {
  const r = await ws.run(args, { env, input });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

// The stage and its first commit, made once through the CLI and git; each test starts from a copy of it.
let prepared: SecureWorkspace;
let preparedDay: number;
beforeAll(async () => {
  ws = prepared = await secureWorkspace('replay-app');
  day = 0;
  git(['init', '-q', '-b', 'main']);
  git(['config', 'user.name', 'Committer']);
  git(['config', 'user.email', 'c@example.com']);
  git(['config', 'commit.gpgsign', 'false']);
  commit('create');
  preparedDay = day;
}, 60_000);
afterAll(() => prepared.cleanup());
beforeEach(() => {
  ws = copyWorkspace(prepared);
  day = preparedDay;
});
afterEach(() => ws.cleanup());

describe('a removed name restored from history', () => {
  it('runs as approved until a key holder revokes it; after approve --revoke the replayed tag is refused', async () => {
    await ok(['set', '--stage', 'dev', 'HOOK'], ci(), 'good-value');
    const approvedAt = commit('alice approves HOOK');
    const rm = await ok(['rm', '--stage', 'dev', 'HOOK'], ci());
    // rm alone cannot make the removal stick: it says what does
    expect(rm.stderr).toContain('npx --no-install stage-secrets approve --stage dev --revoke HOOK');
    commit('alice removes HOOK');

    // the writer restores HOOK's old entry file, approval tag included, then sets a value of their own
    const replay = () => {
      const file = current();
      file.secrets.HOOK = fileAt(approvedAt).secrets.HOOK;
      writeStage(file);
    };
    replay();
    const set = await ok(['set', '--stage', 'dev', 'HOOK'], writer(), 'attacker-value');
    expect(set.stderr).not.toContain('pending');
    // without a revoke this is the residual: rm does not void the old tag, and the build takes the value
    const residual = await build('HOOK');
    expect(residual.code, residual.stderr).toBe(0);
    expect(residual.stdout).toBe('attacker-value\n');
    checkoutStage();

    const revoke = await ok(['approve', '--stage', 'dev', '--revoke', 'HOOK'], ci());
    expect(revoke.stderr).toContain('HOOK');
    commit('alice revokes HOOK');
    expect(current().approvalEpoch).toMatchObject({ epoch: 1 });
    // what stayed approved still runs
    const clean = await build('PORT');
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toBe('8080\n');

    replay();
    await ok(['set', '--stage', 'dev', 'HOOK'], writer(), 'attacker-value');
    const run = await build('HOOK');
    expect(run.code).toBe(2);
    expect(run.childRan).toBe(false);
    expect(run.stderr).toContain('no key holder approved: HOOK');
    expect(run.stderr + run.stdout).not.toContain('attacker-value');
    const exported = await ws.run(['export', '--stage', 'dev', '--format', 'json'], { env: ci() });
    expect(exported.code).toBe(2);
    expect(exported.stdout).toBe('');
    const list = await ws.run(['list', '--stage', 'dev', '--json'], { env: writer() });
    const hook = { name: 'HOOK', approved: true, approval: 'unverified' };
    expect(JSON.parse(list.stdout)).toContainEqual(expect.objectContaining(hook));
    const checked = await ws.run(['list', '--stage', 'dev', '--json'], { env: ci() });
    expect(JSON.parse(checked.stdout)).toContainEqual(expect.objectContaining({ name: 'HOOK', approval: 'invalid' }));
  });

  it('revoking a name that is present makes it pending, and its old tag does not come back', async () => {
    const before = current().secrets.PORT.approved;
    const revoke = await ok(['approve', '--stage', 'dev', '--revoke', 'PORT'], ci());
    expect(revoke.stderr).toContain('PORT');
    const revoked = readStageText(ws);
    expect(current().secrets.PORT.approved).toBeUndefined();
    const pending = await build('PORT');
    expect(pending.code).toBe(2);
    expect(pending.stderr).toContain('no key holder approved: PORT');

    const file = current();
    file.secrets.PORT.approved = before;
    writeStage(file);
    expect((await build('PORT')).code).toBe(2);

    ws.restore('dev', revoked);
    await ok(['approve', '--stage', 'dev', 'PORT'], ci());
    const again = await build('PORT');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe('8080\n');
  });

  it('a writer cannot move the epoch: a changed number or a removed epoch line fails closed', async () => {
    await ok(['approve', '--stage', 'dev', '--revoke', 'PORT'], ci());
    commit('revoke');
    const bumped = current();
    bumped.approvalEpoch.epoch = 7;
    writeStage(bumped);
    const forged = await build('CONFIG');
    expect(forged.code).toBe(2);
    expect(forged.childRan).toBe(false);
    expect(forged.stderr).toMatch(/approval epoch/);

    // back to epoch 0 (no epoch line) with today's tags: nothing tagged at epoch 1 verifies any more
    checkoutStage();
    const dropped = current();
    delete dropped.approvalEpoch;
    writeStage(dropped);
    const rolled = await build('CONFIG');
    expect(rolled.code).toBe(2);
    expect(rolled.childRan).toBe(false);
    expect(rolled.stderr).toContain('no key holder approved: CANARY_TOKEN, CONFIG, PORT');
  });

  it('a whole rollback (epoch line, old tags) is the residual: log flags it, names approved since stay pending', async () => {
    const start = git(['rev-parse', '--short', 'HEAD']);
    await ok(['approve', '--stage', 'dev', '--revoke', 'HOOK_NEVER_SET'], ci());
    await ok(['set', '--stage', 'dev', 'NEWER'], ci(), 'newer-value');
    commit('alice revokes, approves NEWER');

    const old = fileAt(start);
    const file = current();
    delete file.approvalEpoch;
    for (const name of Object.keys(old.secrets)) file.secrets[name].approved = old.secrets[name].approved;
    writeStage(file);
    const run = await build('PORT');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no key holder approved: NEWER');

    delete file.secrets.NEWER;
    writeStage(file);
    const residual = await build('PORT');
    expect(residual.code, residual.stderr).toBe(0);
    const rolledBack = commit('mallory rolls back', 'Mallory');
    const log = await ok(['log', '--stage', 'dev'], writer());
    expect(log.stdout).toContain(`${rolledBack}  `);
    expect(log.stdout).toMatch(/approval epoch lowered from 1 to 0/);
    // review sees the header go back: textconv shows the epoch before, and no epoch after
    const before = path.join(ws.root, 'before.json');
    fs.writeFileSync(before, git(['show', 'HEAD~1:secrets/dev.json'])); // the header: where the epoch lives
    expect((await ok(['textconv', before], writer())).stdout).toContain('approval epoch: 1');
    expect((await ok(['textconv', 'secrets/dev.json'], writer())).stdout).not.toContain('approval epoch');
  });
});

describe('revocations on two branches', () => {
  it('a tag from another branch that also reached epoch 1 does not verify after this branch revoked the name', async () => {
    git(['checkout', '-qb', 'side']);
    await ok(['approve', '--stage', 'dev', '--revoke', 'CONFIG'], ci());
    commit('side revokes CONFIG');
    git(['checkout', '-q', 'main']);
    await ok(['approve', '--stage', 'dev', '--revoke', 'PORT'], ci());
    commit('main revokes PORT');
    expect(current().approvalEpoch.epoch).toBe(fileAt('side').approvalEpoch.epoch);

    const file = current();
    file.secrets.PORT.approved = fileAt('side').secrets.PORT.approved;
    writeStage(file);
    const run = await build('PORT');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no key holder approved: PORT');
  });
});

describe('an open policy closed by a key holder', () => {
  it('after approve --close, a replayed `policy: open` line from history fails closed', async () => {
    await ok(['approve', '--stage', 'dev', '--open'], ci());
    const openAt = commit('alice opens dev');
    await ok(['set', '--stage', 'dev', 'UNTAGGED'], writer(), 'written-under-open');
    commit('bob adds under open', 'Bob');
    const close = await ok(['approve', '--stage', 'dev', '--close'], ci());
    expect(close.stderr).toContain('UNTAGGED');
    commit('alice closes dev');
    expect(current().policy).toBeUndefined();
    const pending = await build('PORT');
    expect(pending.code).toBe(2);
    expect(pending.stderr).toContain('no key holder approved: UNTAGGED');

    const file = current();
    file.policy = fileAt(openAt).policy;
    file.secrets.SNEAKY = sealedEntry(file, 'SNEAKY', 'sneaky-value');
    writeStage(file);
    const run = await build('SNEAKY');
    expect(run.code).toBe(2);
    expect(run.childRan).toBe(false);
    expect(run.stderr).toMatch(/policy "open", but no key holder set it/);
    expect(run.stderr + run.stdout).not.toContain('sneaky-value');
  });

  it('--close, --revoke and --open do not combine, and a writer cannot close', async () => {
    const both = await ws.run(['approve', '--stage', 'dev', '--open', '--close'], { env: ci() });
    expect(both.code).toBe(1);
    const bare = await ws.run(['approve', '--stage', 'dev', '--revoke'], { env: ci() });
    expect(bare.code).toBe(1);
    expect(bare.stderr).toContain('--revoke NAME');
    const before = readStageText(ws);
    const denied = await ws.run(['approve', '--stage', 'dev', '--close'], { env: writer() });
    expect(denied.code).toBe(3);
    expect(readStageText(ws)).toBe(before);
  });
});

describe('review views and tags nobody checked', () => {
  it('a well-formed fake tag is "tagged (unverified)" without the key, and "tag does not verify" with it', async () => {
    const file = current();
    file.secrets.FAKE = { ...sealedEntry(file, 'FAKE', 'x-fake-x'), approved: randomBytes(32).toString('base64') };
    writeStage(file);

    const keyless = await ok(['list', '--stage', 'dev'], writer());
    const row = (out: string, name: string) => out.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';
    expect(row(keyless.stdout, 'FAKE')).toContain('tagged (unverified)');
    expect(row(keyless.stdout, 'PORT')).toContain('tagged (unverified)');
    expect(keyless.stdout).not.toMatch(/\bapproved\b|\byes\b/);
    const keylessJson = JSON.parse((await ok(['list', '--stage', 'dev', '--json'], writer())).stdout) as Json[];
    expect(keylessJson.find((s) => s.name === 'FAKE')).toMatchObject({ approved: true, approval: 'unverified' });

    // v3: git shows each entry file through textconv, named by its path; the view never says "approved"
    const view = await ok(['textconv', 'secrets/dev/FAKE.json'], writer());
    expect(view.stdout).toMatch(/^string {2}\S+ {2}sealed to [0-9a-f]{16} {2}tagged \(unverified\) {2}[0-9a-f]{12}\n$/);
    expect(view.stdout).not.toMatch(/\bapproved\b/);

    const keyed = await ok(['list', '--stage', 'dev'], ci());
    expect(row(keyed.stdout, 'FAKE')).toContain('tag does not verify');
    expect(row(keyed.stdout, 'PORT')).toMatch(/ approved\b/);
    expect(keyed.stderr).toContain('FAKE');
    const keyedJson = JSON.parse((await ok(['list', '--stage', 'dev', '--json'], ci())).stdout) as Json[];
    expect(keyedJson.find((s) => s.name === 'FAKE')).toMatchObject({ approved: true, approval: 'invalid' });
    expect(keyedJson.find((s) => s.name === 'PORT')).toMatchObject({ approved: true, approval: 'approved' });
  });

  it('log flags a name re-added with the tag it had before its removal', async () => {
    await ok(['set', '--stage', 'dev', 'HOOK'], ci(), 'good-value');
    const approvedAt = commit('alice approves HOOK');
    await ok(['rm', '--stage', 'dev', 'HOOK'], ci());
    commit('alice removes HOOK');
    const file = current();
    const oldTag = fileAt(approvedAt).secrets.HOOK.approved;
    file.secrets.HOOK = { ...sealedEntry(file, 'HOOK', 'attacker-value'), approved: oldTag };
    writeStage(file);
    const replayed = commit('mallory re-adds HOOK', 'Mallory');

    const log = await ok(['log', '--stage', 'dev', 'HOOK'], writer());
    const lines = log.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${replayed}  .*  Mallory$`));
    expect(lines[1]).toBe('  added HOOK');
    expect(lines[2]).toContain(`HOOK came back with the approval tag it had in ${approvedAt}`);
    const json = JSON.parse((await ok(['log', '--stage', 'dev', '--json'], writer())).stdout) as Json[];
    expect(json[0]!.changes).toEqual([{ name: 'HOOK', change: 'added', replayedTagFrom: approvedAt }]);
    // a name approved once and never removed is not flagged
    expect(json.flatMap((c) => c.changes).filter((c: Json) => c.replayedTagFrom)).toHaveLength(1);
  });
});
