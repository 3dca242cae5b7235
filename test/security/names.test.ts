import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restoreStage, snapshotStage, writeStageDoc } from '../support/stage-files.js';
import { exitCodeOf } from '../../src/core/exit-codes.js';
import { StageSecretsError } from '../../src/core/errors.js';
import { setLogger } from '../../src/core/log.js';
import {
  BUILD_HIJACK_NAMES,
  KEY_NAME_PATTERN,
  LAMBDA_RESERVED_NAMES,
  RESERVED_PREFIXES,
} from '../../src/core/names.js';
import { initStage } from '../../src/stages/init.js';
import { Stage } from '../../src/stages/stage.js';
import type { StageOptions } from '../../src/stages/options.js';
import { setSecrets } from '../../src/stages/secrets.js';
import {
  CANARY,
  expectNoCanary,
  expectNoCrash,
  readStageText,
  secureWorkspace,
  type SecureWorkspace,
} from './support.js';

/** Every refused name, plus a name under each refused prefix, each in three letter cases. */
function refusedNames(): string[] {
  const base = [...LAMBDA_RESERVED_NAMES, ...BUILD_HIJACK_NAMES, ...RESERVED_PREFIXES.map((p) => `${p}X1`)];
  const mixed = (n: string) => [...n].map((c, i) => (i % 2 ? c.toLowerCase() : c.toUpperCase())).join('');
  return [...new Set(base.flatMap((n) => [n, n.toLowerCase(), mixed(n)]))];
}

/** A stage holding GOOD (the canary), made in process for the duration of one describe block. */
function stageWithOneSecret(): { opts: StageOptions; file: string } {
  const stage = { opts: undefined as unknown as StageOptions, file: '' };
  let root = '';
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-names-'));
    stage.opts = { stage: 'dev', app: 'names-app', cwd: root, env: { XDG_CONFIG_HOME: path.join(root, 'config') } };
    setLogger({ warn: () => undefined, notice: () => undefined });
    await initStage(stage.opts, [{ type: 'local' }]);
    await setSecrets(stage.opts, [{ name: 'GOOD', type: 'string', value: CANARY }]);
    stage.file = path.join(root, 'secrets', 'dev.json');
  });
  afterAll(() => {
    setLogger(undefined);
    fs.rmSync(root, { recursive: true, force: true });
  });
  return stage;
}

describe('the whole reserved and build-hijacking list (in process, through the stage operations)', () => {
  const stage = stageWithOneSecret();

  it('set refuses every one, in any letter case, and writes nothing', async () => {
    const before = fs.readFileSync(stage.file, 'utf8');
    const names = refusedNames();
    expect(names.length).toBeGreaterThan(200);
    for (const name of names) {
      const err = await setSecrets(stage.opts, [{ name, type: 'string', value: CANARY }]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, name).toBeInstanceOf(StageSecretsError);
      expect((err as StageSecretsError).code, name).toBe('INVALID_NAME');
      expect(exitCodeOf((err as StageSecretsError).code)).toBe(1);
      expectNoCanary((err as Error).message, name);
    }
    // all or nothing: one refused name in a batch of good ones writes none of them
    await expect(
      setSecrets(stage.opts, [
        { name: 'FINE_1', type: 'string', value: 'a' },
        { name: 'node_options', type: 'string', value: 'b' },
      ]),
    ).rejects.toThrow(/node_options/);
    expect(fs.readFileSync(stage.file, 'utf8')).toBe(before);
  });

  it('open refuses a file that holds any of them (a hand edit or a pull request), naming each with the rm to run', async () => {
    const good = snapshotStage(path.dirname(stage.file), 'dev');
    const doc = JSON.parse(good);
    const slipped = refusedNames().filter((n) => KEY_NAME_PATTERN.test(n) && n === n.toUpperCase());
    for (const name of slipped) doc.secrets[name] = doc.secrets.GOOD;
    writeStageDoc(path.dirname(stage.file), 'dev', doc);
    try {
      const err = await Stage.find(stage.opts)
        .open()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(StageSecretsError);
      expect((err as StageSecretsError).code).toBe('FORMAT');
      for (const name of slipped) expect((err as Error).message).toContain(`stage-secrets rm --stage dev ${name}`);
      expectNoCanary((err as Error).message, 'open');
    } finally {
      restoreStage(path.dirname(stage.file), 'dev', good);
    }
  });
});

