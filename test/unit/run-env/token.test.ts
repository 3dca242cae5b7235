import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRunToken, readRunToken } from '../../../src/run-env/token.js';

const made: Array<() => void> = [];
afterAll(() => made.forEach((remove) => remove()));

function token(): ReturnType<typeof createRunToken> {
  const t = createRunToken();
  made.push(t.remove);
  return t;
}

/** A folder shaped like run's token folder, with a token an attacker knows, under `parent`. */
function lookalike(parent: string, { fileMode = 0o600, dirMode = 0o700 } = {}): string {
  const dir = path.join(parent, 'stage-secrets-run-fake');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'token');
  fs.writeFileSync(file, 'ab'.repeat(32));
  fs.chmodSync(file, fileMode);
  fs.chmodSync(dir, dirMode);
  return file;
}

const problem = (result: Buffer | { problem: string }): string | undefined =>
  Buffer.isBuffer(result) ? undefined : result.problem;
const posix = typeof process.getuid === 'function';

describe('run token', () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-token-test-'));
  made.push(() => fs.rmSync(scratch, { recursive: true, force: true }));
  const repo = path.join(scratch, 'repo');
  fs.mkdirSync(repo);

  it('run makes 32 random bytes in a fresh 0700 folder, 0600 file, outside the repository; remove() deletes it all', () => {
    const t = token();
    expect(t.token.length).toBe(32);
    expect(path.basename(path.dirname(t.file))).toMatch(/^stage-secrets-run-/);
    if (posix) {
      expect(fs.statSync(path.dirname(t.file)).mode & 0o777).toBe(0o700);
      expect(fs.statSync(t.file).mode & 0o777).toBe(0o600);
    }
    expect(readRunToken(t.file, [repo])).toEqual(t.token);
    expect(token().token.equals(t.token)).toBe(false);
    t.remove();
    expect(fs.existsSync(path.dirname(t.file))).toBe(false);
    expect(problem(readRunToken(t.file, [repo]))).toContain('does not exist (run removes it when it ends)');
  });

  it('refuses a token file inside the repository, even with the modes run gives it (a checkout under umask 077)', () => {
    const file = lookalike(path.join(repo, 'committed'));
    expect(problem(readRunToken(file, [repo]))).toContain(
      `is inside ${fs.realpathSync(repo)}, where a committed file could be`,
    );
  });

  it('refuses a token file reached through a link into the repository', () => {
    const inside = lookalike(path.join(repo, 'linked'));
    const link = path.join(scratch, 'stage-secrets-run-link');
    fs.symlinkSync(path.dirname(inside), link);
    expect(problem(readRunToken(path.join(link, 'token'), [repo]))).toContain('its folder is a link');
    const fileLinkDir = path.join(scratch, 'outside', 'stage-secrets-run-filelink');
    fs.mkdirSync(fileLinkDir, { recursive: true, mode: 0o700 });
    fs.chmodSync(fileLinkDir, 0o700);
    fs.symlinkSync(inside, path.join(fileLinkDir, 'token'));
    expect(problem(readRunToken(path.join(fileLinkDir, 'token'), [repo]))).toContain('is a link');
  });

  it.runIf(posix)('refuses a token file or folder that group or others may read', () => {
    expect(problem(readRunToken(lookalike(path.join(scratch, 'loose-file'), { fileMode: 0o644 }), [repo]))).toContain(
      'has mode 644, not 0600',
    );
    expect(problem(readRunToken(lookalike(path.join(scratch, 'loose-dir'), { dirMode: 0o755 }), [repo]))).toContain(
      'is in a folder that has mode 755, not 0700',
    );
  });

  it('refuses relative paths, other file names and content that is not a token', () => {
    expect(problem(readRunToken('stage-secrets-run-x/token', [repo]))).toContain('is not an absolute path');
    expect(problem(readRunToken(path.join(scratch, 'stage-secrets-run-x', 'key'), [repo]))).toContain(
      'is not a stage-secrets-run-*/token file',
    );
    expect(problem(readRunToken(path.join(scratch, 'elsewhere', 'token'), [repo]))).toContain(
      'is not a stage-secrets-run-*/token file',
    );
    const file = lookalike(path.join(scratch, 'not-hex'));
    fs.writeFileSync(file, 'z'.repeat(64));
    expect(problem(readRunToken(file, [repo]))).toContain('does not hold a token');
    fs.writeFileSync(file, 'ab'.repeat(33));
    expect(problem(readRunToken(file, [repo]))).toContain('does not hold a token');
  });
});
