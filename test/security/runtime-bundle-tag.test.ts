/**
 * Runtime mode's bundle approval tag lets a cold start skip the per-name approval HMACs. Whoever can change
 * a package (or the repo) but holds no stage key must get nothing from it: every tag that is copied, stale,
 * another stage's, of an earlier epoch or garbage ends exactly as a package without the tag (the per-name
 * check runs, and refuses what it refuses); only a tag over exactly the entries a key holder's build checked
 * skips it. The real @aws-sdk/client-kms against the local KMS server; HMACs counted on Approvals' prototype.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Approvals } from '../../src/core/approval.js';
import { Sealer } from '../../src/core/crypto.js';
import { StageSecretsError } from '../../src/core/errors.js';
import type { StageFile } from '../../src/core/format.js';
import { RUNTIME_BUNDLE_FORMAT, type RuntimeBundle, withBundleTag } from '../../src/core/runtime-bundle.js';
import { openPackagedSecrets } from '../../src/runtime/open-packaged.js';
import { revokeApprovals } from '../../src/stages/approve.js';
import { initStage } from '../../src/stages/init.js';
import { forgetUnwrappedKeys } from '../../src/stages/open-file.js';
import { valueAad } from '../../src/stages/sealing.js';
import { setSecrets } from '../../src/stages/secrets.js';
import { Stage } from '../../src/stages/stage.js';
import { kmsEnv, startKmsServer, type KmsServer } from '../support/kms-server.js';
import { replaceAwsProcessEnv } from '../support/process-env.js';

let kms: KmsServer;
let root: string;
let env: NodeJS.ProcessEnv;
let restoreProcessEnv: () => void;

const optsOf = (folder: string, stage = 'prod') => ({ stage, app: 'shop', dir: path.join(root, folder), env });

beforeAll(async () => {
  kms = await startKmsServer();
  restoreProcessEnv = replaceAwsProcessEnv(kmsEnv(kms));
  kms.createKey({ alias: 'alias/bundle-tag' });
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-bundle-tag-'));
  env = { ...process.env, XDG_CONFIG_HOME: path.join(root, 'cfg') };
});

afterAll(async () => {
  forgetUnwrappedKeys();
  restoreProcessEnv();
  await kms.close();
  fs.rmSync(root, { recursive: true, force: true });
});

afterEach(() => vi.restoreAllMocks());

async function stageWith(folder: string, stage = 'prod'): Promise<StageFile> {
  const opts = optsOf(folder, stage);
  await initStage(opts, [{ type: 'aws-kms', keyId: 'alias/bundle-tag' }]);
  await setSecrets(opts, [
    { name: 'API_KEY', type: 'string', value: 'k-1' },
    { name: 'DB_URL', type: 'string', value: 'postgres://x' },
  ]);
  return Stage.find(opts).read();
}

/** The bundle the plugin writes for `fn` with `names`: entries as sealed, and (key here) the bundle tag. */
async function bundleOf(file: StageFile, fn: string, names: string[], tagged = true): Promise<RuntimeBundle> {
  const bundle: RuntimeBundle = {
    format: RUNTIME_BUNDLE_FORMAT,
    version: file.version,
    app: file.app,
    stage: file.stage,
    deployStage: file.stage,
    function: fn,
    publicKey: file.publicKey,
    ...(file.approvalEpoch ? { approvalEpoch: file.approvalEpoch } : {}),
    ...(file.allowedRefs ? { allowedRefs: file.allowedRefs } : {}),
    identities: file.identities,
    secrets: Object.fromEntries(names.map((n) => [n, structuredClone(file.secrets[n]!)])),
  };
  const copy = JSON.parse(JSON.stringify(bundle)) as RuntimeBundle;
  if (!tagged) return copy;
  const opened = await Stage.find(optsOf(folderOf.get(file)!, file.stage)).open();
  expect(opened.pending).toEqual([]);
  return withBundleTag(copy, opened.approvals, opened.open);
}
const folderOf = new Map<StageFile, string>();

