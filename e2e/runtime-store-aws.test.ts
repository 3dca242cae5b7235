/**
 * The runtime store's AWS backends, ssm:// and secretsmanager://, against moto (python3's AWS emulator):
 * the built client in separate processes (one per "function instance") updating and reading through each
 * backend, the same many-process contention test as the S3 store (every update lands, none is lost, the
 * conflicts counted), names that may not be updated, `list` and `pull --store`, and no value in any output
 * or in anything moto holds. A recording pass-through proxy in front of moto counts the calls. And runtime
 * mode with each: the plugin's grant in the packaged template, the packaged function updating through the store.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import {
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  DescribeParametersCommand,
  GetParametersByPathCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretClient, SecretError } from '../src/client/index.js';
import { makeWorkspace, REPO_ROOT, type Workspace } from '../test/support/cli.js';
import { kmsEnv } from '../test/support/kms-server.js';
import { token } from '../test/support/plugin-package-suite.js';
import {
  answersOf,
  packageRuntimeService,
  roleStatements,
  type RuntimeService,
} from '../test/support/runtime-mode-suite.js';
import { FRAMEWORKS } from '../test/support/sls-service.js';
import { startStoreClient } from '../test/support/store-client.js';
import { passThroughProxy, startMoto, type Moto } from './support/moto.js';

const PROCESSES = 20;

interface Call {
  target: string;
  status: number;
  /** request body, kept only for calls that carry version ids and no entry */
  body?: Record<string, unknown>;
}

interface Recorder {
  url: string;
  calls: Call[];
  close(): Promise<void>;
}

/** A pass-through proxy in front of moto that records each call's X-Amz-Target and answer status. */
async function recorder(moto: Moto): Promise<Recorder> {
  const calls: Call[] = [];
  const proxy = await passThroughProxy(moto, {
    answered(req, body, answer) {
      const target = String(req.headers['x-amz-target'] ?? '').replace(/^.*\./, '');
      calls.push({
        target,
        status: answer.statusCode ?? 0,
        ...(target === 'UpdateSecretVersionStage' ? { body: JSON.parse(body.toString('utf8')) } : {}),
      });
    },
  });
  return { ...proxy, calls };
}

let moto: Moto;
let proxy: Recorder;
let sdkConfig: { region: string; endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } };
/** every plaintext value any test wrote, and every output: no value may appear in one */
const written = new Set<string>();
const outputs: string[] = [];

