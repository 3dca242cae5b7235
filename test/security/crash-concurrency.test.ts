import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, readOnlyLocalKey, startCli, type Workspace } from '../support/cli.js';
import { kmsEnv, startKmsServer, type KmsServer } from '../support/kms-server.js';
import { CANARY, expectNoCanary, leftovers, readStageText, seededRandom, waitFor } from './support.js';
import { stageStoreAt } from '../../src/stages/stage-text.js';

const stage = ['--stage', 'dev'];

function lockFile(ws: Workspace): string {
  return path.join(ws.dir, 'secrets', '.dev.json.lock');
}

/** Whether the entry file of `name` (stage dev) was written at or after `since` (ms). */
function writtenSince(ws: Workspace, name: string, since: number): boolean {
  try {
    return fs.statSync(path.join(ws.dir, 'secrets', 'dev', `${name}.json`)).mtimeMs >= since;
  } catch {
    return false; // not there yet, or being renamed over
  }
}

/**
 * Starts a writer and kills it once it has written the entry file of `name`: aimed by its progress on disk,
 * not by a clock, so the kill lands between entry files however loaded the machine is (unless the writer
 * ends first). v3 writes entry files in name order, so a name's place in that order is the share written.
 */
async function killAfterEntry(ws: Workspace, args: string[], name: string | undefined) {
  const since = Date.now();
  const writer = startCli(args, { cwd: ws.dir, env: ws.env });
  let finished = false;
  void writer.done.then(() => {
    finished = true;
  });
  while (!finished && (name === undefined || !writtenSince(ws, name, since))) {
    await new Promise((r) => setTimeout(r, 2));
  }
  writer.kill('SIGKILL');
  return { writer, result: await writer.done };
}

describe('concurrent writers and a writer that dies holding the lock', () => {
  let ws: Workspace;
  let kms: KmsServer;

  beforeAll(async () => {
    kms = await startKmsServer();
    kms.createKey({ alias: 'alias/slow' });
    ws = makeWorkspace();
    expect((await ws.run(['init', ...stage])).code).toBe(0);
  });
  afterAll(async () => {
    ws.cleanup();
    await kms.close();
  });

  it('a writer killed while holding the lock, then 20 parallel set processes: all land, the lock is recovered once, with a message', async () => {
    // rewrap --kms holds the stage lock while it waits for KMS Encrypt; the server never answers, so the
    // process is certainly inside the lock when it is killed.
    kms.fail('hang', { operation: 'Encrypt' });
    const before = readStageText(ws);
    const writer = startCli(['rewrap', ...stage, '--kms', 'alias/slow'], { cwd: ws.dir, env: kmsEnv(kms, ws.env) });
    await waitFor(
      () => kms.calls('Encrypt') > 0 && fs.existsSync(lockFile(ws)),
      'the writer to hold the lock and call KMS',
    );
    writer.kill('SIGKILL');
    expect((await writer.done).signal).toBe('SIGKILL');
    kms.clearFaults();
    expect(JSON.parse(fs.readFileSync(lockFile(ws), 'utf8'))).toMatchObject({ pid: writer.pid });
    expect(readStageText(ws)).toBe(before);
    // What a writer killed between writing its temp file and renaming it leaves behind (the window is too
    // short to hit reliably by timing): the next write removes a dead process's temp file, not a live one's.
    const secretsDir = path.dirname(lockFile(ws));
    const deadTemp = `.dev.json.${writer.pid}.0badc0de.tmp`;
    const liveTemp = `.dev.json.${process.pid}.0badc0de.tmp`;
    for (const name of [deadTemp, liveTemp]) fs.writeFileSync(path.join(secretsDir, name), before.slice(0, 100));

    const names = Array.from({ length: 20 }, (_, i) => `PAR_${String(i).padStart(2, '0')}`);
    const results = await Promise.all(names.map((n) => ws.run(['set', ...stage, n], { input: `${CANARY}-${n}` })));
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      expectNoCanary(r.stdout + r.stderr, 'set output');
    }
    const recovered = results.filter((r) =>
      r.stderr.includes(`recovered a stale lock ${lockFile(ws)} left by process ${writer.pid}`),
    );
    // Exactly one waiter breaks the lock; a second break would delete the first one's fresh lock.
    expect(recovered).toHaveLength(1);
    expect(Object.keys(ws.readStage('dev').secrets).sort()).toEqual(names);
    expect(leftovers(ws)).toEqual([liveTemp]);
    fs.unlinkSync(path.join(secretsDir, liveTemp));
    expect((await ws.run(['verify', ...stage])).stdout).toContain('20 of 20 secrets OK');
  });
});

