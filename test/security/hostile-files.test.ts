import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateStageKeyPair, Sealer } from '../../src/core/crypto.js';
import { StageSecretsError, type ErrorCode } from '../../src/core/errors.js';
import { parseEntryFile } from '../../src/core/entry-file.js';
import { serializeStageFile, type StageFile } from '../../src/core/format.js';
import { setLogger } from '../../src/core/log.js';
import { initStage } from '../../src/stages/init.js';
import { listSecrets } from '../../src/stages/list.js';
import { Stage } from '../../src/stages/stage.js';
import type { StageOptions } from '../../src/stages/options.js';
import { setSecrets } from '../../src/stages/secrets.js';
import { verifyStage } from '../../src/stages/verify.js';
import { makeWorkspace } from '../support/cli.js';
import {
  readStageDoc,
  readStageFiles,
  type StageFiles,
  stageFilesOf,
  writeStageFiles,
} from '../support/stage-files.js';
import { applyAll, mutationArbitrary, type Donors } from './mutations.js';
import {
  CANARY,
  expectNoCanary,
  expectNoCrash,
  leftovers,
  readStageText,
  secureWorkspace,
  type SecureWorkspace,
} from './support.js';
import { parseStageText } from '../../src/stages/stage-text.js';

const READ_CODES: ErrorCode[] = ['FORMAT', 'INTEGRITY', 'UNSUPPORTED_VERSION', 'APP_MISMATCH', 'KEY_MISSING'];
// INTEGRITY: the key here does not match the file (its publicKey or identities changed), so a writer refuses
const WRITE_CODES: ErrorCode[] = ['FORMAT', 'INTEGRITY', 'UNSUPPORTED_VERSION', 'APP_MISMATCH'];

/** Runs `work`; a thrown StageSecretsError with an expected code is an outcome, anything else a crash. */
async function outcome<T>(
  what: string,
  codes: ErrorCode[],
  work: () => Promise<T> | T,
): Promise<{ value?: T; error?: StageSecretsError }> {
  try {
    return { value: await work() };
  } catch (err) {
    if (!(err instanceof StageSecretsError))
      throw new Error(`${what} crashed: ${(err as Error)?.stack ?? String(err)}`);
    expect(codes, `${what}: unexpected ${err.code}: ${err.message}`).toContain(err.code);
    return { error: err };
  }
}

/**
 * X25519 public keys of small order, as 32-byte little-endian encodings: 0, 1, the two points of order 8,
 * p-1, p and p+1, each also with the unused top bit set. ECDH with any of them gives an all-zero secret.
 */
const LOW_ORDER_POINTS: Buffer[] = (() => {
  const p = 2n ** 255n - 19n;
  const points = [
    0n,
    1n,
    325606250916557431795983626356110631294008115727848805560023387167927233504n,
    39382357235489614581723060781553021112529911719440698176882885853963445705823n,
    p - 1n,
    p,
    p + 1n,
  ];
  const le = (n: bigint) => Buffer.from(Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn)));
  return [...points, ...points.map((n) => n + 2n ** 255n)].map(le);
})();

describe('low-order stage public keys', () => {
  it('sealing to one is refused with INTEGRITY, whatever Node does with it', () => {
    for (const point of LOW_ORDER_POINTS) {
      let error: unknown;
      try {
        new Sealer(point);
      } catch (err) {
        error = err;
      }
      expect(error, point.toString('hex')).toBeInstanceOf(StageSecretsError);
      expect((error as StageSecretsError).code).toBe('INTEGRITY');
    }
    expect(() => new Sealer(generateStageKeyPair().publicKey)).not.toThrow();
  });
});