beforeAll(async () => {
  moto = await startMoto();
  proxy = await recorder(moto);
  sdkConfig = {
    region: 'us-east-1',
    endpoint: moto.url,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
});

afterAll(async () => {
  // nothing moto holds is plaintext, and no output showed a value
  const held = await everythingHeld();
  expect(held.length).toBeGreaterThan(PROCESSES * 2);
  for (const value of written) {
    expect(value.length, `test value ${value} is too short to search for`).toBeGreaterThanOrEqual(9);
    for (const text of [...held, ...outputs]) expect(text.includes(value), `plaintext ${value}`).toBe(false);
  }
  await proxy?.close();
  await moto?.stop();
});

/** Every parameter and every version of every secret in moto. */
async function everythingHeld(): Promise<string[]> {
  const ssm = new SSMClient(sdkConfig);
  const sm = new SecretsManagerClient(sdkConfig);
  const texts: string[] = [];
  let token: string | undefined;
  do {
    const out = await ssm.send(new GetParametersByPathCommand({ Path: '/', Recursive: true, NextToken: token }));
    for (const p of out.Parameters ?? []) texts.push(p.Value ?? '');
    token = out.NextToken;
  } while (token);
  for (const secret of (await sm.send(new ListSecretsCommand({}))).SecretList ?? []) {
    const versions = await sm.send(new ListSecretVersionIdsCommand({ SecretId: secret.Name, IncludeDeprecated: true }));
    for (const v of versions.Versions ?? []) {
      const out = await sm.send(new GetSecretValueCommand({ SecretId: secret.Name, VersionId: v.VersionId }));
      texts.push(out.SecretString ?? '');
    }
  }
  ssm.destroy();
  sm.destroy();
  return texts;
}

const BACKENDS = [
  { scheme: 'ssm', store: 'ssm://team/runtime', sdk: '@aws-sdk/client-ssm' },
  { scheme: 'secretsmanager', store: 'secretsmanager://team/runtime', sdk: '@aws-sdk/client-secrets-manager' },
] as const;

describe.each(BACKENDS)('runtime store $store against moto', ({ scheme, store, sdk }) => {
  let ws: Workspace;
  let storeEnv: NodeJS.ProcessEnv;

  function client(env: NodeJS.ProcessEnv = storeEnv): SecretClient {
    return new SecretClient({ stage: 'dev', cwd: ws.dir, env });
  }

  async function cli(args: string[], input?: string, env: NodeJS.ProcessEnv = {}) {
    const r = await ws.run(args, { input, env: { ...storeEnv, ...env } });
    outputs.push(r.stdout, r.stderr);
    return r;
  }

  async function cliSet(key: string, value: string, type = 'string'): Promise<void> {
    written.add(value);
    const r = await cli(['set', '--stage', 'dev', key, '--type', type], value);
    expect(r.code, r.stderr).toBe(0);
  }

  function startChild(args: string[], barrier: boolean, env: NodeJS.ProcessEnv = {}) {
    return startStoreClient(args, {
      cwd: ws.dir,
      env: { ...storeEnv, ...env, STAGE: 'dev', STORE_SDK: sdk },
      barrier,
      killAfterMs: 50_000,
      // a read prints the value it read, by design
      onClose: (out, err) => args[0] === 'update' && outputs.push(out, err),
    });
  }

  const runChild = (args: string[]) => startChild(args, false).done;
  const callsOf = (target: string, from = 0) => proxy.calls.slice(from).filter((c) => c.target === target);

  beforeAll(async () => {
    ws = makeWorkspace('shop');
    storeEnv = {
      ...ws.env,
      STAGE_SECRETS_STORE: store,
      ...moto.env,
      AWS_ENDPOINT_URL: proxy.url,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const init = await cli(['init', '--stage', 'dev', '--local']);
    expect(init.code, init.stderr).toBe(0);
    await cliSet('COLOR', `colour-red-${scheme}-1f3a`);
    await cliSet('RATE', '731946285', 'number');
    await cliSet('SHARED', `shared-start-${scheme}-value`);
  });

  afterAll(() => ws?.cleanup());

  it("one process's update is read by another, sealed in the store, the stage file untouched", async () => {
    const value = `colour-green-${scheme}-7c2e`;
    written.add(value);
    const from = proxy.calls.length;
    expect(await runChild(['update', 'COLOR', value])).toMatchObject({ ok: true, used: ['COLOR'] });
    expect(await runChild(['read', 'COLOR'])).toEqual({ ok: true, value });
    expect(await client().readSecret('COLOR', { useCache: false })).toBe(value);
    expect(ws.snapshot('dev')).not.toContain(value);
    if (scheme === 'ssm') {
      // the first write creates number 1, without Overwrite
      expect(callsOf('PutParameter', from).map((c) => c.status)).toEqual([200]);
      const ssm = new SSMClient(sdkConfig);
      const out = await ssm.send(new GetParametersByPathCommand({ Path: '/team/runtime/shop/dev/COLOR' }));
      expect(out.Parameters?.map((p) => p.Name)).toEqual(['/team/runtime/shop/dev/COLOR/1']);
      expect(JSON.parse(out.Parameters![0]!.Value!)).toMatchObject({ type: 'string', ct: expect.any(String) });
      ssm.destroy();
    } else {
      expect(callsOf('CreateSecret', from).map((c) => c.status)).toEqual([200]);
      const sm = new SecretsManagerClient(sdkConfig);
      const out = await sm.send(new GetSecretValueCommand({ SecretId: 'team/runtime/shop/dev/COLOR' }));
      expect(JSON.parse(out.SecretString!)).toMatchObject({ type: 'string', ct: expect.any(String) });
      sm.destroy();
    }

    // a second update replaces the version read: a new number, or AWSCURRENT moved from the version read
    const next = `colour-blue-${scheme}-5d9b`;
    written.add(next);
    const before = proxy.calls.length;
    await client().updateSecret({ key: 'COLOR', value: next });
    expect(await runChild(['read', 'COLOR'])).toEqual({ ok: true, value: next });
    if (scheme === 'ssm') {
      expect(callsOf('PutParameter', before).map((c) => c.status)).toEqual([200]);
    } else {
      const moves = callsOf('UpdateSecretVersionStage', before);
      expect(moves.map((c) => c.status)).toEqual([200]);
      expect(moves[0]!.body).toMatchObject({ VersionStage: 'AWSCURRENT', RemoveFromVersionId: expect.any(String) });
    }
  });

  it('keeps types: a number update reads back as a number in another process', async () => {
    written.add('864209753');
    await client().updateSecret({ key: 'RATE', value: 864209753 });
    expect(await runChild(['read', 'RATE'])).toEqual({ ok: true, value: 864209753 });
  });

  it(`${PROCESSES} processes updating one name at once: every update lands, none is lost, conflicts counted`, async () => {
    const values = Array.from({ length: PROCESSES }, (_, i) => `refreshed-${scheme}-${i}-${'x'.repeat(8)}`);
    values.forEach((v) => written.add(v));
    // enough attempts that every update lands (the S3 test shows the LOCKED rejection at the default 10)
    const children = values.map((v) =>
      startChild(['update', 'SHARED', v], true, { STAGE_SECRETS_STORE_MAX_ATTEMPTS: '50' }),
    );
    await Promise.all(children.map((c) => c.ready));
    const from = proxy.calls.length;
    const started = performance.now();
    for (const c of children) c.go();
    const outcomes = await Promise.all(children.map((c) => c.done));
    const wall = performance.now() - started;

    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    let conflicts: number;
    if (scheme === 'ssm') {
      const puts = callsOf('PutParameter', from);
      // one landed create per update; every other answer is ParameterAlreadyExists (400)
      expect(puts.filter((c) => c.status === 200)).toHaveLength(PROCESSES);
      expect(puts.filter((c) => c.status !== 200).every((c) => c.status === 400)).toBe(true);
      conflicts = puts.length - PROCESSES;
      // none lost: exactly the numbers 1..20, each dated after the one before (each built on the one before)
      const ssm = new SSMClient(sdkConfig);
      const versions: Array<{ n: number; updated: string }> = [];
      let token: string | undefined;
      do {
        const out = await ssm.send(
          new GetParametersByPathCommand({ Path: '/team/runtime/shop/dev/SHARED', NextToken: token }),
        );
        for (const p of out.Parameters ?? [])
          versions.push({ n: Number(p.Name!.split('/').at(-1)), updated: JSON.parse(p.Value!).updated });
        token = out.NextToken;
      } while (token);
      ssm.destroy();
      versions.sort((a, b) => a.n - b.n);
      expect(versions.map((v) => v.n)).toEqual(Array.from({ length: PROCESSES }, (_, i) => i + 1));
      for (let i = 1; i < versions.length; i++)
        expect(Date.parse(versions[i]!.updated)).toBeGreaterThan(Date.parse(versions[i - 1]!.updated));
    } else {
      const creates = callsOf('CreateSecret', from);
      const moves = callsOf('UpdateSecretVersionStage', from);
      expect(creates.filter((c) => c.status === 200)).toHaveLength(1);
      const landed = moves.filter((c) => c.status === 200);
      expect(landed).toHaveLength(PROCESSES - 1);
      expect(moves.filter((c) => c.status !== 200).every((c) => c.status === 400)).toBe(true);
      conflicts = creates.length - 1 + moves.length - landed.length;
      // none lost: the AWSCURRENT moves form one chain, each from the version the one before moved it to
      const from_ = landed.map((c) => c.body!.RemoveFromVersionId as string);
      const to = landed.map((c) => c.body!.MoveToVersionId as string);
      expect(new Set(from_).size).toBe(landed.length);
      let current = from_.find((v) => !to.includes(v));
      expect(current).toBeDefined();
      const chain = [current];
      for (;;) {
        const i = from_.indexOf(current!);
        if (i < 0) break;
        current = to[i];
        chain.push(current);
      }
      expect(chain).toHaveLength(PROCESSES);
      const sm = new SecretsManagerClient(sdkConfig);
      const versions = await sm.send(
        new ListSecretVersionIdsCommand({ SecretId: 'team/runtime/shop/dev/SHARED', IncludeDeprecated: true }),
      );
      const currents = (versions.Versions ?? []).filter((v) => v.VersionStages?.includes('AWSCURRENT'));
      expect(
        currents.map((v) => v.VersionId),
        JSON.stringify({
          chain,
          landed: landed.map((c) => c.body),
          versions: versions.Versions?.map((v) => [v.VersionId, v.VersionStages]),
        }),
      ).toEqual([chain.at(-1)]);
      sm.destroy();
    }
    const final = await client().readSecret('SHARED', { useCache: false });
    expect(values).toContain(final);
    console.log(
      `${store}: ${PROCESSES} processes on one name: ${PROCESSES} updates landed, ${conflicts} conflicts (each retried), ${(wall / 1000).toFixed(1)} s wall`,
    );
  });

  it('only names the stage file has, and approved, can be updated: unknown and pending names reject, nothing written', async () => {
    const from = proxy.calls.length;
    const unknown = await client()
      .updateSecret({ key: 'NOT_THERE', value: 'never-written-1' })
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(SecretError);
    expect(unknown).toMatchObject({ code: 'NOT_FOUND', key: 'NOT_THERE' });

    written.add(`pending-value-${scheme}`);
    const r = await cli(['set', '--stage', 'dev', 'NEWCOMER'], `pending-value-${scheme}`, {
      XDG_CONFIG_HOME: path.join(ws.dir, '..', 'no-keys'),
    });
    expect(r.code, r.stderr).toBe(0);
    written.add(`pending-update-${scheme}`);
    const pending = await client()
      .updateSecret({ key: 'NEWCOMER', value: `pending-update-${scheme}` })
      .catch((e: unknown) => e);
    expect(pending).toMatchObject({ name: 'SecretError', code: 'UNAPPROVED', key: 'NEWCOMER' });
    const writes = ['PutParameter', 'CreateSecret', 'PutSecretValue', 'UpdateSecretVersionStage'];
    expect(proxy.calls.slice(from).filter((c) => writes.includes(c.target))).toEqual([]);
    expect(await cli(['approve', '--stage', 'dev', 'NEWCOMER'])).toMatchObject({ code: 0 });
  });

  it('list --store marks the names whose store value is newer; pull copies them into the stage file', async () => {
    const listed = await cli(['list', '--stage', 'dev', '--store', store, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const rows = JSON.parse(listed.stdout) as Array<{ name: string; storeNewer?: boolean }>;
    expect(rows.filter((r) => r.storeNewer).map((r) => r.name)).toEqual(['COLOR', 'RATE', 'SHARED']);

    const pulled = await cli(['pull', '--stage', 'dev', '--store', store, '--json']);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(JSON.parse(pulled.stdout)).toMatchObject({ store, updated: ['COLOR', 'RATE', 'SHARED'] });
    // the stage file now opens to the store's values, without the store
    const run = await cli(
      [
        'run',
        '--stage',
        'dev',
        '--',
        process.execPath,
        '-e',
        'process.exit(process.env.COLOR === process.argv[1] ? 0 : 3)',
        `colour-blue-${scheme}-5d9b`,
      ],
      undefined,
      { STAGE_SECRETS_STORE: '' },
    );
    expect(run.code, run.stderr).toBe(0);
    const again = await cli(['pull', '--stage', 'dev', '--store', store, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ updated: [] });
  });

  it('an unreachable store: IO for updates and reads, naming the store, nothing written', async () => {
    const from = proxy.calls.length;
    const env = { ...storeEnv, AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' };
    const update = await client(env)
      .updateSecret({ key: 'COLOR', value: 'never-reached-1' })
      .catch((e: unknown) => e);
    expect(update).toMatchObject({ name: 'SecretError', code: 'IO', key: 'COLOR' });
    expect((update as Error).message).toMatch(
      new RegExp(
        `runtime store ${store.replace(/\//g, '\\/')} could not be reached.*ECONNREFUSED.*Nothing was written`,
      ),
    );
    const read = await client(env)
      .readSecret('COLOR')
      .catch((e: unknown) => e);
    expect(read).toMatchObject({ code: 'IO', key: 'COLOR' });
    expect(proxy.calls.slice(from)).toEqual([]);
  });

  it('a foreign value in the store fails closed, naming the secret and where it is, never its content', async () => {
    const foreign = '{"type":"string","updated":"2030-01-01T00:00:00Z","note":"sneaky-content"}';
    if (scheme === 'ssm') {
      const ssm = new SSMClient(sdkConfig);
      await ssm.send(
        new PutParameterCommand({ Name: '/team/runtime/shop/dev/COLOR/900', Value: foreign, Type: 'String' }),
      );
      ssm.destroy();
    } else {
      // made current by moving AWSCURRENT (a bare PutSecretValue would do that on AWS; moto 5.2.1 then leaves
      // the label on two versions, as its idea of the current version is not moved by UpdateSecretVersionStage)
      const sm = new SecretsManagerClient(sdkConfig);
      const SecretId = 'team/runtime/shop/dev/COLOR';
      const versions = await sm.send(new ListSecretVersionIdsCommand({ SecretId }));
      const current = versions.Versions!.find((v) => v.VersionStages?.includes('AWSCURRENT'))!.VersionId;
      const added = await sm.send(new PutSecretValueCommand({ SecretId, SecretString: foreign, VersionStages: ['X'] }));
      await sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: added.VersionId,
          RemoveFromVersionId: current,
        }),
      );
      sm.destroy();
    }
    const bad = await client()
      .readSecret('RATE', { useCache: false })
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({ name: 'SecretError', code: 'FORMAT' });
    const where =
      scheme === 'ssm' ? 'ssm://team/runtime/shop/dev/COLOR' : 'secretsmanager://team/runtime/shop/dev/COLOR';
    expect((bad as Error).message).toContain(`object for COLOR (${where}) is not a sealed entry`);
    expect((bad as Error).message).not.toContain('sneaky');
    // an update does not build on it either
    const refused = await client()
      .updateSecret({ key: 'COLOR', value: 'never-written-2' })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'FORMAT', key: 'COLOR' });
  });
});