/**
 * Names an attack review found missing, and a member of each family they belong to: each loads code,
 * swaps a binary or redirects a download or credentials in some build tool.
 */
const REVIEWED_NAMES: readonly string[] = [
  'ESBUILD_BINARY_PATH',
  'ESBUILD_WORKER_THREADS',
  'COREPACK_NPM_REGISTRY',
  'COREPACK_HOME',
  'CGO_LDFLAGS',
  'CGO_CFLAGS',
  'PHPRC',
  'PHP_INI_SCAN_DIR',
  'LUA_INIT',
  'LUA_INIT_5_4',
  'LUA_PATH',
  'LUA_CPATH_5_4',
  'ERL_AFLAGS',
  'ERL_ZFLAGS',
  'ERL_LIBS',
  'ELIXIR_ERL_OPTIONS',
  'MIX_EXS',
  'CORECLR_PROFILER_PATH',
  'CORECLR_ENABLE_PROFILING',
  'COR_PROFILER_PATH',
  'COMPLUS_ENABLEDIAGNOSTICS',
  'DOTNET_STARTUP_HOOKS',
  'TF_CLI_ARGS',
  'TF_CLI_ARGS_PLAN',
  'TF_CLI_CONFIG_FILE',
  'TF_DATA_DIR',
  'TF_PLUGIN_CACHE_DIR',
  'TF_REATTACH_PROVIDERS',
  'GRADLE_USER_HOME',
  'GRADLE_OPTS',
  'MAVEN_ARGS',
  'JAVA_HOME',
  'NODE_REDIRECT_WARNINGS',
  'NODE_CHANNEL_FD',
  'NODE_COMPILE_CACHE',
  'NODE_V8_COVERAGE',
  'NODE_ICU_DATA',
  'NODE_USE_ENV_PROXY',
  'PRISMA_QUERY_ENGINE_BINARY',
  'PRISMA_QUERY_ENGINE_LIBRARY',
  'PRISMA_SCHEMA_ENGINE_BINARY',
  'PRISMA_ENGINES_MIRROR',
  'CLOUDSDK_PYTHON',
  'CLOUDSDK_CONFIG',
  'CLOUDSDK_CORE_PROJECT',
  'GOOGLE_APPLICATION_CREDENTIALS',
  'SST_KEY',
  'SST_KEY_FILE',
  'SST_RESOURCE_APP',
  'SST_SECRET_VALUE_X',
];

describe('the names an attack review found (in process)', () => {
  const stage = stageWithOneSecret();
  const mixed = (n: string) => [...n].map((c, i) => (i % 2 ? c.toLowerCase() : c.toUpperCase())).join('');
  const threeCases = REVIEWED_NAMES.flatMap((n) => [n, n.toLowerCase(), mixed(n)]);

  it('set refuses each, in three letter cases', async () => {
    for (const name of threeCases) {
      const err = await setSecrets(stage.opts, [{ name, type: 'string', value: CANARY }]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, name).toBeInstanceOf(StageSecretsError);
      expect((err as StageSecretsError).code, name).toBe('INVALID_NAME');
      expect((err as Error).message, name).toMatch(/build-hijacking|reserved|stage-secrets itself/);
      expectNoCanary((err as Error).message, name);
    }
  });

  it('opening a file that holds any of them, in any of three letter cases, is refused naming each', async () => {
    const good = snapshotStage(path.dirname(stage.file), 'dev');
    try {
      for (const spelling of [(n: string) => n, (n: string) => n.toLowerCase(), mixed]) {
        const doc = JSON.parse(good);
        const names = REVIEWED_NAMES.map(spelling);
        for (const name of names) doc.secrets[name] = doc.secrets.GOOD;
        writeStageDoc(path.dirname(stage.file), 'dev', doc);
        const err = await Stage.find(stage.opts)
          .open()
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(err).toBeInstanceOf(StageSecretsError);
        expect((err as StageSecretsError).code).toBe('FORMAT');
        for (const name of names) expect((err as Error).message).toContain(`stage-secrets rm --stage dev ${name}`);
        expectNoCanary((err as Error).message, 'open');
      }
    } finally {
      restoreStage(path.dirname(stage.file), 'dev', good);
    }
  });

  it('ordinary build settings next to those families stay allowed', async () => {
    const allowed = ['NODE_ENV', 'TF_VAR_DB_PASSWORD', 'ORG_GRADLE_PROJECT_SIGNINGKEY', 'MAVEN_PASSWORD', 'ESBUILDER'];
    allowed.push('SSTABLE', 'CORRELATION_ID', 'ERLANG_COOKIE_NAME');
    await setSecrets(
      stage.opts,
      allowed.map((name) => ({ name, type: 'string' as const, value: 'some-value' })),
    );
    const opened = await Stage.find(stage.opts).open();
    expect([...opened.decryptAll().keys()]).toEqual(expect.arrayContaining(allowed));
  });
});