describe('hostile stage files, in process (fuzz over mutations of a valid file)', () => {
  let root: string;
  let opts: StageOptions;
  let secretsDir: string;
  /** the stage as one text (header fields plus `secrets`), what the field-level mutations edit */
  let good: string;
  let goodFiles: StageFiles;
  let donors: Donors;
  const expected = new Map<string, string>();
  const logged: string[] = [];

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-fuzz-'));
    // One config home for all three stages: the keys of the other stage and app are present, so a copied
    // identity is stopped by what it is bound to, not merely by a missing key.
    const env = { XDG_CONFIG_HOME: path.join(root, 'config') };
    setLogger({ warn: (m) => logged.push(m), notice: (m) => logged.push(m) });
    opts = { stage: 'dev', app: 'fuzz-app', cwd: path.join(root, 'app'), env };
    const values: Array<[string, 'string' | 'number' | 'json', string]> = [
      ['CANARY_TOKEN', 'string', CANARY],
      ['PORT', 'number', '8080'],
      ['CONFIG', 'json', '{"region":"eu","retries":3}'],
      ['API_KEY', 'string', `${CANARY}-api`],
      ['EMPTYISH', 'string', ' '],
    ];
    await initStage(opts, [{ type: 'local' }]);
    await setSecrets(
      opts,
      values.map(([name, type, value]) => ({ name, type, value })),
    );
    await setSecrets(opts, [{ name: 'LATER', type: 'string', value: `${CANARY}-later` }]); // a second ephemeral key
    for (const [name, , value] of values) expected.set(name, value);
    expected.set('LATER', `${CANARY}-later`);
    secretsDir = path.join(opts.cwd!, 'secrets');
    good = JSON.stringify(readStageDoc(secretsDir, 'dev'), null, 2);
    goodFiles = readStageFiles(secretsDir, 'dev');
    expect(Object.keys(goodFiles)).toHaveLength(1 + expected.size); // v3: the header and one file per secret

    const prod: StageOptions = { ...opts, stage: 'prod' };
    await initStage(prod, [{ type: 'local' }]);
    await setSecrets(
      prod,
      values.map(([name, type]) => ({
        name,
        type,
        value: type === 'string' ? `${CANARY}-prod` : type === 'number' ? '9' : '[1]',
      })),
    );
    const other: StageOptions = { ...opts, app: 'other-app', cwd: path.join(root, 'other') };
    await initStage(other, [{ type: 'local' }]);
    await setSecrets(
      other,
      values.map(([name, type]) => ({
        name,
        type,
        value: type === 'string' ? `${CANARY}-other` : type === 'number' ? '7' : '{}',
      })),
    );
    donors = {
      otherStage: readStageDoc(path.join(prod.cwd!, 'secrets'), 'prod'),
      otherApp: readStageDoc(path.join(other.cwd!, 'secrets'), 'dev'),
    };
  });

  afterAll(() => {
    setLogger(undefined);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('the unmutated file opens with every value (the baseline the fuzz compares against)', async () => {
    const opened = await Stage.find(opts).open();
    const all = opened.decryptAll();
    expect(new Map([...all].map(([n, v]) => [n, v.text]))).toEqual(
      new Map([...expected].map(([n, v]) => [n, n === 'CONFIG' ? JSON.stringify(JSON.parse(v)) : v])),
    );
  });

  it('never crashes, never returns a wrong or partial set of values, never leaks, never changes the file on a read', async () => {
    let opened = 0;
    let refused = 0;
    await fc.assert(
      // The mutations hit the stage as a whole (header and entries as one object, then spread over their
      // files; a text it leaves unparseable is the header next to intact entries), or one entry file's text.
      fc.asyncProperty(mutationArbitrary(donors), fc.option(fc.nat()), async (mutations, entryIndex) => {
        const entryPaths = Object.keys(goodFiles).filter((p) => p !== 'dev.json');
        let files: StageFiles;
        if (entryIndex === null) files = stageFilesOf(applyAll(good, mutations), 'dev', goodFiles);
        else {
          const target = entryPaths[entryIndex % entryPaths.length]!;
          files = { ...goodFiles, [target]: applyAll(goodFiles[target]!, mutations) };
        }
        writeStageFiles(secretsDir, 'dev', files);
        const messages: string[] = [];
        const note = (r: { error?: StageSecretsError }) => r.error && messages.push(r.error.message);

        const list = await outcome('list', READ_CODES, () => listSecrets(opts));
        note(list);
        const all = await outcome('open + decryptAll', READ_CODES, async () =>
          (await Stage.find(opts).open()).decryptAll(),
        );
        note(all);
        const verify = await outcome('verify', READ_CODES, () => verifyStage(opts));
        note(verify);

        if (all.value) {
          opened++;
          // Whatever opens is exactly what was sealed under that name: no value moved, changed or invented.
          for (const [name, value] of all.value) {
            expect(expected.has(name), `${name} opened but was never sealed as ${name}`).toBe(true);
            const want = expected.get(name)!;
            expect(value.text).toBe(value.type === 'json' ? JSON.stringify(JSON.parse(want)) : want);
          }
        } else refused++;
        // verify and decryptAll agree: a failing secret means no values at all from decryptAll.
        if (verify.value?.failed.length) expect(all.error?.code).toBe('INTEGRITY');
        if (verify.value && !verify.value.failed.length) expect(all.value).toBeDefined();

        expectNoCanary(
          [...messages, ...logged].join('\n'),
          `messages for: ${mutations.map((m) => m.label).join(' | ')}`,
        );
        expect(readStageFiles(secretsDir, 'dev'), 'a read changed a file').toEqual(files);

        // A writer either refuses (file untouched) or writes a file that reads back.
        const write = await outcome('set', WRITE_CODES, () =>
          setSecrets(opts, [{ name: 'FUZZ_ADDED', type: 'string', value: 'w' }]),
        );
        const after = readStageFiles(secretsDir, 'dev');
        if (write.error) {
          expect(after, 'a refused write changed a file').toEqual(files);
          expectNoCanary(write.error.message, 'set error');
        } else {
          // a write touches only its own entry file, and writes one that reads back, under a header that reads
          const { 'dev/FUZZ_ADDED.json': added, ...rest } = after;
          expect(rest, 'set changed a file it had no business with').toEqual(
            Object.fromEntries(Object.entries(files).filter(([p]) => p !== 'dev/FUZZ_ADDED.json')),
          );
          expect(
            () => parseStageText(after['dev.json']!, 'after set'),
            'set left a header it cannot read',
          ).not.toThrow();
          expect(added, 'set wrote no entry file').toBeDefined();
          expect(() => parseEntryFile(added!, 'FUZZ_ADDED.json'), 'set wrote an entry it cannot read').not.toThrow();
        }
        logged.length = 0;
      }),
      { seed: 20_261_123, numRuns: 200 },
    );
    // The generator must exercise both sides: files that still open and files that are refused.
    expect(opened).toBeGreaterThanOrEqual(5);
    expect(refused).toBeGreaterThan(100);
  });
});

