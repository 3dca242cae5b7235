/**
 * Who can open a stage is decided only by a key holder (issue 31, items 2-4 and the migration). A keyless
 * writer's branch changes the header's identity records, it is merged with real git, and the key holder
 * then does what the tool tells them (verify, rotate). Without record tags, rotate wrapped the next stage
 * key to whatever the records said: a recipient swapped under an unchanged id (2), a recipient added (3),
 * a KMS key ARN changed under an unchanged id (4). Every step runs the built CLI as a process.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLI, copyWorkspace, makeWorkspace, REPO_ROOT, type Workspace } from '../support/cli.js';
import { gitRepo, initRepo, type GitRepo } from '../support/git-repo.js';
import { kmsEnv, startKmsServer, type KmsServer } from '../support/kms-server.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests edit the header as an attacker would, any field
type Json = { [key: string]: any };

interface AgeKey {
  key: string;
  recipient: string;
}

async function ageKey(): Promise<AgeKey> {
  const key = await generateX25519Identity();
  return { key, recipient: await identityToRecipient(key) };
}

/** What a keyless writer can wrap: anything, to their own recipient (they do not have the stage key). */
async function wrapToSelf(recipient: string): Promise<string> {
  const e = new Encrypter();
  e.addRecipient(recipient);
  return Buffer.from(await e.encrypt(new Uint8Array(randomBytes(32)))).toString('base64');
}

let ws: Workspace;
let repo: GitRepo;
let bob: AgeKey;
let mallory: AgeKey;

const header = (): Json => JSON.parse(fs.readFileSync(ws.stageFile('prod'), 'utf8'));
const writeHeader = (doc: Json) => fs.writeFileSync(ws.stageFile('prod'), `${JSON.stringify(doc, null, 2)}\n`);
/** Someone holding only `env`'s keys (no local key of the workspace). */
const as = (env: NodeJS.ProcessEnv, args: string[]) =>
  ws.run(args, { env: { ...repo.env, XDG_CONFIG_HOME: path.join(ws.dir, '..', 'outsider'), ...env } });

/** A keyless writer's branch that edits the header (and sets a value, to look ordinary), merged into main. */
async function mergeWriterBranch(branch: string, edit: (doc: Json) => void): Promise<void> {
  repo.ok('checkout', '-qb', branch);
  expect((await repo.run(['set', '--stage', 'prod', 'FEATURE_FLAG', 'on'], true)).code).toBe(0);
  const doc = header();
  edit(doc);
  writeHeader(doc);
  repo.commitAll(`${branch}: a feature flag`);
  repo.ok('checkout', '-q', 'main');
  repo.ok('merge', '-q', '--no-ff', '-m', `merge ${branch}`, branch);
}

/** Each test of a describe starts from a copy of the stage and repository its beforeAll prepared once. */
function useCopyOf(prepared: Workspace): void {
  ws = copyWorkspace(prepared);
  repo = gitRepo(ws);
}

beforeAll(async () => {
  bob = await ageKey();
  mallory = await ageKey();
});

