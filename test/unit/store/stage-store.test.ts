import { createFsFromVolume, Volume } from 'memfs';
import * as os from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { associatedData, generateStageKeyPair, Sealer } from '../../../src/core/crypto.js';
import { serializeStageFile, type StageFile } from '../../../src/core/format.js';
import { StageSecretsError } from '../../../src/core/errors.js';
import { setLogger } from '../../../src/core/log.js';
import type { StoreFs } from '../../../src/store/fs-types.js';
import { StageStore } from '../../../src/store/stage-store.js';
import { sampleLocalIdentity } from '../../support/records.js';
import { IDENTITY_RECORDS } from '../../../src/identities/records.js';

function memStore(files: Record<string, string> = {}) {
  const vol = Volume.fromJSON(files, '/app');
  vol.mkdirSync('/app/secrets', { recursive: true });
  const fs = createFsFromVolume(vol) as unknown as StoreFs;
  return { vol, fs, store: storeOn(fs, 2000) };
}

/** A store of /app/secrets on `fs` whose writers give up waiting for the lock after `lockTimeoutMs`. */
function storeOn(fs: StoreFs, lockTimeoutMs: number): StageStore {
  return new StageStore({
    identities: IDENTITY_RECORDS,
    dir: 'secrets',
    cwd: '/app',
    fs,
    lock: { timeoutMs: lockTimeoutMs },
  });
}

function emptyStage(): StageFile {
  return {
    version: 2,
    app: 'app',
    stage: 'dev',
    publicKey: generateStageKeyPair().publicKey.toString('base64'),
    identities: [sampleLocalIdentity()],
    secrets: {},
  };
}

function withSecret(file: StageFile, name: string): StageFile {
  const sealed = new Sealer(Buffer.from(file.publicKey, 'base64')).seal(associatedData([name]), 'x');
  return {
    ...file,
    secrets: { ...file.secrets, [name]: { type: 'string', updated: '2026-11-23T10:00:00.000Z', ...sealed } },
  };
}