describe('writers killed at random points (seeded)', () => {
  const BATCH = 1500;
  const ROUNDS = 6;
  /** More rounds, up to this many, while no kill has landed: a writer that outran its kill re-aims them. */
  const MAX_ROUNDS = 12;
  /** the batch's names in the order a v3 write writes their entry files */
  const BATCH_ORDER = Array.from({ length: BATCH }, (_, j) => `BATCH_${j}`).sort();
  let ws: Workspace;

  beforeAll(() => {
    ws = makeWorkspace();
  });
  afterAll(() => ws.cleanup());

  function batchFile(round: number): string {
    const file = path.join(ws.dir, `round-${round}.env`);
    const lines = Array.from({ length: BATCH }, (_, j) => `BATCH_${j}=${CANARY}-r${round}-${j}-${'x'.repeat(100)}`);
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }

  /**
   * The `updated` times of the batch entries, read by the store itself (it throws on any torn or broken
   * file): one value when the batch landed whole, two when a v3 import was killed between entry files.
   */
  function batchState(): Set<string> {
    const file = stageStoreAt({ dir: 'secrets', cwd: ws.dir }).read('dev');
    return new Set(Array.from({ length: BATCH }, (_, j) => file.secrets[`BATCH_${j}`]?.updated ?? 'absent'));
  }

  it('leave the old file or the new one, never a mix; the next writer cleans up; every value still opens', async () => {
    expect((await ws.run(['init', ...stage])).code).toBe(0);
    const key = readOnlyLocalKey(ws);
    expect((await ws.run(['import', ...stage, batchFile(0)])).code).toBe(0);
    const first = Date.now();
    expect((await ws.run(['import', ...stage, batchFile(0)])).code).toBe(0);
    const fullRun = Date.now() - first;
    let state = batchState();
    expect(state.size).toBe(1);

    const random = seededRandom(0x5eed);
    const killedPids: number[] = [];
    let killed = 0;
    let leftLock = 0;
    let leftTemp = 0;
    let rounds = 0;
    for (let round = 1; round <= ROUNDS || (killed === 0 && round <= MAX_ROUNDS); round++) {
      rounds = round;
      // a seeded share of the batch's entry files, or (share > 1) a writer left to finish
      const share = 0.05 + 1.1 * random();
      const target = share > 1 ? undefined : BATCH_ORDER[Math.floor(BATCH * share)];
      const { writer, result: r } = await killAfterEntry(ws, ['import', ...stage, batchFile(round)], target);
      if (r.signal === 'SIGKILL') {
        killed++;
        killedPids.push(writer.pid);
      } else {
        expect(r.code, r.stderr).toBe(0);
      }
      expectNoCanary(r.stdout + r.stderr, `import round ${round}`);

      const now = batchState();
      // v3: each entry file is whole; a killed import may have written some of its entries (run it again).
      // Kills in a row leave entries of several imports, but each import adds at most one new time, and one
      // that ran to the end leaves all its entries with its own time.
      const added = [...now].filter((t) => !state.has(t));
      expect(added.length, `round ${round}: one import wrote entries with more than one time`).toBeLessThanOrEqual(1);
      expect(now.has('absent'), `round ${round}: an entry went missing`).toBe(false);
      if (r.code === 0) {
        expect(added, `round ${round}: a finished import left entries of earlier ones`).toHaveLength(1);
        expect(now.size, `round ${round}: a finished import left entries of earlier ones`).toBe(1);
      }
      state = now;
      const rest = leftovers(ws);
      if (rest.includes('.dev.json.lock')) leftLock++;
      leftTemp += rest.filter((n) => n.endsWith('.tmp')).length;
      for (const name of rest.filter((n) => n.endsWith('.tmp'))) {
        // a temp file never holds a plaintext value: it is a stage file in the making
        expect(fs.readFileSync(path.join(ws.dir, 'secrets', name), 'utf8')).not.toContain(CANARY);
      }
    }
    expect(killed, 'the kills must land while the writer runs').toBeGreaterThan(0);

    // A lock left by a killed writer names it, unless the kill fell between creating the file and writing
    // the pid into it: an empty lock, which the next writer recovers once it is 2 s old, naming no process.
    const lockText = fs.existsSync(lockFile(ws)) ? fs.readFileSync(lockFile(ws), 'utf8') : undefined;
    const next = await ws.run(['set', ...stage, 'AFTER_CRASHES', 'ok']);
    expect(next.code, next.stderr).toBe(0);
    if (lockText === undefined) expect(next.stderr).not.toMatch(/stale lock/);
    else if (lockText === '') expect(next.stderr).toContain(`recovered a stale lock ${lockFile(ws)}\n`);
    else {
      const holder = (JSON.parse(lockText) as { pid: number }).pid;
      expect(killedPids).toContain(holder);
      expect(next.stderr).toContain(`recovered a stale lock ${lockFile(ws)} left by process ${holder}\n`);
    }
    expect(leftovers(ws), 'temp files of dead writers and their lock are gone after the next write').toEqual([]);
    const list = await ws.run(['list', ...stage]);
    expect(list.code).toBe(0);
    const verify = await ws.run(['verify', ...stage], { env: { STAGE_SECRETS_KEY_DEV: key } });
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toContain(`${BATCH + 1} of ${BATCH + 1} secrets OK`);
    // an import run again after a crash lands whole
    expect((await ws.run(['import', ...stage, batchFile(0)])).code).toBe(0);
    expect(batchState().size).toBe(1);
    // For the record (not asserted: timing decides where a kill lands).
    console.info(
      `random kills: ${killed}/${rounds} killed mid-run, ${leftLock} left a lock, ${leftTemp} left a temp file; one import ${fullRun} ms`,
    );
  }, 120_000);
});