describe('age records: a swapped or an added recipient', () => {
  let prepared: Workspace;
  beforeAll(async () => {
    ws = prepared = makeWorkspace('shop');
    repo = gitRepo(ws);
    initRepo(repo);
    await repo.cli(['init', '--stage', 'prod', '--local']);
    await repo.cli(['rewrap', '--stage', 'prod', '--age', bob.recipient]);
    fs.writeFileSync(path.join(ws.dir, 'api.env'), 'API_TOKEN=holder-approved-value\n');
    await repo.cli(['import', '--stage', 'prod', 'api.env']);
    fs.rmSync(path.join(ws.dir, 'api.env'));
    await repo.cli(['git-setup']);
    repo.commitAll('stage prod');
  });
  afterAll(() => prepared.cleanup());
  beforeEach(() => useCopyOf(prepared));
  afterEach(() => ws.cleanup());

  it("Bob's recipient swapped for Mallory's under id age:<Bob>: the diff, review and log show it; rotate refuses; Mallory opens nothing", async () => {
    await mergeWriterBranch('swap', (doc) => {
      const record = doc.identities.find((r: Json) => r.type === 'age');
      record.recipient = mallory.recipient;
      record.wrapped = 'AAAA';
    });
    expect(header().identities.find((r: Json) => r.type === 'age').id).toBe(`age:${bob.recipient}`);
    // the textconv diff of the merge shows who the record wraps to now
    const diff = repo.ok('diff', 'HEAD~1', 'HEAD', '--', 'secrets/prod.json');
    expect(diff).toContain(`+identity: age:${bob.recipient}  age recipient ${mallory.recipient}`);
    const review = await repo.run(['review', '--base', 'HEAD~1', '--strict']);
    expect(review.code).toBe(1);
    expect(review.stdout).toContain(`WHO IT WRAPS TO CHANGED under the same id`);
    expect(review.stdout).toContain(mallory.recipient);
    const log = await repo.cli(['log', '--stage', 'prod']);
    expect(log.stdout).toContain(`WAS age recipient ${bob.recipient}`);
    // the key holder checks, then rotates as they would after any change of identities
    const verify = await repo.run(['verify', '--stage', 'prod']);
    expect(verify.code).toBe(2);
    expect(verify.stdout).toMatch(
      new RegExp(`age:${bob.recipient}: age recipient ${mallory.recipient}.*its id is not the one its fields give`),
    );
    const before = fs.readFileSync(ws.stageFile('prod'), 'utf8');
    const rotate = await repo.run(['rotate', '--stage', 'prod']);
    expect(rotate.code, rotate.stderr).toBe(2);
    expect(rotate.stderr).toContain(`rotate of stage prod refused`);
    expect(rotate.stderr).toContain(`age:${bob.recipient}`);
    expect(rotate.stderr).toContain(`rewrap --stage prod --remove ID`);
    expect(fs.readFileSync(ws.stageFile('prod'), 'utf8')).toBe(before);
    const malloryOpens = await as({ STAGE_SECRETS_AGE_KEY: mallory.key }, ['verify', '--stage', 'prod']);
    expect(malloryOpens.code).not.toBe(0);
    expect(malloryOpens.stdout).not.toContain('opened with');
    // the fix the message names: remove it; rotate then wraps only to confirmed records
    await repo.cli(['rewrap', '--stage', 'prod', '--remove', `age:${bob.recipient}`]);
    await repo.cli(['rotate', '--stage', 'prod']);
    expect((await as({ STAGE_SECRETS_AGE_KEY: mallory.key }, ['verify', '--stage', 'prod'])).code).not.toBe(0);
  });

  it('a recipient Mallory added: list and verify flag it, review --strict fails, rotate refuses; Mallory gets no key', async () => {
    const wrapped = await wrapToSelf(mallory.recipient);
    await mergeWriterBranch('add', (doc) => {
      doc.identities.push({
        type: 'age',
        id: `age:${mallory.recipient}`,
        created: '2026-05-01T10:00:00.000Z',
        recipient: mallory.recipient,
        wrapped,
      });
    });
    const list = await repo.run(['list', '--stage', 'prod'], true);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stderr).toContain(`age recipient ${mallory.recipient} [NOT CONFIRMED by a key holder`);
    const review = await repo.run(['review', '--base', 'HEAD~1', '--strict']);
    expect(review.code).toBe(1);
    expect(review.stdout).toMatch(new RegExp(`identity records no key holder confirmed: age:${mallory.recipient}`));
    const verify = await repo.run(['verify', '--stage', 'prod']);
    expect(verify.code).toBe(2);
    expect(verify.stdout).toContain(`age:${mallory.recipient}: age recipient ${mallory.recipient}`);
    const rotate = await repo.run(['rotate', '--stage', 'prod']);
    expect(rotate.code, rotate.stderr).toBe(2);
    expect(rotate.stderr).toContain(`- age:${mallory.recipient}: age recipient ${mallory.recipient}`);
    // rewrap adds no one while an unconfirmed record stays
    const carol = await ageKey();
    const rewrap = await repo.run(['rewrap', '--stage', 'prod', '--age', carol.recipient]);
    expect(rewrap.code).toBe(2);
    expect(rewrap.stderr).toContain(`age:${mallory.recipient}`);
    const malloryOpens = await as({ STAGE_SECRETS_AGE_KEY: mallory.key }, ['verify', '--stage', 'prod']);
    expect(malloryOpens.code).not.toBe(0);
    expect(malloryOpens.stdout).not.toContain('opened with');
    // Bob, confirmed by the key holder's rewrap, still opens the stage
    await repo.cli(['approve', '--stage', 'prod', 'FEATURE_FLAG']);
    const bobOpens = await as({ STAGE_SECRETS_AGE_KEY: bob.key }, ['export', '--stage', 'prod', '--format', 'json']);
    expect(bobOpens.code, bobOpens.stderr).toBe(0);
  });
});

