import { parseArgs, type ParseArgsConfig } from 'node:util';
import { StageSecretsError } from '../core/errors.js';
import { assertStageName, KEY_NAME_PATTERN } from '../core/names.js';
import type { StageOptions } from '../stages/options.js';
import { resolveApp } from './app.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Options every stage command takes. */
export const STAGE_OPTIONS = {
  stage: { type: 'string', short: 's' },
  dir: { type: 'string' },
  app: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

export const STAGE_OPTIONS_HELP = `  -s, --stage S   stage name (required)
      --dir DIR   secrets folder (default: $STAGE_SECRETS_DIR or ./secrets)
      --app NAME  app name (default: serverless.yml service, package.json name, folder name)
  -h, --help      show this help`;

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
  values: { [K in keyof O]?: O[K] extends { type: 'boolean' } ? boolean : O[K] extends { multiple: true } ? string[] : string };
  positionals: string[];
}

/** `hideUnknown`: for commands whose arguments may be secret values, do not echo an unknown option. */
export function parse<O extends OptionSpec>(command: string, argv: string[], options: O, allowPositionals = true, hideUnknown = false): Parsed<O> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals, strict: true });
    return { values: values as Parsed<O>['values'], positionals };
  } catch (err) {
    let message = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    const unknown = /^Unknown option/.test(message);
    if (unknown && hideUnknown) message = 'Unknown option (not shown, as it may be a value)';
    const hint = unknown ? ' (a value that starts with - goes after --)' : '';
    throw new StageSecretsError('USAGE', `${message}${hint}. See: stage-secrets ${command} --help`);
  }
}

/** Turns --stage/--dir/--app into stage options; the app is resolved from the working folder. */
export function stageOptions(command: string, values: { stage?: string; dir?: string; app?: string }, io: CliIo): StageOptions {
  if (!values.stage) {
    throw new StageSecretsError('USAGE', `${command} needs --stage S. See: stage-secrets ${command} --help`);
  }
  assertStageName(values.stage);
  return { stage: values.stage, dir: values.dir, app: resolveApp(io.cwd, values.app), cwd: io.cwd, env: io.env };
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
