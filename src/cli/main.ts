#!/usr/bin/env node
import { isStageSecretsError } from '../core/errors.js';
import { closestWord } from '../core/did-you-mean.js';
import type { CliIo, Command } from './command.js';
import { exitCodeOf } from './exit-codes.js';
import { identityValueOptions } from './identity-options.js';

// One module per command, imported only when that command runs (start-up stays small for `run`).
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ command: Command }> }> = {
  init: { summary: 'create a stage file and its keypair', load: () => import('./commands/init.js') },
  set: { summary: 'add or replace a secret (needs no private key)', load: () => import('./commands/set.js') },
  list: { summary: 'show secret names, types and dates (never values)', load: () => import('./commands/list.js') },
  rm: { summary: 'remove secrets (needs no private key)', load: () => import('./commands/rm.js') },
  import: {
    summary: 'add every entry of a dotenv file (needs no private key)',
    load: () => import('./commands/import.js'),
  },
  run: {
    summary: 'run a command with the stage secrets in its env, output masked',
    load: () => import('./commands/run.js'),
  },
  export: {
    summary: 'print or write the secrets as dotenv, json, github-env or shell',
    load: () => import('./commands/export.js'),
  },
  verify: { summary: 'open every secret and report integrity', load: () => import('./commands/verify.js') },
  rotate: { summary: 'new stage keypair, re-seal every value', load: () => import('./commands/rotate.js') },
  rewrap: { summary: 'add or remove identities; values untouched', load: () => import('./commands/rewrap.js') },
  approve: {
    summary: 'approve names that writers without the key added (needs the key)',
    load: () => import('./commands/approve.js'),
  },
  pull: {
    summary: 'fold newer values from the runtime store (S3) into the stage file (needs no key)',
    load: () => import('./commands/pull.js'),
  },
  check: {
    summary: 'check without a key that every stage has the names the code needs',
    load: () => import('./commands/check.js'),
  },
  upgrade: {
    summary: 'rewrite a v1/v2 stage file as v3, one file per secret (needs no key)',
    load: () => import('./commands/upgrade.js'),
  },
  review: {
    summary: 'what a change does to the stage files against a base commit, for pull requests (needs no key)',
    load: () => import('./commands/review.js'),
  },
  log: { summary: 'who changed which secret when, from git history', load: () => import('./commands/log.js') },
  'git-setup': {
    summary: 'set up git to merge and diff stage files (.gitattributes, git config)',
    load: () => import('./commands/git-setup.js'),
  },
  'merge-driver': {
    summary: 'merge a stage file entry by entry (called by git; needs no key)',
    load: () => import('./commands/merge-driver.js'),
  },
  console: {
    summary: 'a local settings page over the stage files (127.0.0.1 only, never shows values)',
    load: () => import('./commands/console.js'),
  },
  status: {
    summary: 'which deployed functions lag the stage (needs no key; AWS read access)',
    load: () => import('./commands/status.js'),
  },
  textconv: {
    summary: 'print a stage file for git diff: names, approval, digests (called by git)',
    load: () => import('./commands/textconv.js'),
  },
};

// Set by the bundler (scripts/bundle-cli.mjs); the unbundled build reads package.json instead.
declare const STAGE_SECRETS_VERSION: string | undefined;

async function version(): Promise<string> {
  if (typeof STAGE_SECRETS_VERSION === 'string') return STAGE_SECRETS_VERSION;
  const { createRequire } = await import('node:module');
  return (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'Usage: stage-secrets <command> --stage S [options]',
    '',
    'Encrypted per-stage secrets: anyone with the repo can add them, only the build can read them.',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Run "npx --no-install stage-secrets <command> --help" for a command\'s options; "stage-secrets --version" for the version.',
    'Exit codes: 0 ok, 1 usage or input error, 2 integrity or decrypt failure, 3 key access denied;',
    'run exits with the code of its command.',
  ].join('\n');
}

/** Options that take a value, so a command name is not mistaken for one when options come first. */
const VALUE_OPTIONS = new Set([
  '--expires',
  '--owner',
  '--warn-days',
  '--stage',
  '-s',
  '--dir',
  '--app',
  '--format',
  '--out',
  '-o',
  '--type',
  '-t',
  '--from-file',
  '-f',
  ...identityValueOptions(),
  '--remove',
  '--files-dir',
  '--mask-flush-ms',
  '--store',
  '--fallback',
  '--name',
  '--port',
  '-p',
]);

/** `--stage dev list --json` → `list --stage dev --json`: the command is the first word that is not an option or its value. */
function commandFirst(argv: string[]): string[] {
  if (argv.length === 0 || !argv[0]!.startsWith('-') || argv[0] === '--') return argv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return argv;
    if (!arg.startsWith('-'))
      return COMMANDS[arg] || arg === 'version' || arg === 'help'
        ? [arg, ...argv.slice(0, i), ...argv.slice(i + 1)]
        : argv;
    if (VALUE_OPTIONS.has(arg)) i++;
  }
  return argv;
}

function suggestion(name: string): string {
  const best = closestWord(name, Object.keys(COMMANDS));
  return best ? `; did you mean "${best}"?` : '';
}

async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = commandFirst(argv);
  if (!name) {
    io.stderr.write(`${usage()}\n`);
    return 1;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const target = name === 'help' ? rest[0] : undefined;
    if (target && COMMANDS[target]) return main([target, '--help'], io);
    io.stdout.write(`${usage()}\n`);
    return 0;
  }
  if (name === '--version' || name === '-V' || name === '-v' || name === 'version') {
    io.stdout.write(`${await version()}\n`);
    return 0;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    io.stderr.write(`stage-secrets: error: unknown command ${JSON.stringify(name)}${suggestion(name)}\n\n${usage()}\n`);
    return 1;
  }
  try {
    const { command } = await entry.load();
    return await command.run(rest, io);
  } catch (err) {
    if (isStageSecretsError(err)) {
      io.stderr.write(`stage-secrets: error: ${err.message}\n`);
      return exitCodeOf(err.code);
    }
    // An unexpected failure: report its kind and message but not its stack's data (no values pass here).
    io.stderr.write(`stage-secrets: internal error: ${(err as Error)?.message ?? String(err)}\n`);
    return 1;
  }
}

const io: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
};
main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`stage-secrets: internal error: ${(err as Error)?.message ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