/** A writer's entry: sealed to the stage's public key (anyone can), no approval of its own. */
function writerEntry(file: StageFile, name: string, text: string, ref = false) {
  const sealed = new Sealer(Buffer.from(file.publicKey, 'base64')).seal(
    valueAad(file, name, 'string', ref ? { ref: true } : {}),
    text,
  );
  return {
    type: 'string' as const,
    updated: '2026-12-07T00:00:00.000Z',
    ...sealed,
    ...(ref ? { ref: true as const } : {}),
  };
}

interface Outcome {
  result: { values: Record<string, string> } | { code: string; message: string };
  /** per-name approval HMACs the cold start computed */
  hmacs: number;
}

async function coldStart(bundle: RuntimeBundle): Promise<Outcome> {
  const names = vi.spyOn(Approvals.prototype, 'isApproved');
  const refs = vi.spyOn(Approvals.prototype, 'isRefApproved');
  try {
    const values = await openPackagedSecrets(structuredClone(bundle), { ...env });
    return {
      result: { values: Object.fromEntries([...values].map(([n, v]) => [n, v.text])) },
      hmacs: names.mock.calls.length + refs.mock.calls.length,
    };
  } catch (err) {
    if (!(err instanceof StageSecretsError)) throw err;
    return {
      result: { code: err.code, message: err.message },
      hmacs: names.mock.calls.length + refs.mock.calls.length,
    };
  } finally {
    names.mockRestore();
    refs.mockRestore();
  }
}

/** The package as it would be without any bundle tag: what every bad tag must end as. */
function untagged(bundle: RuntimeBundle): RuntimeBundle {
  const { approvedBundle: _tag, ...rest } = bundle;
  return rest as RuntimeBundle;
}

async function expectSameAsUntagged(bundle: RuntimeBundle): Promise<Outcome> {
  expect(bundle.approvedBundle).toBeDefined();
  const withTag = await coldStart(bundle);
  const without = await coldStart(untagged(bundle));
  expect(withTag.result).toEqual(without.result);
  expect(withTag.hmacs).toBe(without.hmacs);
  expect(withTag.hmacs).toBeGreaterThan(0);
  return withTag;
}

let prod: StageFile;

beforeAll(async () => {
  prod = await stageWith('secrets');
  folderOf.set(prod, 'secrets');
});

describe('a valid bundle tag', () => {
  it('opens with no per-name approval HMAC, the values as without it', async () => {
    const bundle = await bundleOf(prod, 'api', ['API_KEY', 'DB_URL']);
    const tagged = await coldStart(bundle);
    expect(tagged).toEqual({ result: { values: { API_KEY: 'k-1', DB_URL: 'postgres://x' } }, hmacs: 0 });
    expect(await coldStart(untagged(bundle))).toEqual({ result: tagged.result, hmacs: 2 });
  });
});

