import * as fs from 'node:fs';
import * as path from 'node:path';

/** What to hand to spawn(): on Windows a batch file (npx.cmd, any node_modules/.bin shim) goes through cmd.exe. */
export interface SpawnTarget {
  file: string;
  args: string[];
  /** Windows only: the command line is already quoted for cmd.exe */
  windowsVerbatimArguments?: boolean;
}

export interface ResolveContext {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** whether a file exists (tests pass their own) */
  isFile?: (file: string) => boolean;
}

const isFileOnDisk = (file: string): boolean => {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
};

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  // Windows env names are case-insensitive (Path, PATH)
  const key = Object.keys(env).find((k) => k.toUpperCase() === name);
  return key === undefined ? undefined : env[key];
}

/** The file Windows would run for `command`: through PATH and PATHEXT, as cmd.exe looks it up. */
export function findOnWindowsPath(command: string, ctx: ResolveContext): string | undefined {
  const win = path.win32;
  const isFile = ctx.isFile ?? isFileOnDisk;
  const exts = (envValue(ctx.env, 'PATHEXT') ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean);
  const candidates = (base: string) =>
    win.extname(base) && exts.some((e) => e.toLowerCase() === win.extname(base).toLowerCase())
      ? [base]
      : exts.map((e) => base + e.toLowerCase());
  const hasDir = /[\\/]/.test(command);
  const dirs = hasDir ? [''] : [ctx.cwd, ...(envValue(ctx.env, 'PATH') ?? '').split(';').filter(Boolean)];
  for (const dir of dirs) {
    const base = hasDir ? win.resolve(ctx.cwd, command) : win.join(dir, command);
    for (const candidate of candidates(base)) if (isFile(candidate)) return candidate;
  }
  return undefined;
}

const CMD_META = /([()\][%!^"`<>&|;, *?])/g;

/** One argument quoted for CreateProcess (the MSVC rules: backslashes double only before a quote). */
function quoteForCreateProcess(arg: string): string {
  let quoted = arg.replace(/(\\*)"/g, '$1$1\\"');
  quoted = quoted.replace(/(\\*)$/, '$1$1');
  return `"${quoted}"`;
}

/** The argument as cmd.exe must see it: quoted, then cmd's own metacharacters escaped with ^. */
function escapeArgForCmd(arg: string, twice: boolean): string {
  let escaped = quoteForCreateProcess(arg).replace(CMD_META, '^$1');
  // npm's .cmd shims hand %* to another command line, which cmd parses again
  if (twice) escaped = escaped.replace(CMD_META, '^$1');
  return escaped;
}

/**
 * How to start `command` without a shell: as is on POSIX (and for .exe files on Windows); a batch
 * file on Windows through `cmd.exe /d /s /c` with every argument escaped, since Node 20.12 refuses to
 * start .cmd/.bat files directly, and a shell would otherwise interpret the arguments.
 */
export function spawnTarget(command: string, args: string[], ctx: ResolveContext): SpawnTarget {
  if (ctx.platform !== 'win32') return { file: command, args };
  const found = findOnWindowsPath(command, ctx);
  if (found === undefined || !/\.(cmd|bat)$/i.test(found)) return { file: found ?? command, args };
  const shim = /node_modules[\\/]\.bin[\\/][^\\/]+\.cmd$/i.test(found);
  const line = [
    path.win32.normalize(found).replace(CMD_META, '^$1'),
    ...args.map((a) => escapeArgForCmd(a, shim)),
  ].join(' ');
  return {
    file: envValue(ctx.env, 'COMSPEC') ?? 'cmd.exe',
    args: ['/d', '/s', '/c', `"${line}"`],
    windowsVerbatimArguments: true,
  };
}