describe('StageStore', () => {
  it('reports a missing stage with the init command to run', () => {
    const { store } = memStore();
    expect(() => store.read('dev')).toThrow(/no stage file secrets\/dev\.json.*stage-secrets init --stage dev/);
  });

  it('refuses stage names that could escape the folder', () => {
    const { store } = memStore();
    for (const stage of ['../x', 'a/b', '.hidden', ''])
      expect(() => store.filePath(stage)).toThrow(/invalid stage name/);
  });

  it('writes canonical text and leaves no temp or lock file behind', async () => {
    const { store, vol } = memStore();
    const file = await store.update('dev', () => withSecret(emptyStage(), 'A'));
    expect(vol.readFileSync('/app/secrets/dev.json', 'utf8')).toBe(serializeStageFile(file));
    expect(vol.readdirSync('/app/secrets')).toEqual(['dev.json']);
    expect(store.read('dev')).toEqual(file);
  });

  it('refuses a stage path that is not a regular file, naming it, before reading', () => {
    const { store, vol } = memStore();
    vol.mkdirSync('/app/secrets/dev.json');
    const err = errorOf(() => store.read('dev'));
    expect(err.code).toBe('FORMAT');
    expect(err.message).toMatch(/secrets\/dev\.json is not a regular file \(a directory\).*Restore it from git/);
  });

  it('refuses a lock path that is not a regular file at once, naming it, instead of waiting out the timeout', async () => {
    const { store, vol } = memStore();
    await store.update('dev', () => emptyStage());
    vol.mkdirSync('/app/secrets/.dev.json.lock');
    await expect(store.update('dev', (c) => withSecret(c!, 'B'))).rejects.toThrow(
      /lock file \/app\/secrets\/\.dev\.json\.lock is not a regular file \(a directory\).*remove it/,
    );
    expect(Object.keys(store.read('dev').secrets)).toEqual([]);
  });

  it('refuses a lock path that is a dangling symbolic link at once, instead of spinning on it', async () => {
    const { store, vol } = memStore();
    await store.update('dev', () => emptyStage());
    vol.symlinkSync('/elsewhere/missing', '/app/secrets/.dev.json.lock');
    await expect(store.update('dev', (c) => withSecret(c!, 'B'))).rejects.toThrow(
      /lock file \/app\/secrets\/\.dev\.json\.lock is not a regular file \(a symbolic link\).*remove it/,
    );
    expect(Object.keys(store.read('dev').secrets)).toEqual([]);
  }, 4000);

  it('enforces the 64 MiB cap on the bytes read, not on the size the file system reports', async () => {
    // like a /proc file: a regular file that reports size 0 and reads without end
    const { store, fs } = memStore();
    await store.update('dev', () => emptyStage());
    const endless = new StageStore({
      identities: IDENTITY_RECORDS,
      dir: 'secrets',
      cwd: '/app',
      fs: endlessFile(fs, '/app/secrets/dev.json'),
    });
    expect(() => endless.read('dev')).toThrow(/secrets\/dev\.json is over the 67108864-byte limit for a stage file/);
  });

  it('refuses a stage file whose publicKey is a low-order point (INTEGRITY), naming the file and the fix', () => {
    for (const raw of [Buffer.alloc(32), Buffer.concat([Buffer.from([1]), Buffer.alloc(31)])]) {
      const { store, vol } = memStore();
      vol.writeFileSync(
        '/app/secrets/dev.json',
        serializeStageFile({ ...emptyStage(), publicKey: raw.toString('base64') }),
      );
      const err = errorOf(() => store.read('dev'));
      expect(err.code).toBe('INTEGRITY');
      expect(err.message).toMatch(
        /^secrets\/dev\.json: its publicKey is not a usable X25519 public key .*git checkout -- secrets\/dev\.json/,
      );
    }
  });

  it('refuses a file that claims another stage', async () => {
    const { store, vol } = memStore();
    await store.update('dev', () => emptyStage());
    vol.renameSync('/app/secrets/dev.json', '/app/secrets/prod.json');
    expect(() => store.read('prod')).toThrow(/belongs to stage dev, not prod/);
  });

  it('serialises concurrent updates: every change lands', async () => {
    const { store } = memStore();
    await store.update('dev', () => emptyStage());
    const names = Array.from({ length: 20 }, (_, i) => `K${i}`);
    await Promise.all(
      names.map((name) =>
        store.update('dev', async (current) => {
          await new Promise((r) => setTimeout(r, 1)); // yield while holding the lock
          return withSecret(current!, name);
        }),
      ),
    );
    expect(Object.keys(store.read('dev').secrets).sort()).toEqual([...names].sort());
  });

  it('keeps the old file when the write fails half-way (crash before rename)', async () => {
    const { store, vol, fs } = memStore();
    await store.update('dev', () => emptyStage());
    const before = vol.readFileSync('/app/secrets/dev.json', 'utf8');
    const failing = new StageStore({
      identities: IDENTITY_RECORDS,
      dir: 'secrets',
      cwd: '/app',
      fs: {
        ...bind(fs),
        renameSync: () => {
          throw Object.assign(new Error('boom'), { code: 'EIO' });
        },
      },
    });
    await expect(failing.update('dev', (c) => withSecret(c!, 'NEW'))).rejects.toThrow(/old file is unchanged/);
    expect(vol.readFileSync('/app/secrets/dev.json', 'utf8')).toBe(before);
    expect(vol.readdirSync('/app/secrets')).toEqual(['dev.json']);
  });

  it('keeps the old file when the change itself throws', async () => {
    const { store, vol } = memStore();
    await store.update('dev', () => emptyStage());
    const before = vol.readFileSync('/app/secrets/dev.json', 'utf8');
    await expect(
      store.update('dev', () => {
        throw new Error('bad input');
      }),
    ).rejects.toThrow('bad input');
    expect(vol.readFileSync('/app/secrets/dev.json', 'utf8')).toBe(before);
    expect(vol.existsSync('/app/secrets/.dev.json.lock')).toBe(false);
  });

  it('recovers a stale lock left by a dead process', async () => {
    const { store, vol } = memStore();
    vol.writeFileSync(
      '/app/secrets/.dev.json.lock',
      JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), time: Date.now() }),
    );
    await store.update('dev', () => emptyStage());
    expect(store.read('dev').stage).toBe('dev');
  });

  describe('locks no running writer can have left', () => {
    const LOCK = '/app/secrets/.dev.json.lock';
    const warnings: string[] = [];
    beforeEach(() => setLogger({ warn: (m) => warnings.push(m), notice: () => undefined }));
    afterEach(() => {
      setLogger(undefined);
      warnings.length = 0;
    });

    const recovers = async (lock: object) => {
      const { store, vol } = memStore();
      vol.writeFileSync(LOCK, JSON.stringify(lock));
      await store.update('dev', () => emptyStage());
      expect(store.read('dev').stage).toBe('dev');
      expect(vol.existsSync(LOCK)).toBe(false);
      return warnings.join('\n');
    };

    it('a committed lock dated far in the future is broken with a warning, not waited on for ever', async () => {
      const warned = await recovers({ pid: 1, host: 'ci', time: 99999999999999 });
      expect(warned).toMatch(/recovered a broken lock \/app\/secrets\/\.dev\.json\.lock: it is dated in the future/);
    });

    it('a future date counts even when the named process is alive on this host', async () => {
      const warned = await recovers({ pid: process.pid, host: os.hostname(), time: Date.now() + 60 * 60_000 });
      expect(warned).toMatch(/recovered a broken lock .*dated in the future/);
    });

    it('a lock that names no possible process is broken', async () => {
      for (const lock of [
        { pid: 0, host: 'ci', time: Date.now() },
        { pid: -4, host: os.hostname(), time: Date.now() },
        { pid: 1.5, host: 'ci', time: Date.now() },
        { pid: 7, host: '', time: Date.now() },
      ]) {
        expect(await recovers(lock), JSON.stringify(lock)).toMatch(/recovered a broken lock .*names no process/);
        warnings.length = 0;
      }
    });

    it('a lock of another host older than the stale limit is recovered, naming the host only if it is a plain name', async () => {
      const warned = await recovers({ pid: 4242, host: 'build-7.example', time: Date.now() - 11 * 60_000 });
      expect(warned).toMatch(/recovered a stale lock .*\.dev\.json\.lock left by process 4242 on build-7\.example/);
      warnings.length = 0;
      const hostile = await recovers({ pid: 4242, host: 'x\n::error::injected', time: Date.now() - 11 * 60_000 });
      expect(hostile).toMatch(/left by process 4242 on another host/);
      expect(hostile).not.toContain('injected');
    });

    it('still waits for a live writer: a fresh lock of another host, or one a few seconds ahead (clock skew)', async () => {
      for (const lock of [
        { pid: 4242, host: 'build-7.example', time: Date.now() },
        { pid: process.pid, host: os.hostname(), time: Date.now() + 5_000 },
      ]) {
        const { vol, fs } = memStore();
        vol.writeFileSync(LOCK, JSON.stringify(lock));
        const store = storeOn(fs, 200);
        await expect(
          store.update('dev', () => emptyStage()),
          JSON.stringify(lock),
        ).rejects.toThrow(/locked by process \d+/);
        expect(vol.readFileSync(LOCK, 'utf8')).toBe(JSON.stringify(lock));
      }
      expect(warnings).toEqual([]);
    });
  });

  it('times out on a lock held by a live process, naming the lock file', async () => {
    const { vol, fs } = memStore();
    vol.writeFileSync(
      '/app/secrets/.dev.json.lock',
      JSON.stringify({ pid: process.pid, host: os.hostname(), time: Date.now() }),
    );
    const store = storeOn(fs, 200);
    await expect(store.update('dev', () => emptyStage())).rejects.toThrow(/locked by process \d+.*\.dev\.json\.lock/);
  });
});