describe('a bundle tag that does not verify ends exactly as no tag', () => {
  it("another function's tag, on a package with a writer's name added: refused naming it", async () => {
    const worker = await bundleOf(prod, 'worker', ['API_KEY']);
    const api = await bundleOf(prod, 'api', ['API_KEY'], false);
    api.secrets.EXTRA_FLAG = writerEntry(prod, 'EXTRA_FLAG', 'x');
    api.approvedBundle = worker.approvedBundle;
    const out = await expectSameAsUntagged(api);
    expect(out.result).toMatchObject({ code: 'UNAPPROVED' });
    expect((out.result as { message: string }).message).toContain('EXTRA_FLAG');
  });

  it("a writer's name added to a tagged package (its approval copied from another name): refused", async () => {
    const bundle = await bundleOf(prod, 'api', ['API_KEY', 'DB_URL']);
    bundle.secrets.EXTRA_FLAG = { ...writerEntry(prod, 'EXTRA_FLAG', 'x'), approved: bundle.secrets.API_KEY!.approved };
    const out = await expectSameAsUntagged(bundle);
    expect(out.result).toMatchObject({ code: 'UNAPPROVED' });
  });

  it("an entry's sealing swapped for another value sealed to the stage: checked per name", async () => {
    const bundle = await bundleOf(prod, 'api', ['API_KEY', 'DB_URL']);
    const { approved } = bundle.secrets.API_KEY!;
    bundle.secrets.API_KEY = { ...writerEntry(prod, 'API_KEY', 'k-evil'), ...(approved ? { approved } : {}) };
    await expectSameAsUntagged(bundle);
    // moved from another name: does not open
    const moved = await bundleOf(prod, 'api', ['API_KEY', 'DB_URL']);
    moved.secrets.API_KEY = { ...moved.secrets.DB_URL!, approved: moved.secrets.API_KEY!.approved };
    expect((await expectSameAsUntagged(moved)).result).toMatchObject({ code: 'INTEGRITY' });
  });

  it('a name removed: the rest checked per name', async () => {
    const bundle = await bundleOf(prod, 'api', ['API_KEY', 'DB_URL']);
    delete bundle.secrets.DB_URL;
    const out = await expectSameAsUntagged(bundle);
    expect(out.result).toEqual({ values: { API_KEY: 'k-1' } });
  });

  it("another stage's tag (same app, names and KMS key)", async () => {
    const staging = await stageWith('secrets', 'staging');
    folderOf.set(staging, 'secrets');
    const theirs = await bundleOf(staging, 'api', ['API_KEY', 'DB_URL']);
    const bundle = await bundleOf(prod, 'api', ['API_KEY', 'DB_URL']);
    bundle.approvedBundle = theirs.approvedBundle;
    expect((await expectSameAsUntagged(bundle)).result).toHaveProperty('values');
  });

  it("an earlier epoch's tag, with that epoch's approval of a revoked name put back: refused", async () => {
    const before = await stageWith('revoked');
    folderOf.set(before, 'revoked');
    const old = await bundleOf(before, 'api', ['API_KEY', 'DB_URL']);
    forgetUnwrappedKeys();
    await revokeApprovals(optsOf('revoked'), { names: ['DB_URL'] });
    const after = Stage.find(optsOf('revoked')).read();
    expect(after.approvalEpoch?.epoch).toBe(1);
    const bundle = await bundleOf(after, 'api', ['API_KEY', 'DB_URL'], false);
    bundle.secrets.DB_URL!.approved = old.secrets.DB_URL!.approved!;
    bundle.approvedBundle = old.approvedBundle;
    const out = await expectSameAsUntagged(bundle);
    expect(out.result).toMatchObject({ code: 'UNAPPROVED' });
    expect((out.result as { message: string }).message).toContain('DB_URL');
  });

  it('a tag made without the policy it was made under (open), on a closed package', async () => {
    const bundle = await bundleOf(prod, 'api', ['API_KEY', 'DB_URL'], false);
    const opened = await Stage.find(optsOf('secrets')).open();
    bundle.secrets.EXTRA_FLAG = writerEntry(prod, 'EXTRA_FLAG', 'x');
    bundle.approvedBundle = opened.approvals.bundleTag(bundle.secrets, undefined, true);
    expect((await expectSameAsUntagged(bundle)).result).toMatchObject({ code: 'UNAPPROVED' });
  });

  it('garbage: not text, not base64, cut short, empty', async () => {
    const good = await bundleOf(prod, 'api', ['API_KEY', 'DB_URL']);
    for (const garbage of [42, {}, ['x'], 'garbage!', good.approvedBundle!.slice(0, 12), '']) {
      const bundle = { ...good, approvedBundle: garbage } as unknown as RuntimeBundle;
      expect((await expectSameAsUntagged(bundle)).result).toHaveProperty('values');
    }
  });
});

describe('references under a bundle tag', () => {
  it("a reference's target swapped by a writer (the approval kept): refused as without the tag", async () => {
    const opts = optsOf('refs');
    await initStage(opts, [{ type: 'aws-kms', keyId: 'alias/bundle-tag' }]);
    await setSecrets(opts, [{ name: 'SHARED', type: 'string', value: 'ssm:/org/shared/db', ref: true }]);
    const file = Stage.find(opts).read();
    folderOf.set(file, 'refs');
    const bundle = await bundleOf(file, 'api', ['SHARED']);
    const { approved } = bundle.secrets.SHARED!;
    bundle.secrets.SHARED = { ...writerEntry(file, 'SHARED', 'ssm:/attacker/x', true), approved: approved! };
    const out = await expectSameAsUntagged(bundle);
    expect(out.result).toMatchObject({ code: 'UNAPPROVED' });
    expect((out.result as { message: string }).message).toContain('SHARED');
  });
});
