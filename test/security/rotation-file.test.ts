/**
 * A committed rotation file must not turn a key holder's rotate into an approval (issue 31, item 1). A
 * keyless writer commits `secrets/.prod.rotating.json` (an old header from git history, or a keypair of
 * their own wrapped to an age recipient the key holder has) plus entries sealed to that key; the branch is
 * merged with real git; every build then says a rotate did not finish, and the key holder runs rotate as
 * told. Before the fix, the writer's name and value (or a removed and revoked name with its old value)
 * came out approved. Each step runs the built CLI as a process.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Approvals } from '../../src/core/approval.js';
import { generateStageKeyPair, publicKeyFingerprint, Sealer } from '../../src/core/crypto.js';
import { serializeEntryFile } from '../../src/core/entry-file.js';
import { rotateStage } from '../../src/stages/rotate.js';
import { valueAad } from '../../src/stages/sealing.js';
import { makeWorkspace, type Workspace } from '../support/cli.js';
import { gitRepo, initRepo, type GitRepo } from '../support/git-repo.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests write files as an attacker would, any field
type Json = { [key: string]: any };

const ROTATION = 'secrets/.prod.rotating.json';
const ATTACKER_VALUE = 'attacker-chosen-value-7c1e';
const OLD_VALUE = 'revoked-old-value-93ab';

let ws: Workspace;
let repo: GitRepo;

const file = (rel: string) => path.join(ws.dir, rel);
const header = (): Json => JSON.parse(fs.readFileSync(ws.stageFile('prod'), 'utf8'));

/** A keyless writer's branch with `plant` (files written in the work tree), merged into main with real git. */
function mergeWriterBranch(branch: string, plant: () => void): void {
  repo.ok('checkout', '-qb', branch);
  plant();
  repo.commitAll(`${branch}: tidy secrets`);
  repo.ok('checkout', '-q', 'main');
  repo.ok('merge', '-q', '--no-ff', '-m', `merge ${branch}`, branch);
}

/** What the build and the key holder see of the stage values afterwards (the build's own view). */
async function buildNames(env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; names: string[] }> {
  const r = await ws.run(['export', '--stage', 'prod', '--format', 'json'], { env: { ...repo.env, ...env } });
  return { code: r.code, names: r.code === 0 ? Object.keys(JSON.parse(r.stdout)).sort() : [] };
}

beforeEach(() => {
  ws = makeWorkspace('shop');
  repo = gitRepo(ws);
  initRepo(repo);
});
afterEach(() => ws.cleanup());

describe('a rotation file from history: an old header, and a removed and revoked entry from the same commit', () => {
  it('the build names the file and that it is committed; rotate refuses it by name; nothing comes back approved', async () => {
    await repo.cli(['init', '--stage', 'prod', '--local']);
    await repo.cli(['set', '--stage', 'prod', 'OLD_NAME', OLD_VALUE]);
    await repo.cli(['set', '--stage', 'prod', 'KEPT', 'kept-value']);
    repo.commitAll('stage prod');
    const first = repo.ok('rev-parse', 'HEAD').trim();
    await repo.cli(['rotate', '--stage', 'prod']);
    repo.commitAll('rotate');
    await repo.cli(['rm', '--stage', 'prod', 'OLD_NAME']);
    await repo.cli(['approve', '--stage', 'prod', '--revoke', 'OLD_NAME']);
    repo.commitAll('remove and revoke OLD_NAME');
    expect(await buildNames()).toEqual({ code: 0, names: ['KEPT'] });

    mergeWriterBranch('restore', () => {
      fs.writeFileSync(file(ROTATION), repo.ok('show', `${first}:secrets/prod.json`));
      fs.writeFileSync(file('secrets/prod/OLD_NAME.json'), repo.ok('show', `${first}:secrets/prod/OLD_NAME.json`));
    });
    const build = await repo.run(['export', '--stage', 'prod', '--format', 'json']);
    expect(build.code).toBe(2);
    expect(build.stderr).toContain('a rotate of stage prod did not finish');
    expect(build.stderr).toContain(`${ROTATION} is tracked by git, which a rotate never does`);
    expect(build.stderr).toContain(`git rm --cached ${ROTATION}`);
    expect(build.stdout + build.stderr).not.toContain(OLD_VALUE);

    const rotate = await repo.run(['rotate', '--stage', 'prod']);
    expect(rotate.code, rotate.stderr).toBe(2);
    expect(rotate.stderr).toContain(`${ROTATION} (the state of a rotate that did not finish) is tracked by git`);
    expect(rotate.stderr).toContain('OLD_NAME');
    // untracked (as a holder might try), it is still not sealed under the current key: refused again
    repo.ok('rm', '-q', '--cached', ROTATION);
    const again = await repo.run(['rotate', '--stage', 'prod']);
    expect(again.code, again.stderr).toBe(2);
    expect(again.stderr).toContain('is not sealed by a key holder of the current stage key');
    expect(await buildNames()).toEqual({ code: 2, names: [] });

    // the fix both messages give: remove the file and the entry sealed to its key
    fs.rmSync(file(ROTATION));
    await repo.cli(['rm', '--stage', 'prod', 'OLD_NAME']);
    expect(await buildNames()).toEqual({ code: 0, names: ['KEPT'] });
  });
});

