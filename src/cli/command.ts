import { parseArgs, type ParseArgsConfig } from 'node:util';
import { StageSecretsError } from '../core/errors.js';
import { assertStageName, KEY_NAME_PATTERN, NOT_SHOWN } from '../core/names.js';
import { fallbacksFromEnv, parseFallback, type StageFallback } from '../stages/locate.js';
import type { StageOptions } from '../stages/options.js';

/** How parseArgs quotes an option: '-s', '--stage', '-s, --stage <value>', and its '--stage=-XYZ' example. */
const OPTION_TEXT = /^(-[A-Za-z]|--[A-Za-z][A-Za-z0-9-]{0,40})(, --[A-Za-z][A-Za-z0-9-]{0,40})?( <value>|=-XYZ)?$/;

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Options every stage command takes. */
export const STAGE_OPTIONS = {
  stage: { type: 'string', short: 's' },
  dir: { type: 'string' },
  app: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

export const STAGE_OPTIONS_HELP = `  -s, --stage S   stage name (required)
      --dir DIR   secrets folder (default: $STAGE_SECRETS_DIR, else the nearest secrets/ holding a
                  stage file, from this folder upward, not past the git root)
      --app NAME  refuse the stage file unless it belongs to app NAME (the app is the one init recorded)
  -h, --help      show this help`;

/** --fallback for the commands that read a stage's secrets (run, export). */
export const FALLBACK_OPTION = { fallback: { type: 'string', multiple: true } } as const satisfies OptionSpec;

export const FALLBACK_HELP = `      --fallback PATTERN=STAGE
                  preview stages: a stage with no stage file whose name matches PATTERN (* is any
                  run of stage-name characters) uses STAGE's file and key, e.g. --fallback 'pr-*=dev'.
                  Repeatable, first match wins; default $STAGE_SECRETS_FALLBACKS ("pr-*=dev,...").
                  A stage that has its own file never falls back; one with neither is an error.`;

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface Command {
  name: string;
  help: string;
  /** Returns the exit code. */
  run(argv: string[], io: CliIo): Promise<number>;
}

export interface Parsed<O extends OptionSpec> {
  values: {
    [K in keyof O]?: O[K] extends { type: 'boolean' } ? boolean : O[K] extends { multiple: true } ? string[] : string;
  };
  positionals: string[];
}

/** `hideUnknown`: for commands whose arguments may be secret values, do not echo an unknown option. */
export function parse<O extends OptionSpec>(
  command: string,
  argv: string[],
  options: O,
  allowPositionals = true,
  hideUnknown = false,
): Parsed<O> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals, strict: true });
    return { values: values as Parsed<O>['values'], positionals };
  } catch (err) {
    let message = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    const unknown = /^Unknown option/.test(message);
    if (unknown && hideUnknown) message = 'Unknown option (not shown, as it may be a value)';
    // parseArgs quotes what it refuses: an unexpected argument or a dash value may be a secret value
    message = message.replace(/'([^'\n]*)'/g, (quoted, inner: string) =>
      OPTION_TEXT.test(inner) ? quoted : NOT_SHOWN,
    );
    const hint = unknown ? ' (a value that starts with - goes after --)' : '';
    throw new StageSecretsError('USAGE', `${message}${hint}. See: stage-secrets ${command} --help`);
  }
}

/**
 * Turns --stage/--dir/--app into stage options. The app is the one recorded in the stage file; only an
 * explicit --app is checked against it.
 */
export function stageOptions(
  command: string,
  values: { stage?: string; dir?: string; app?: string },
  io: CliIo,
): StageOptions {
  if (!values.stage) {
    throw new StageSecretsError('USAGE', `${command} needs --stage S. See: stage-secrets ${command} --help`);
  }
  assertStageName(values.stage);
  if (values.dir === '') throw new StageSecretsError('USAGE', '--dir needs a folder path.');
  const app = values.app === undefined ? undefined : { name: values.app, from: '--app' };
  return { stage: values.stage, dir: values.dir, app, cwd: io.cwd, env: io.env };
}

/** --fallback rules, else those of STAGE_SECRETS_FALLBACKS. */
export function fallbackOptions(values: { fallback?: string[] }, io: CliIo): StageFallback[] {
  if (values.fallback?.length) return values.fallback.map((text) => parseFallback(text, '--fallback'));
  return fallbacksFromEnv(io.env);
}

/**
 * Checks a secret name typed on the command line without repeating it: when KEY and VALUE are swapped,
 * the "name" is a secret value, and an error message would print it into the terminal or CI log.
 */
export function checkNameArgument(name: string, usage: string): void {
  if (!KEY_NAME_PATTERN.test(name)) {
    throw new StageSecretsError(
      'INVALID_NAME',
      `invalid secret name (not shown, in case a value was typed in its place): use a letter, then letters, digits or _ (at most 100 characters). Usage: ${usage}`,
    );
  }
}

export function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}