describe('ssm:// specifics', () => {
  it('an entry over 4 KB is written in the advanced tier; over 8 KB is refused naming the name and the limit, nothing written', async () => {
    const ws = makeWorkspace('big');
    const env: NodeJS.ProcessEnv = {
      ...ws.env,
      ...moto.env,
      AWS_ENDPOINT_URL: proxy.url,
      STAGE_SECRETS_STORE: 'ssm://team/big',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    try {
      expect((await ws.run(['init', '--stage', 'dev', '--local'])).code).toBe(0);
      expect((await ws.run(['set', '--stage', 'dev', 'CERT'], { input: 'start-value-0001' })).code).toBe(0);
      const c = new SecretClient({ stage: 'dev', cwd: ws.dir, env });
      const medium = `medium-${'m'.repeat(3000)}`;
      written.add(medium);
      await c.updateSecret({ key: 'CERT', value: medium });
      const ssm = new SSMClient(sdkConfig);
      const described = await ssm.send(
        new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: ['/team/big/big/dev/CERT/1'] }] }),
      );
      expect(described.Parameters?.map((p) => p.Tier)).toEqual(['Advanced']);

      const large = `large-${'l'.repeat(7000)}`;
      written.add(large);
      const from = proxy.calls.length;
      const refused = await c.updateSecret({ key: 'CERT', value: large }).catch((e: unknown) => e);
      expect(refused).toMatchObject({ name: 'SecretError', code: 'INVALID_VALUE', key: 'CERT' });
      expect((refused as Error).message).toMatch(
        /CERT is too large for the SSM runtime store.*at most 8192 bytes.*Nothing was written/,
      );
      expect(callsOf('PutParameter', from)).toEqual([]);
      const after = await ssm.send(new GetParametersByPathCommand({ Path: '/team/big/big/dev/CERT' }));
      expect(after.Parameters?.map((p) => p.Name)).toEqual(['/team/big/big/dev/CERT/1']);
      expect(await c.readSecret('CERT', { useCache: false })).toBe(medium);
      ssm.destroy();
    } finally {
      ws.cleanup();
    }
  });

  function callsOf(target: string, from: number) {
    return proxy.calls.slice(from).filter((c) => c.target === target);
  }

  it('prunes numbers made long enough before the one it created; a create that returns after the window is a conflict', async () => {
    const { ssmObjectStore, parseSsmUrl } = (await import(
      path.join(REPO_ROOT, 'dist/src/runtime-store/ssm-store.js')
    )) as typeof import('../src/runtime-store/ssm-store.js');
    const env = { ...moto.env, AWS_ENDPOINT_URL: moto.url };
    const location = parseSsmUrl('ssm://prune', 'test');
    const key = 'prune/app/dev/TOKEN.json';
    let clock = 0;
    const objects = ssmObjectStore(location, env, { pruneAgeMs: 0, writeWindowMs: 60_000, monotonic: () => clock });
    expect(await objects.get(key)).toBeUndefined();
    expect(await objects.put(key, '{"v":1}', { ifNoneMatch: '*' })).toEqual({ etag: '1' });
    expect(await objects.put(key, '{"v":2}', { ifMatch: '1' })).toEqual({ etag: '2' });
    // a stale write: number 2 exists
    expect(await objects.put(key, '{"v":2b}', { ifMatch: '1' })).toBe('conflict');
    expect(await objects.get(key)).toMatchObject({ etag: '2', text: '{"v":2}' });
    expect(await objects.put(key, '{"v":3}', { ifMatch: '2' })).toEqual({ etag: '3' });
    const ssm = new SSMClient(sdkConfig);
    const names = async () =>
      ((await ssm.send(new GetParametersByPathCommand({ Path: '/prune/app/dev/TOKEN' }))).Parameters ?? []).map(
        (p) => p.Name,
      );
    // every number below the one created was made at least 0 ms before it: all pruned, the newest kept
    expect(await names()).toEqual(['/prune/app/dev/TOKEN/3']);

    // with the real 15 minutes nothing this young is pruned
    const keeping = ssmObjectStore(location, env, {
      pruneAgeMs: 15 * 60_000,
      writeWindowMs: 60_000,
      monotonic: () => clock,
    });
    expect(await keeping.get(key)).toMatchObject({ etag: '3' });
    expect(await keeping.put(key, '{"v":4}', { ifMatch: '3' })).toEqual({ etag: '4' });
    expect(await names()).toEqual(['/prune/app/dev/TOKEN/3', '/prune/app/dev/TOKEN/4']);

    // the create lands, but returns after the window: reported as a conflict, so the caller writes again
    const slow = ssmObjectStore(location, env, {
      pruneAgeMs: 15 * 60_000,
      writeWindowMs: 60_000,
      monotonic: () => (clock += 70_000),
    });
    expect(await slow.get(key)).toMatchObject({ etag: '4' });
    expect(await slow.put(key, '{"v":5}', { ifMatch: '4' })).toBe('conflict');
    expect(await slow.get(key)).toMatchObject({ etag: '5', text: '{"v":5}' });
    ssm.destroy();
  });
});