describe('names through the CLI process', () => {
  let ws: SecureWorkspace;
  let before: string;
  beforeAll(async () => {
    ws = await secureWorkspace('names-app', [['API_KEY', `${CANARY}-api`]]);
    before = readStageText(ws);
  });
  afterAll(() => ws.cleanup());

  it('a sample of refused names, as set and import would get them: exit 1, named, file unchanged', async () => {
    const sample = [
      ...['path', 'Node_Options', 'LD_PRELOAD', 'aws_region', 'STAGE_SECRETS_KEY_DEV', 'github_env', 'Bash_Func_x'],
      ...['npm_config_registry', 'esbuild_binary_path', 'Sst_Key', 'node_channel_fd'],
    ];
    const results = await Promise.all([
      ...sample.map((name) => ws.run(['set', '--stage', 'dev', name], { input: CANARY })),
      ws.run(['import', '--stage', 'dev', '-'], { input: `FIRST_OK=${CANARY}\nhttps_proxy=http://${CANARY}\n` }),
      ws.run(['set', '--stage', 'dev', '_HANDLER'], { input: CANARY }),
    ]);
    [...sample, 'https_proxy', '_HANDLER'].forEach((name, i) => {
      const r = results[i]!;
      expectNoCrash(r, name);
      expect(r.code, `${name}: ${r.stderr}`).toBe(1);
      expect(r.stderr, name).toMatch(
        name === '_HANDLER' ? /invalid secret name/ : new RegExp(`${name}.*(reserved|build|stage-secrets itself)`),
      );
      expectNoCanary(r.stdout + r.stderr, name);
    });
    expect(readStageText(ws)).toBe(before);
  });

  it('names that differ only in case: refused within an import batch and against the file, exit 1', async () => {
    const [inBatch, againstFile, viaSet] = await Promise.all([
      ws.run(['import', '--stage', 'dev', '-'], { input: `NEW_TOKEN=${CANARY}\nnew_token=${CANARY}\n` }),
      ws.run(['import', '--stage', 'dev', '-'], { input: `OTHER=1\nApi_Key=${CANARY}\n` }),
      ws.run(['set', '--stage', 'dev', 'api_key'], { input: CANARY }),
    ]);
    expect(inBatch!.code).toBe(1);
    expect(inBatch!.stderr).toMatch(/NEW_TOKEN and new_token differ only in case/);
    for (const r of [againstFile!, viaSet!]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/already has API_KEY, which differs from (Api_Key|api_key) only in case/);
    }
    for (const r of [inBatch!, againstFile!, viaSet!]) expectNoCanary(r.stdout + r.stderr, 'case clash');
    expect(readStageText(ws)).toBe(before);
  });

  it('a case-only pair slipped into the file stops every reader of values (exit 2); rm of one spelling repairs it', async () => {
    const doc = JSON.parse(before);
    doc.secrets.api_key = doc.secrets.API_KEY;
    ws.writeStage('dev', doc);
    const childScript = ['--', process.execPath, '-e', "console.log('child started')"];
    const results = await Promise.all([
      ws.run(['verify', '--stage', 'dev']),
      ws.run(['run', '--stage', 'dev', ...childScript]),
      ws.run(['export', '--stage', 'dev', '--format', 'json']),
    ]);
    for (const r of results) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/API_KEY and api_key differ only in case/);
      expect(r.stdout).not.toContain('child started');
      expectNoCanary(r.stdout + r.stderr, 'case pair');
    }
    const rm = await ws.run(['rm', '--stage', 'dev', 'api_key']);
    expect(rm.code, rm.stderr).toBe(0);
    const verify = await ws.run(['verify', '--stage', 'dev']);
    expect(verify.code, verify.stderr).toBe(0);
  });

  it('rm with the wrong letter case is refused and names the spelling the stage has', async () => {
    const r = await ws.run(['rm', '--stage', 'dev', 'Api_Key']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no secret named Api_Key.*API_KEY/);
    expect(readStageText(ws)).toContain('"API_KEY"');
  });
});