describe('a lock file committed to git', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = makeWorkspace();
    expect((await ws.run(['init', ...stage])).code).toBe(0);
  });
  afterAll(() => ws.cleanup());

  it('dated in the future, it does not block writers: set succeeds at once and warns (exit 0)', async () => {
    // what a teammate's `git add secrets/` could have committed, with a time no running writer can have
    fs.writeFileSync(lockFile(ws), '{"pid":1,"host":"ci","time":99999999999999}');
    // well under the 15 s lock timeout: a writer that waited for the lock would be killed and fail here
    const r = await ws.run(['set', ...stage, 'AFTER_LOCK', 'v'], { timeoutMs: 10_000 });
    expect(r.signal, 'set was still waiting for the lock').toBeNull();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/recovered a broken lock .*\.dev\.json\.lock: it is dated in the future/);
    expect(Object.keys(ws.readStage('dev').secrets)).toEqual(['AFTER_LOCK']);
    expect(leftovers(ws)).toEqual([]);
  });
});

describe('rotate and upgrade killed between files (v3 writes one file per secret)', () => {
  const COUNT = 1500;
  /** the entries' names in the order a v3 write writes their files */
  const ORDER = Array.from({ length: COUNT }, (_, j) => `MANY_${j}`).sort();
  let ws: Workspace;
  beforeAll(async () => {
    ws = makeWorkspace();
    expect((await ws.run(['init', ...stage])).code).toBe(0);
    const lines = Array.from({ length: COUNT }, (_, j) => `MANY_${j}=${CANARY}-${j}`);
    fs.writeFileSync(path.join(ws.dir, 'many.env'), `${lines.join('\n')}\n`);
    expect((await ws.run(['import', ...stage, 'many.env'])).code).toBe(0);
  });
  afterAll(() => ws.cleanup());

  it('a killed rotate never loses the key of an entry: verify names rotate to re-run, which finishes it', async () => {
    let killedMidway = 0;
    let killed = 0;
    // aimed by progress: killed after a share of the entry files are re-sealed, before the header is written
    for (const [round, share] of [0.2, 0.4, 0.6, 0.8].entries()) {
      const { result } = await killAfterEntry(ws, ['rotate', ...stage], ORDER[Math.floor(COUNT * share)]);
      if (result.signal !== 'SIGKILL') continue;
      killed++;
      const verify = await ws.run(['verify', ...stage]);
      if (verify.code !== 0) {
        killedMidway++;
        // entries re-sealed under the new key before the header: the build refuses, naming them and the fix
        expect(verify.code).toBe(2);
        expect(verify.stderr).toContain('a rotate of stage dev did not finish');
        expect(verify.stderr).toContain('npx --no-install stage-secrets rotate --stage dev');
      }
      const again = await ws.run(['rotate', ...stage]);
      expect(again.code, again.stderr).toBe(0);
      const after = await ws.run(['verify', ...stage]);
      expect(after.code, after.stdout + after.stderr).toBe(0);
      expect(after.stdout).toContain(`${COUNT} of ${COUNT} secrets OK`);
      expectNoCanary(verify.stdout + verify.stderr + again.stderr, `rotate round ${round}`);
    }
    expect(killed, 'the kills must land while rotate runs').toBeGreaterThan(0);
    expect(killedMidway, 'a kill between the entry files must leave a rotate for verify to name').toBeGreaterThan(0);
    console.info(`rotate: ${killedMidway} of ${killed} kills landed between the entry files and the header`);
  }, 120_000);

  it('a killed upgrade leaves the v2 file, which names upgrade; run again, every value and approval is kept', async () => {
    const doc = ws.readStage('dev');
    for (const entry of Object.values(doc.secrets as Record<string, Record<string, unknown>>)) delete entry.sealedTo;
    const v2 = JSON.stringify({ ...doc, version: 2 }, null, 2);
    const entriesDir = path.join(ws.dir, 'secrets', 'dev');
    const entryFiles = (): number => {
      try {
        return fs.readdirSync(entriesDir).filter((n) => n.endsWith('.json') && !n.startsWith('.')).length;
      } catch {
        return 0;
      }
    };
    // Aimed by progress, not by a clock: a first timed run is slower (cold caches) than the runs it aims,
    // and a kill timed from it can land after every write. Each kill waits for a share of the entry files
    // (the file of the name at that place in write order).
    const shares = [0.2, 0.4, 0.6, 0.8];
    let killed = 0;
    let leftHalfway = 0;
    for (const share of shares) {
      ws.restore('dev', v2);
      expect(entryFiles()).toBe(0);
      const { result } = await killAfterEntry(ws, ['upgrade', ...stage], ORDER[Math.floor(COUNT * share)]);
      if (result.signal !== 'SIGKILL') continue;
      killed++;
      const verify = await ws.run(['verify', ...stage]);
      if (verify.code !== 0) {
        leftHalfway++;
        expect(verify.stderr).toContain('npx --no-install stage-secrets upgrade --stage dev');
      }
      expect((await ws.run(['upgrade', ...stage])).code).toBe(0);
      const after = await ws.run(['verify', ...stage]);
      expect(after.code, after.stdout + after.stderr).toBe(0);
      expect(after.stdout).toContain(`${COUNT} of ${COUNT} secrets OK`);
      const upgraded = ws.readStage('dev');
      for (const [name, entry] of Object.entries(doc.secrets as Record<string, Record<string, unknown>>)) {
        const { sealedTo: _s, ...same } = upgraded.secrets[name];
        expect(same, name).toEqual(entry);
      }
    }
    expect(killed, 'the kills must land while upgrade runs').toBeGreaterThan(0);
    expect(leftHalfway, 'a kill must leave a half-written upgrade for verify to name').toBeGreaterThan(0);
    console.info(`upgrade: ${killed} of ${shares.length} runs killed part-way`);
  }, 120_000);
});