/*
 * Runtime mode with each AWS store: fixtures/sls-runtime-store packaged by serverless v3 and serverless-esbuild
 * with `custom.stageSecrets.store` set to the backend, the role's statements read from the template, and the
 * packaged function invoked the way Lambda's Node.js runtime does (its SDK from the runtime's NODE_PATH), its
 * updates landing in moto through the store.
 */
describe.each([
  {
    store: 'ssm://team',
    action: 'ssm:',
    grant: [
      {
        Effect: 'Allow',
        Action: ['ssm:GetParametersByPath'],
        Resource: [
          {
            'Fn::Sub':
              'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/team/runtime-store-svc/dev',
          },
          {
            'Fn::Sub':
              'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/team/runtime-store-svc/dev/*',
          },
        ],
      },
      {
        Effect: 'Allow',
        Action: ['ssm:PutParameter', 'ssm:DeleteParameters'],
        Resource: {
          'Fn::Sub':
            'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/team/runtime-store-svc/dev/*',
        },
      },
    ],
  },
  {
    store: 'secretsmanager://team',
    action: 'secretsmanager:',
    grant: [
      {
        Effect: 'Allow',
        Action: [
          'secretsmanager:GetSecretValue',
          'secretsmanager:CreateSecret',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        Resource: {
          'Fn::Sub':
            'arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:team/runtime-store-svc/dev/*',
        },
      },
      { Effect: 'Allow', Action: ['secretsmanager:ListSecrets'], Resource: '*' },
    ],
  },
])(
  'runtime mode with custom.stageSecrets.store: $store (serverless v3, serverless-esbuild)',
  ({ store, action, grant }) => {
    let rt: RuntimeService;
    const values: Record<string, string> = {};

    beforeAll(async () => {
      Object.assign(values, { API_KEY: token('api'), RATE: '1234567890', DB_PASSWORD: token('db') });
      rt = await packageRuntimeService(FRAMEWORKS.find((f) => f.name === 'serverless')!, 'sls-runtime-store', {
        stage: 'dev',
        secrets: { ...values },
        modules: ['serverless-esbuild', 'esbuild'],
        edit: (yml) => yml.replace('store: s3://runtime-secrets/team', `store: ${store}`),
      });
    }, 240_000);
    afterAll(async () => rt?.cleanup());

    it("grants the role the store's actions on dev's folder only, and says so", () => {
      expect(roleStatements(rt.template, action)).toEqual(grant);
      expect(roleStatements(rt.template, 's3:')).toEqual([]);
      expect(rt.result.output).toContain(`may read and update ${store}/runtime-store-svc/dev/`);
    });

    it('the packaged function updates secrets through the store and reads them back; another cold instance sees them', async () => {
      values.API_KEY_NEW = token('api-new');
      const aws = kmsEnv(rt.kms, {
        ...moto.env,
        AWS_ENDPOINT_URL_SSM: moto.url,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: moto.url,
      });
      const [update, fresh, rate] = answersOf<{ ok: boolean; value?: string; type?: string; env?: string }>(
        await rt.invoke(
          'rotate',
          [
            { op: 'update', key: 'API_KEY', value: values.API_KEY_NEW },
            { op: 'read', key: 'API_KEY', useCache: false },
            { op: 'update', key: 'RATE', value: 42 },
          ],
          aws,
        ),
        values,
      );
      const newDigest = createHash('sha256').update(values.API_KEY_NEW).digest('hex');
      expect(update).toMatchObject({ ok: true, value: newDigest });
      expect(fresh).toMatchObject({ ok: true, value: newDigest });
      expect(rate).toMatchObject({ ok: true, type: 'number' });
      const [other] = answersOf<{ ok: boolean; value?: string }>(
        await rt.invoke('rotate', [{ op: 'read', key: 'API_KEY' }], aws),
        values,
      );
      expect(other).toMatchObject({ ok: true, value: newDigest });
      // in the store, one entry per name updated, sealed
      let names: string[];
      if (store.startsWith('ssm')) {
        const ssm = new SSMClient(sdkConfig);
        const out = await ssm.send(
          new GetParametersByPathCommand({ Path: '/team/runtime-store-svc/dev', Recursive: true }),
        );
        names = (out.Parameters ?? []).map((p) => p.Name!);
        ssm.destroy();
      } else {
        const sm = new SecretsManagerClient(sdkConfig);
        const out = await sm.send(
          new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['team/runtime-store-svc/'] }] }),
        );
        names = (out.SecretList ?? []).map((x) => x.Name!);
        sm.destroy();
      }
      expect(names.sort()).toEqual(
        store.startsWith('ssm')
          ? ['/team/runtime-store-svc/dev/API_KEY/1', '/team/runtime-store-svc/dev/RATE/1']
          : ['team/runtime-store-svc/dev/API_KEY', 'team/runtime-store-svc/dev/RATE'],
      );
      const held = (await everythingHeld()).join('\n');
      for (const value of Object.values(values)) expect(held.includes(value)).toBe(false);
    });
  },
);