describe('identity tags are bound to the approval epoch', () => {
  beforeEach(async () => {
    ws = makeWorkspace('shop');
    repo = gitRepo(ws);
    initRepo(repo);
    await repo.cli(['init', '--stage', 'prod', '--local']);
    await repo.cli(['set', '--stage', 'prod', 'OLD_NAME', 'old']);
    repo.commitAll('stage prod');
  });
  afterEach(() => ws.cleanup());

  it('approve --revoke tags confirmed records again; a record removed before the revocation and restored from history does not verify', async () => {
    await repo.cli(['rewrap', '--stage', 'prod', '--age', mallory.recipient]);
    repo.commitAll('mallory may read prod');
    const withMallory = header().identities.find((r: Json) => r.type === 'age');
    await repo.cli(['rewrap', '--stage', 'prod', '--remove', `age:${mallory.recipient}`]);
    await repo.cli(['approve', '--stage', 'prod', '--revoke', 'OLD_NAME']);
    repo.commitAll('mallory removed, OLD_NAME revoked');
    // a writer restores Mallory's record from history: same stage key, but tagged at the earlier epoch
    await mergeWriterBranch('restore-mallory', (doc) => {
      doc.identities.push(withMallory);
    });
    const rotate = await repo.run(['rotate', '--stage', 'prod']);
    expect(rotate.code, rotate.stderr).toBe(2);
    expect(rotate.stderr).toContain(`- age:${mallory.recipient}: age recipient ${mallory.recipient}`);
    expect(rotate.stderr).toContain('its tag does not verify');
    // the local record, tagged again by approve --revoke, is not among those refused
    expect(rotate.stderr).not.toMatch(/^- local:/m);
  });
});

describe('aws-kms records: the key ARN changed under an unchanged id', () => {
  let kms: KmsServer;
  let holderKms: NodeJS.ProcessEnv;
  beforeAll(async () => {
    kms = await startKmsServer();
    kms.createKey({ alias: 'alias/ci' });
    holderKms = kmsEnv(kms);
  });
  afterAll(() => kms.close());
  beforeEach(async () => {
    ws = makeWorkspace('shop');
    repo = gitRepo(ws);
    initRepo(repo);
    await repo.cli(['init', '--stage', 'prod', '--local']);
    const add = await ws.run(['rewrap', '--stage', 'prod', '--kms', 'alias/ci'], {
      env: { ...repo.env, ...holderKms },
    });
    expect(add.code, add.stderr).toBe(0);
    repo.commitAll('stage prod');
  });
  afterEach(() => ws.cleanup());

  it('rotate refuses the record (its tag fails), so no new stage key is wrapped under the attacker key', async () => {
    const attacker = kms.createKey();
    await mergeWriterBranch('kms-swap', (doc) => {
      const record = doc.identities.find((r: Json) => r.type === 'aws-kms');
      record.keyArn = attacker.arn;
    });
    expect(header().identities.find((r: Json) => r.type === 'aws-kms').id).toBe('aws-kms:alias/ci');
    const verify = await ws.run(['verify', '--stage', 'prod'], { env: { ...repo.env } });
    expect(verify.code).toBe(2);
    expect(verify.stdout).toContain(`aws-kms:alias/ci: key alias/ci, key ARN ${attacker.arn}`);
    expect(verify.stdout).toContain(`identities: local key local:`);
    expect(verify.stdout).toContain(`AWS KMS key alias/ci (${kms.region}, pinned to ${attacker.arn})`);
    const review = await repo.run(['review', '--base', 'HEAD~1']);
    expect(review.stdout).toContain(`key ARN ${attacker.arn}`);
    kms.resetCalls();
    const rotate = await ws.run(['rotate', '--stage', 'prod'], { env: { ...repo.env, ...holderKms } });
    expect(rotate.code, rotate.stderr).toBe(2);
    expect(rotate.stderr).toContain('- aws-kms:alias/ci: key alias/ci');
    expect(rotate.stderr).toContain(`key ARN ${attacker.arn}`);
    expect(kms.requests.filter((r) => r.operation === 'Encrypt' && r.keyId === attacker.arn)).toEqual([]);
    // the attacker, with Decrypt on their own key only, opens nothing
    kms.deny('Decrypt', 'alias/ci');
    try {
      const opens = await as(holderKms, ['verify', '--stage', 'prod']);
      expect(opens.code).not.toBe(0);
      expect(opens.stdout).not.toContain('opened with');
    } finally {
      kms.allowAll();
    }
  });
});