describe('hostile stage files, through the CLI process', () => {
  let ws: SecureWorkspace;
  /** the dev stage as one text (header fields plus `secrets`) and as its files */
  let good: string;
  let goodFiles: StageFiles;
  let donors: Donors;

  beforeAll(async () => {
    ws = await secureWorkspace();
    const other = makeWorkspace('other-app');
    try {
      // the other app's key lands in this workspace's config home: a developer working on both apps
      const env = { XDG_CONFIG_HOME: ws.config };
      const stageWith = async (
        w: typeof other,
        stage: string,
        value: string,
        extra: { env?: NodeJS.ProcessEnv } = {},
      ) => {
        expect((await w.run(['init', '--stage', stage], extra)).code).toBe(0);
        expect((await w.run(['set', '--stage', stage, 'CANARY_TOKEN'], { input: value, ...extra })).code).toBe(0);
      };
      await Promise.all([stageWith(ws, 'prod', `${CANARY}-prod`), stageWith(other, 'dev', `${CANARY}-other`, { env })]);
      donors = { otherStage: JSON.parse(readStageText(ws, 'prod')), otherApp: JSON.parse(readStageText(other)) };
    } finally {
      other.cleanup();
    }
    good = readStageText(ws);
    goodFiles = readStageFiles(path.join(ws.dir, 'secrets'), 'dev');
  });
  afterAll(() => ws.cleanup());

  /**
   * Puts each hostile stage as the dev stage of its own copy of the app folder (same app, same key) and runs
   * the commands there, all at once: a text or bytes is the one file `secrets/dev.json` (a damaged header or
   * an old one-file stage), a StageFiles object exactly those files (header and entry files). Checks what
   * every case must hold: no crash, exit 0-3, no canary, every file unchanged. Returns the results per
   * input, per command.
   */
  let copies = 0;
  async function attack(
    inputs: Array<string | Buffer | Record<string, string | Buffer>>,
    commands: string[][] = [['verify', '--stage', 'dev']],
  ) {
    const asFiles = (input: string | Buffer | Record<string, string | Buffer>): Record<string, string | Buffer> =>
      typeof input === 'string' || Buffer.isBuffer(input) ? { 'dev.json': input } : input;
    const dirs = inputs.map((input) => {
      const dir = path.join(ws.root, `copy-${copies++}`);
      for (const [rel, content] of Object.entries(asFiles(input))) {
        fs.mkdirSync(path.dirname(path.join(dir, 'secrets', rel)), { recursive: true });
        fs.writeFileSync(path.join(dir, 'secrets', rel), content);
      }
      return dir;
    });
    const results = await Promise.all(
      dirs.map((dir) => Promise.all(commands.map((args) => ws.run([...args, '--app', 'sec-app'], { cwd: dir })))),
    );
    results.forEach((perText, t) =>
      perText.forEach((r, i) => {
        const label = `${commands[i]!.join(' ')} on input #${t}`;
        expectNoCrash(r, label);
        expectNoCanary(r.stdout + r.stderr, label);
      }),
    );
    dirs.forEach((dir, t) => {
      for (const [rel, content] of Object.entries(asFiles(inputs[t]!))) {
        expect(
          fs.readFileSync(path.join(dir, 'secrets', rel)).equals(Buffer.from(content)),
          `#${t} ${rel} changed`,
        ).toBe(true);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    });
    return results;
  }
  /** The stage as one object (header fields plus `secrets`) spread over its v3 files. */
  const v3 = (doc: Record<string, unknown>): StageFiles => stageFilesOf(JSON.stringify(doc), 'dev');

  it('a sample of fuzzed files: exit 0-3, no crash, no canary, file unchanged', async () => {
    const samples = fc.sample(mutationArbitrary(donors), { seed: 7, numRuns: 3 });
    await attack(
      samples.map((mutations) => stageFilesOf(applyAll(good, mutations), 'dev', goodFiles)),
      [
        ['verify', '--stage', 'dev'],
        ['list', '--stage', 'dev'],
      ],
    );
  });

  it('an identity block copied from another app or stage fails integrity, though its key is here (exit 2)', async () => {
    const fromApp = JSON.parse(good);
    fromApp.publicKey = donors.otherApp.publicKey;
    fromApp.identities = donors.otherApp.identities;
    const withValues = { ...fromApp, secrets: donors.otherApp.secrets };
    const fromStage = {
      ...JSON.parse(good),
      publicKey: donors.otherStage.publicKey,
      identities: donors.otherStage.identities,
    };
    const [[app], [values], [stage]] = await attack([v3(fromApp), v3(withValues), v3(fromStage)]);
    for (const r of [app!, values!, stage!]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /wrapped key of identity local:[0-9a-f]{16} failed its integrity check.*copied from another app or stage/,
      );
    }
  });

  it('a file over the 64 MiB limit is refused before it is read (exit 2), by readers and writers', async () => {
    const big = ws.stageFile('dev');
    try {
      fs.truncateSync(big, 64 * 1024 * 1024 + 1); // sparse: no 64 MiB written
      const results = await Promise.all(
        [
          ['list', '--stage', 'dev'],
          ['verify', '--stage', 'dev'],
          ['set', '--stage', 'dev', 'X', 'y'],
        ].map((a) => ws.run(a)),
      );
      for (const r of results) {
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/secrets\/dev\.json is 67108865 bytes, over the 67108864-byte limit/);
      }
      expect(fs.statSync(big).size).toBe(64 * 1024 * 1024 + 1);
      expect(leftovers(ws)).toEqual([]);
    } finally {
      fs.writeFileSync(big, goodFiles['dev.json']!);
    }
  });

  it('a stage file that is a FIFO or a link to /dev/zero is refused before reading (exit 2), by readers and writers, no hang', async () => {
    const stageFile = ws.stageFile('dev');
    const specials: Array<[string, () => void]> = [
      ['a FIFO', () => execFileSync('mkfifo', [stageFile])],
      ['a link to /dev/zero', () => fs.symlinkSync('/dev/zero', stageFile)],
    ];
    try {
      for (const [label, make] of specials) {
        fs.rmSync(stageFile);
        make();
        const commands = [
          ['list', '--stage', 'dev'],
          ['verify', '--stage', 'dev'],
          ['set', '--stage', 'dev', 'X', 'y'],
        ];
        const results = await Promise.all(commands.map((a) => ws.run(a, { timeoutMs: 10_000 })));
        results.forEach((r, i) => {
          const what = `${commands[i]!.join(' ')} on ${label}`;
          expect(r.signal, `${what}: still running after 10 s`).toBeNull();
          expect(r.code, `${what}: ${r.stderr}`).toBe(2);
          expect(r.stderr).toMatch(/secrets\/dev\.json is not a regular file .*Restore it from git/);
        });
        expect(fs.lstatSync(stageFile).isFile(), `${label} was replaced`).toBe(false);
        expect(leftovers(ws)).toEqual([]);
      }
    } finally {
      fs.rmSync(stageFile, { force: true });
      fs.writeFileSync(stageFile, goodFiles['dev.json']!);
      fs.rmSync(path.join(ws.dir, 'secrets', '.dev.json.lock'), { force: true }); // left by a writer killed on timeout
    }
  });

  it('an entry file that is a FIFO or a link to /dev/zero is refused before reading (exit 2) by readers, no hang', async () => {
    const entryFile = path.join(ws.dir, 'secrets', 'dev', 'CANARY_TOKEN.json');
    const specials: Array<[string, () => void]> = [
      ['a FIFO', () => execFileSync('mkfifo', [entryFile])],
      ['a link to /dev/zero', () => fs.symlinkSync('/dev/zero', entryFile)],
    ];
    try {
      for (const [label, make] of specials) {
        fs.rmSync(entryFile);
        make();
        const commands = [
          ['list', '--stage', 'dev'],
          ['verify', '--stage', 'dev'],
          ['run', '--stage', 'dev', '--', process.execPath, '-e', '0'],
        ];
        const results = await Promise.all(commands.map((a) => ws.run(a, { timeoutMs: 10_000 })));
        results.forEach((r, i) => {
          const what = `${commands[i]!.join(' ')} on ${label}`;
          expect(r.signal, `${what}: still running after 10 s`).toBeNull();
          expect(r.code, `${what}: ${r.stderr}`).toBe(2);
          expect(r.stderr).toMatch(/secrets\/dev\/ holds secrets\/dev\/CANARY_TOKEN\.json, which is .*remove it/);
        });
        expect(fs.lstatSync(entryFile).isFile(), `${label} was replaced`).toBe(false);
      }
    } finally {
      fs.rmSync(entryFile, { force: true });
      fs.writeFileSync(entryFile, goodFiles['dev/CANARY_TOKEN.json']!);
    }
  });

  it('a lock file that is a FIFO or a link to /dev/zero stops a writer with an error naming it (exit 1), no hang', async () => {
    const lock = path.join(ws.dir, 'secrets', '.dev.json.lock');
    const specials: Array<[string, () => void]> = [
      ['a FIFO', () => execFileSync('mkfifo', [lock])],
      ['a link to /dev/zero', () => fs.symlinkSync('/dev/zero', lock)],
    ];
    try {
      for (const [label, make] of specials) {
        fs.rmSync(lock, { force: true });
        make();
        const r = await ws.run(['set', '--stage', 'dev', 'X', 'y'], { timeoutMs: 10_000 });
        expect(r.signal, `set with ${label}: still running after 10 s`).toBeNull();
        expect(r.code, `set with ${label}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toMatch(/lock file .*secrets\/\.dev\.json\.lock is not a regular file.*remove it/);
        expect(readStageText(ws)).toBe(good);
        fs.rmSync(lock);
      }
    } finally {
      fs.rmSync(lock, { force: true });
    }
  });

  it('a low-order publicKey is an integrity failure naming the file (exit 2) for set, verify, run, rotate and list, not a crash', async () => {
    const texts = LOW_ORDER_POINTS.map((point) => ({
      ...goodFiles,
      'dev.json': goodFiles['dev.json']!.replace(/"publicKey": "[^"]+"/, `"publicKey": "${point.toString('base64')}"`),
    }));
    const results = await attack(texts, [
      ['set', '--stage', 'dev', 'X', 'y'],
      ['verify', '--stage', 'dev'],
      ['rotate', '--stage', 'dev'],
      ['list', '--stage', 'dev'],
      ['run', '--stage', 'dev', '--app', 'sec-app', '--', process.execPath, '-e', '0'],
    ]);
    results.forEach((perText, t) =>
      perText.forEach((r) => {
        expect(r.code, `point #${t}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(
          /secrets\/dev\.json: its publicKey is not a usable X25519 public key .*Restore the file from git/,
        );
      }),
    );
  });

  it('deeply nested JSON (100,000 levels) is refused with exit 2 by readers and writers, no stack overflow', async () => {
    const depth = 100_000;
    const deepArray = '['.repeat(depth) + ']'.repeat(depth);
    const deepObject = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const inSecrets = { ...goodFiles, 'dev/DEEP.json': deepArray }; // v3: the deep value is an entry file
    const inIdentity = goodFiles['dev.json']!.replace(
      /"identities": \[\n/,
      `"identities": [\n    {"type":"local","id":"x","created":"2026-01-01T00:00:00Z","deep":${deepObject}},\n`,
    );
    const [[list], [verify], [set]] = await Promise.all([
      attack([deepArray], [['list', '--stage', 'dev']]),
      attack([inIdentity], [['verify', '--stage', 'dev']]),
      // a write reads only the entries it touches (and the header): setting DEEP reads the deep file
      attack([inSecrets], [['set', '--stage', 'dev', 'DEEP', 'y']]),
    ]).then((r) => r.map((x) => x[0]!));
    for (const r of [list!, verify!]) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/secrets\/dev\.json is not (valid JSON|a valid stage file)/);
    }
    expect(set!.code, set!.stderr).toBe(2);
    expect(set!.stderr).toMatch(/secrets\/dev\/DEEP\.json is not (valid JSON|a valid secret entry)/);
  });

  it('non-JSON content (empty, binary, null, UTF-16, a byte-order mark) is exit 2 and names the file', async () => {
    const header = goodFiles['dev.json']!;
    const entry = goodFiles['dev/CANARY_TOKEN.json']!;
    const contents = (text: string): Array<string | Buffer> => [
      '',
      Buffer.from([0xff, 0xfe, 0, 1, 2, 0x80, 0x9b]),
      'null',
      Buffer.from(text, 'utf16le'),
      `\ufeff${text}`,
    ];
    // as the header (entries intact), then as one entry file (header intact)
    const asHeader = contents(header).map((c) => ({ ...goodFiles, 'dev.json': c }));
    const asEntry = contents(entry).map((c) => ({ ...goodFiles, 'dev/CANARY_TOKEN.json': c }));
    const results = await attack([...asHeader, ...asEntry], [['list', '--stage', 'dev']]);
    results.forEach(([r], i) => {
      expect(r!.code, r!.stderr).toBe(2);
      expect(r!.stderr).toMatch(
        i < asHeader.length
          ? /secrets\/dev\.json is not (valid JSON|a valid stage file).*Restore it from git/
          : /secrets\/dev\/CANARY_TOKEN\.json is not (valid JSON|a valid secret entry).*Restore it from git/,
      );
    });
  });

  it('a future format version asks for an upgrade (exit 1) instead of guessing, for readers and writers', async () => {
    const [[verify, set]] = await attack(
      [{ ...goodFiles, 'dev.json': goodFiles['dev.json']!.replace('"version": 3', '"version": 4') }],
      [
        ['verify', '--stage', 'dev'],
        ['set', '--stage', 'dev', 'X', 'y'],
      ],
    );
    for (const r of [verify!, set!]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/format version 4; this stage-secrets reads version 3\. Upgrade stage-secrets/);
    }
  });

  it('a duplicate secret whose second copy differs is refused by every reader (exit 2), in a v2 file', async () => {
    // one-file stages (v1/v2) still open, so the old attack still matters: the secret twice in one object
    const asV2 = (doc: Record<string, unknown>): string => {
      const secrets = doc.secrets as Record<string, Record<string, unknown>>;
      const bare = Object.fromEntries(Object.entries(secrets).map(([n, { sealedTo: _s, ...e }]) => [n, e]));
      return serializeStageFile({ ...doc, version: 2, secrets: bare } as unknown as StageFile);
    };
    const v2 = asV2(JSON.parse(good));
    const line = v2.split('\n').find((l) => l.includes('"CANARY_TOKEN": {'))!;
    const prodLine = asV2(JSON.parse(readStageText(ws, 'prod')))
      .split('\n')
      .find((l) => l.includes('"CANARY_TOKEN": {'))!;
    const [[verify, list]] = await attack(
      [v2.replace(line, `${line.replace(/,?$/, ',')}\n${prodLine.replace(/,?$/, ',')}`)],
      [
        ['verify', '--stage', 'dev'],
        ['list', '--stage', 'dev'],
      ],
    );
    for (const r of [verify!, list!]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/has the key "CANARY_TOKEN" twice/);
    }
  });

  it('v3: a field twice in an entry file or in the header, the second copy differing, is refused (exit 2)', async () => {
    // The secret itself cannot be there twice in v3 (a name is a file name, and a folder holds a name once);
    // what a writer can still double is a field inside one file, so a reviewer sees one copy and a parser reads
    // the other.
    const prod = readStageFiles(path.join(ws.dir, 'secrets'), 'prod');
    const field = (text: string, key: string) => text.split('\n').find((l) => l.includes(`"${key}": `))!;
    const entry = goodFiles['dev/CANARY_TOKEN.json']!;
    const ctTwice = entry.replace(
      field(entry, 'ct'),
      `${field(entry, 'ct').replace(/,?$/, ',')}\n${field(prod['prod/CANARY_TOKEN.json']!, 'ct').replace(/,?$/, ',')}`,
    );
    const header = goodFiles['dev.json']!;
    const keyTwice = header.replace(
      field(header, 'publicKey'),
      `${field(header, 'publicKey').replace(/,?$/, ',')}\n${field(prod['prod.json']!, 'publicKey').replace(/,?$/, ',')}`,
    );
    expect(ctTwice).not.toBe(entry);
    expect(keyTwice).not.toBe(header);
    const results = await attack(
      [
        { ...goodFiles, 'dev/CANARY_TOKEN.json': ctTwice },
        { ...goodFiles, 'dev.json': keyTwice },
      ],
      [
        ['verify', '--stage', 'dev'],
        ['list', '--stage', 'dev'],
        ['run', '--stage', 'dev', '--app', 'sec-app', '--', process.execPath, '-e', '0'],
      ],
    );
    results.forEach((perInput, i) =>
      perInput.forEach((r) => {
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toMatch(
          i === 0 ? /secrets\/dev\/CANARY_TOKEN\.json has a key twice/ : /secrets\/dev\.json has .*twice/,
        );
      }),
    );
  });

  it('cannot inject lines or terminal escapes into the CI log through identity fields, the app or a parse error', async () => {
    const withId = JSON.parse(good);
    withId.identities[0].id = 'local:x\n::error title=pwned::injected\u001b[31m';
    const withApp = JSON.parse(good);
    withApp.app = 'sec-app\n::add-mask::x';
    const withField = JSON.parse(good);
    withField.identities[0].note = 'ok\r\n::stop-commands::x';
    const broken = `${good.slice(0, 40)}\n::error::injected\u001b[2J\n`;
    for (const [r] of await attack([v3(withId), v3(withApp), v3(withField), broken])) {
      expect(r!.code).toBe(2);
      for (const outputLine of `${r!.stdout}\n${r!.stderr}`.split(/\r?\n|\r/)) {
        expect(outputLine.startsWith('::'), `injected line: ${outputLine}`).toBe(false);
      }
      expect(r!.stdout + r!.stderr).not.toMatch(/\u001b/);
    }
  });

  it('a key fingerprint that points outside the keys folder is refused (exit 2) without reading that path', async () => {
    const bait = path.join(ws.root, 'bait');
    fs.writeFileSync(`${bait}.key`, `${ws.key}\n`); // a valid key file outside the keys folder
    const file = JSON.parse(good);
    file.identities[0].fingerprint = path.relative(path.join(ws.config, 'stage-secrets', 'keys'), bait);
    const [[verify]] = await attack([v3(file)]);
    expect(verify!.code).toBe(2);
    expect(verify!.stderr).toMatch(/malformed fingerprint/);
  });

  it('names of Object.prototype members are ordinary names: rm of a missing one is refused, set of one is "added"', async () => {
    const before = readStageText(ws);
    const [rmA, rmB] = await Promise.all(
      ['toString', 'hasOwnProperty'].map((name) => ws.run(['rm', '--stage', 'dev', name])),
    );
    for (const [r, name] of [
      [rmA!, 'toString'],
      [rmB!, 'hasOwnProperty'],
    ] as const) {
      expect(r.code, name).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`no secret named ${name}`));
    }
    expect(readStageText(ws)).toBe(before);
    const set = await ws.run(['set', '--stage', 'dev', 'constructor', 'v']);
    expect(set.stderr).toMatch(/^added constructor/);
    expect((await ws.run(['rm', '--stage', 'dev', 'constructor'])).code).toBe(0);
    expect(readStageText(ws)).toBe(before);
  });
});