describe("a rotation file with the writer's own keypair, wrapped to an age recipient the key holder has", () => {
  it('rotate refuses the committed file, and a forged seal once it is untracked; the name never comes out approved', async () => {
    const holderAge = await generateX25519Identity();
    const holderRecipient = await identityToRecipient(holderAge);
    const holderEnv = { STAGE_SECRETS_AGE_KEY: holderAge };
    await repo.cli(['init', '--stage', 'prod', '--local']);
    await repo.cli(['set', '--stage', 'prod', 'KEPT', 'kept-value']);
    repo.commitAll('stage prod');

    // the writer: a keypair of their own, its private key wrapped to the holder's public age recipient
    const own = generateStageKeyPair();
    const ownPublic = own.publicKey.toString('base64');
    const ctx = { app: 'shop', stage: 'prod', publicKey: ownPublic };
    const e = new Encrypter();
    e.addRecipient(holderRecipient);
    const wrapped = Buffer.from(await e.encrypt(new Uint8Array(own.privateKey))).toString('base64');
    const rotationHeader = {
      version: 3,
      app: 'shop',
      stage: 'prod',
      publicKey: ownPublic,
      identities: [
        {
          type: 'age',
          id: `age:${holderRecipient}`,
          created: '2026-05-01T10:00:00.000Z',
          recipient: holderRecipient,
          wrapped,
        },
      ],
    };
    const sealed = new Sealer(own.publicKey).seal(valueAad(ctx, 'EVIL_HOOK', 'string', {}), ATTACKER_VALUE);
    const entry = serializeEntryFile({
      type: 'string',
      updated: '2026-05-01T10:00:00.000Z',
      ...sealed,
      approved: new Approvals(own.privateKey, ctx).nameTag('EVIL_HOOK'),
      sealedTo: publicKeyFingerprint(ownPublic),
    });
    const current = header().publicKey as string;
    mergeWriterBranch('hook', () => {
      // a rotation file as this stage-secrets writes one, with a seal the writer cannot make
      const forged = {
        rotation: 1,
        from: current,
        approved: ['EVIL_HOOK', 'KEPT'],
        tag: sealed.tag,
        header: rotationHeader,
      };
      fs.writeFileSync(file(ROTATION), JSON.stringify(forged, null, 2));
      fs.writeFileSync(file('secrets/prod/EVIL_HOOK.json'), entry);
    });
    const build = await repo.run(['run', '--stage', 'prod', '--', 'true']);
    expect(build.code).toBe(2);
    expect(build.stderr).toContain('is tracked by git');

    const rotate = await ws.run(['rotate', '--stage', 'prod'], { env: { ...repo.env, ...holderEnv } });
    expect(rotate.code, rotate.stderr).toBe(2);
    expect(rotate.stderr).toContain(`${ROTATION} (the state of a rotate that did not finish) is tracked by git`);
    repo.ok('rm', '-q', '--cached', ROTATION);
    const untracked = await ws.run(['rotate', '--stage', 'prod'], { env: { ...repo.env, ...holderEnv } });
    expect(untracked.code, untracked.stderr).toBe(2);
    expect(untracked.stderr).toContain('is not sealed by a key holder of the current stage key');
    expect(untracked.stderr).toContain('EVIL_HOOK');
    expect(header().publicKey).toBe(current);
    expect(await buildNames(holderEnv)).toEqual({ code: 2, names: [] });
    const list = await repo.run(['list', '--stage', 'prod']);
    expect(list.stdout).not.toMatch(/EVIL_HOOK\s+string\s+\S+\s+approved/);
  });

  it('the plain header an older stage-secrets wrote is not trusted either (no seal)', async () => {
    const holderAge = await generateX25519Identity();
    const holderRecipient = await identityToRecipient(holderAge);
    await repo.cli(['init', '--stage', 'prod', '--local']);
    repo.commitAll('stage prod');
    const own = generateStageKeyPair();
    const ownPublic = own.publicKey.toString('base64');
    const ctx = { app: 'shop', stage: 'prod', publicKey: ownPublic };
    const e = new Encrypter();
    e.addRecipient(holderRecipient);
    const wrapped = Buffer.from(await e.encrypt(new Uint8Array(own.privateKey))).toString('base64');
    const sealed = new Sealer(own.publicKey).seal(valueAad(ctx, 'EVIL_HOOK', 'string', {}), ATTACKER_VALUE);
    // written in the work tree only (never committed): the seal alone must stop it
    fs.writeFileSync(
      file(ROTATION),
      JSON.stringify({
        version: 3,
        app: 'shop',
        stage: 'prod',
        publicKey: ownPublic,
        identities: [
          {
            type: 'age',
            id: `age:${holderRecipient}`,
            created: '2026-05-01T10:00:00.000Z',
            recipient: holderRecipient,
            wrapped,
          },
        ],
      }),
    );
    fs.mkdirSync(file('secrets/prod'), { recursive: true });
    fs.writeFileSync(
      file('secrets/prod/EVIL_HOOK.json'),
      serializeEntryFile({
        type: 'string',
        updated: '2026-05-01T10:00:00.000Z',
        ...sealed,
        approved: new Approvals(own.privateKey, ctx).nameTag('EVIL_HOOK'),
        sealedTo: publicKeyFingerprint(ownPublic),
      }),
    );
    const rotate = await ws.run(['rotate', '--stage', 'prod'], {
      env: { ...repo.env, STAGE_SECRETS_AGE_KEY: holderAge },
    });
    expect(rotate.code, rotate.stderr).toBe(2);
    expect(rotate.stderr).toContain('is not sealed by a key holder of the current stage key');
    const exported = await ws.run(['export', '--stage', 'prod', '--format', 'json'], { env: repo.env });
    expect(exported.stdout).not.toContain(ATTACKER_VALUE);
  });
});