function errorOf(fn: () => unknown): StageSecretsError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StageSecretsError) return err;
    throw err;
  }
  throw new Error('expected a StageSecretsError, nothing was thrown');
}

function bind(fs: StoreFs): StoreFs {
  const out: Record<string, unknown> = {};
  const reads = ['readFileSync', 'readSync', 'fstatSync', 'statSync', 'lstatSync', 'realpathSync'] as const;
  const writes = ['writeSync', 'openSync', 'closeSync', 'fsyncSync', 'renameSync', 'unlinkSync', 'mkdirSync'] as const;
  const checks = ['existsSync'] as const;
  for (const key of [...reads, ...writes, ...checks]) {
    out[key] = (fs[key] as (...a: unknown[]) => unknown).bind(fs);
  }
  return out as unknown as StoreFs;
}

/** `file` reports size 0 and yields bytes for ever, whichever way it is read. */
function endlessFile(fs: StoreFs, file: string): StoreFs {
  const base = bind(fs);
  const endlessFds = new Set<number>();
  const zeroSize = <T extends { size: number }>(st: T): T =>
    Object.assign(Object.create(Object.getPrototypeOf(st) as object) as T, st, { size: 0 });
  return {
    ...base,
    statSync: (p) => (p === file ? zeroSize(base.statSync(p)) : base.statSync(p)),
    readFileSync: (p, enc) => (p === file ? ' '.repeat(64 * 1024 * 1024 + 1) : base.readFileSync(p, enc)),
    openSync: (p, flags, mode) => {
      const fd = base.openSync(p, flags, mode);
      if (p === file) endlessFds.add(fd);
      return fd;
    },
    closeSync: (fd) => {
      endlessFds.delete(fd);
      base.closeSync(fd);
    },
    fstatSync: (fd) => (endlessFds.has(fd) ? zeroSize(base.fstatSync(fd)) : base.fstatSync(fd)),
    readSync: (fd, buffer, offset, length, position) => {
      if (!endlessFds.has(fd)) return base.readSync(fd, buffer, offset, length, position);
      buffer.fill(0x20, offset, offset + length);
      return length;
    },
  };
}