describe('migration: a stage made before identity records were tagged', () => {
  let prepared: Workspace;
  beforeAll(async () => {
    ws = prepared = makeWorkspace('shop');
    repo = gitRepo(ws);
    initRepo(repo);
    await repo.cli(['init', '--stage', 'prod', '--local']);
    await repo.cli(['rewrap', '--stage', 'prod', '--age', bob.recipient]);
    // as an older stage-secrets wrote it: records without a tag
    const doc = header();
    for (const record of doc.identities) delete record.auth;
    writeHeader(doc);
    repo.commitAll('stage prod, made by an older stage-secrets');
  });
  afterAll(() => prepared.cleanup());
  beforeEach(() => useCopyOf(prepared));
  afterEach(() => ws.cleanup());

  it('keyless commands and the build keep working; rotate refuses until a key holder confirms; approve --identities --yes does', async () => {
    const set = await repo.run(['set', '--stage', 'prod', 'NEW_NAME', 'new-value'], true);
    expect(set.code, set.stderr).toBe(0);
    expect((await repo.run(['approve', '--stage', 'prod'])).code).toBe(0);
    const build = await repo.run(['export', '--stage', 'prod', '--format', 'json']);
    expect(build.code, build.stderr).toBe(0);
    const list = await repo.run(['list', '--stage', 'prod'], true);
    expect(list.code).toBe(0);
    expect(list.stderr).toContain('NOT CONFIRMED by a key holder');
    const rotate = await repo.run(['rotate', '--stage', 'prod']);
    expect(rotate.code).toBe(2);
    expect(rotate.stderr).toContain('npx --no-install stage-secrets approve --stage prod --identities');
    // without a terminal and without --yes: shown, nothing written
    const before = fs.readFileSync(ws.stageFile('prod'), 'utf8');
    const ask = await repo.run(['approve', '--stage', 'prod', '--identities']);
    expect(ask.code).toBe(1);
    expect(ask.stderr).toContain(`age recipient ${bob.recipient}`);
    expect(ask.stderr).toMatch(/local key fingerprint [0-9a-f]{16}/);
    expect(fs.readFileSync(ws.stageFile('prod'), 'utf8')).toBe(before);
    const yes = await repo.run(['approve', '--stage', 'prod', '--identities', '--yes']);
    expect(yes.code, yes.stderr).toBe(0);
    expect(yes.stderr).toMatch(/confirmed: local:[0-9a-f]{16}, age:age1/);
    expect(header().identities.every((r: Json) => typeof r.auth === 'string')).toBe(true);
    expect((await repo.run(['verify', '--stage', 'prod'])).code).toBe(0);
    const rotated = await repo.run(['rotate', '--stage', 'prod']);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect((await as({ STAGE_SECRETS_AGE_KEY: bob.key }, ['verify', '--stage', 'prod'])).code).toBe(0);
  });

  it('at a terminal, each record is shown with who it wraps to and confirmed one by one', async () => {
    const answer = path.join(REPO_ROOT, 'test/support/tty-answer.py');
    const answers = JSON.stringify([
      ['can open stage prod? [y/N]', 'y'],
      ['can open stage prod? [y/N]', 'n'],
    ]);
    const shown = await new Promise<{ code: number; out: string }>((resolve, reject) => {
      execFile(
        'python3',
        [answer, ws.dir, answers, process.execPath, CLI, 'approve', '--stage', 'prod', '--identities'],
        { env: repo.env, timeout: 30_000 },
        (err, stdout) => {
          if (err && typeof err.code !== 'number') return reject(err);
          resolve({ code: err ? (err.code as number) : 0, out: stdout });
        },
      );
    });
    expect(shown.out).toContain(`age recipient ${bob.recipient}`);
    expect(shown.code).toBe(1);
    const [local, age] = header().identities as Json[];
    expect(typeof local!.auth).toBe('string');
    expect(age!.auth).toBeUndefined();
    const rotate = await repo.run(['rotate', '--stage', 'prod']);
    expect(rotate.code).toBe(2);
    expect(rotate.stderr).toContain(`age:${bob.recipient}`);
  });
});
