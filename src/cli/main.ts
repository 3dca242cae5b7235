#!/usr/bin/env node
import { isStageSecretsError } from '../core/errors.js';
import { escapeMessage } from '../core/escape.js';
import { closestWord } from '../core/did-you-mean.js';
import { type CliIo, runCommand } from './command.js';
import { splitCommandLine } from './command-line.js';
import { exitCodeOf } from '../core/exit-codes.js';
import { allCommands, COMMANDS, isCommandName, loadCommand } from './registry.js';

// Set by the bundler (scripts/bundle-cli.mjs); the unbundled build reads package.json instead.
declare const STAGE_SECRETS_VERSION: string | undefined;

async function version(): Promise<string> {
  if (typeof STAGE_SECRETS_VERSION === 'string') return STAGE_SECRETS_VERSION;
  const { createRequire } = await import('node:module');
  return (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;
}

async function usage(): Promise<string> {
  const commands = await allCommands();
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: stage-secrets <command> --stage S [options]',
    '',
    'Encrypted per-stage secrets: anyone with the repo can add them, only the build can read them.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run "npx --no-install stage-secrets <command> --help" for a command\'s options; "stage-secrets --version" for the version.',
    'Options may come before or after the command name.',
    'Exit codes: 0 ok, 1 usage or input error, 2 integrity or decrypt failure, 3 key access denied;',
    'run exits with the code of its command.',
  ].join('\n');
}

function suggestion(name: string): string {
  const best = closestWord(name, Object.keys(COMMANDS));
  return best ? `; did you mean "${best}"?` : '';
}

async function main(argv: string[], io: CliIo): Promise<number> {
  const { name, rest } = await splitCommandLine(argv, isCommandName, loadCommand);
  if (!name) {
    io.stderr.write(`${await usage()}\n`);
    return 1;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const target = name === 'help' ? rest[0] : undefined;
    if (target && isCommandName(target)) return main([target, '--help'], io);
    io.stdout.write(`${await usage()}\n`);
    return 0;
  }
  if (name === '--version' || name === '-V' || name === '-v' || name === 'version') {
    io.stdout.write(`${await version()}\n`);
    return 0;
  }
  if (!isCommandName(name)) {
    io.stderr.write(
      `stage-secrets: error: unknown command ${JSON.stringify(name)}${suggestion(name)}\n\n${await usage()}\n`,
    );
    return 1;
  }
  try {
    return await runCommand(await loadCommand(name), rest, io);
  } catch (err) {
    if (isStageSecretsError(err)) {
      // messages name files, services and functions a pull request chose: no line may be a CI command
      io.stderr.write(`stage-secrets: error: ${escapeMessage(err.message)}\n`);
      return exitCodeOf(err.code);
    }
    // An unexpected failure: report its kind and message but not its stack's data (no values pass here).
    io.stderr.write(`stage-secrets: internal error: ${escapeMessage((err as Error)?.message ?? String(err))}\n`);
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