describe("a key holder's own rotate that stopped half-way", () => {
  it('is named by the build and finished by rotate, which keeps every value and approval', async () => {
    await repo.cli(['init', '--stage', 'prod', '--local']);
    for (const name of ['ALPHA', 'BRAVO', 'CHARLIE', 'DELTA'])
      await repo.cli(['set', '--stage', 'prod', name, `${name}-v`]);
    await repo.cli(['set', '--stage', 'prod', 'WRITER_NAME', 'w'], true); // pending: must stay pending
    repo.commitAll('stage prod');
    // the rotate stops (a crash) at the third entry it writes, after the rotation file and two entries
    let renames = 0;
    const crashing = new Proxy(fs, {
      get(target, prop) {
        if (prop !== 'renameSync') return Reflect.get(target, prop);
        return (from: fs.PathLike, to: fs.PathLike) => {
          if (String(to).includes(`${path.sep}prod${path.sep}`) && ++renames === 3) throw new Error('crash');
          return fs.renameSync(from, to);
        };
      },
    });
    await expect(rotateStage({ stage: 'prod', cwd: ws.dir, env: repo.env, fs: crashing as never })).rejects.toThrow(
      'cannot write secrets/prod/CHARLIE.json',
    );
    expect(fs.existsSync(file(ROTATION))).toBe(true);
    const build = await repo.run(['export', '--stage', 'prod', '--format', 'json']);
    expect(build.code).toBe(2);
    expect(build.stderr).toContain('a rotate of stage prod did not finish: 2 of 5 secrets');
    expect(build.stderr).toContain('npx --no-install stage-secrets rotate --stage prod');
    const rotate = await repo.run(['rotate', '--stage', 'prod']);
    expect(rotate.code, rotate.stderr).toBe(0);
    expect(fs.existsSync(file(ROTATION))).toBe(false);
    const verify = await repo.run(['verify', '--stage', 'prod']);
    expect(verify.stdout).toContain('5 of 5 secrets OK');
    expect(verify.stdout).toContain('pending approval: WRITER_NAME;');
    await repo.cli(['approve', '--stage', 'prod', 'WRITER_NAME']);
    const values = JSON.parse((await repo.cli(['export', '--stage', 'prod', '--format', 'json'])).stdout);
    expect(values).toEqual({
      ALPHA: 'ALPHA-v',
      BRAVO: 'BRAVO-v',
      CHARLIE: 'CHARLIE-v',
      DELTA: 'DELTA-v',
      WRITER_NAME: 'w',
    });
  });
});
