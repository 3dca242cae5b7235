import { describe, expect, it } from 'vitest';
import { findOnWindowsPath, spawnTarget, type ResolveContext } from '../../../src/runner/command-line.js';

/** A Windows machine on paper: these files exist, nothing else. */
function windows(files: string[], env: NodeJS.ProcessEnv = {}): ResolveContext {
  const present = new Set(files.map((f) => f.toLowerCase()));
  return {
    platform: 'win32',
    cwd: 'C:\\work\\app',
    env: { Path: 'C:\\nodejs;C:\\Windows\\system32', PATHEXT: '.COM;.EXE;.BAT;.CMD', ...env },
    isFile: (f) => present.has(f.toLowerCase()),
  };
}

describe('spawnTarget', () => {
  it('starts a command as it is on Linux and macOS, whatever it looks like', () => {
    for (const platform of ['linux', 'darwin'] as const) {
      expect(spawnTarget('npx', ['serverless', 'a&b'], { platform, env: {}, cwd: '/app' })).toEqual({
        file: 'npx',
        args: ['serverless', 'a&b'],
      });
    }
  });

  it('finds npx.cmd through Path and PATHEXT (names are case-insensitive) and starts it through cmd.exe', () => {
    const ctx = windows(['C:\\nodejs\\npx.cmd'], { COMSPEC: 'C:\\Windows\\system32\\cmd.exe' });
    expect(findOnWindowsPath('npx', ctx)).toBe('C:\\nodejs\\npx.cmd');
    expect(spawnTarget('npx', ['serverless', 'deploy'], ctx)).toEqual({
      file: 'C:\\Windows\\system32\\cmd.exe',
      args: ['/d', '/s', '/c', '"C:\\nodejs\\npx.cmd ^"serverless^" ^"deploy^""'],
      windowsVerbatimArguments: true,
    });
  });

  it('escapes every argument so cmd.exe runs nothing of it: metacharacters, quotes, % and backslashes', () => {
    const ctx = windows(['C:\\nodejs\\deploy.bat']);
    const { args } = spawnTarget('deploy', ['a&b|c', '%PATH%', 'say "hi"', 'C:\\dir\\', '(x)<y>^z'], ctx);
    expect(args[3]).toBe(
      '"C:\\nodejs\\deploy.bat ^"a^&b^|c^" ^"^%PATH^%^" ^"say^ \\^"hi\\^"^" ^"C:\\dir\\\\^" ^"^(x^)^<y^>^^z^""',
    );
  });

  it('escapes twice for npm shims in node_modules\\.bin, which hand the arguments to a second command line', () => {
    const ctx = windows(['C:\\work\\app\\node_modules\\.bin\\serverless.cmd']);
    const { args } = spawnTarget('node_modules\\.bin\\serverless', ['a&b'], ctx);
    expect(args[3]).toBe('"C:\\work\\app\\node_modules\\.bin\\serverless.cmd ^^^"a^^^&b^^^""');
  });

  it('starts an .exe directly, and leaves an unknown command to spawn (which reports it as not found)', () => {
    const ctx = windows(['C:\\nodejs\\node.exe', 'C:\\nodejs\\node.cmd']);
    expect(spawnTarget('node', ['-e', '1&2'], ctx)).toEqual({ file: 'C:\\nodejs\\node.exe', args: ['-e', '1&2'] });
    expect(spawnTarget('nope', ['x'], ctx)).toEqual({ file: 'nope', args: ['x'] });
  });

  it('takes an explicit extension and a path relative to the working folder', () => {
    const ctx = windows(['C:\\work\\app\\scripts\\build.cmd']);
    expect(findOnWindowsPath('scripts\\build.cmd', ctx)).toBe('C:\\work\\app\\scripts\\build.cmd');
    expect(findOnWindowsPath('scripts/build', ctx)).toBe('C:\\work\\app\\scripts\\build.cmd');
    expect(spawnTarget('scripts\\build', [], ctx).file).toBe('cmd.exe');
  });
});
