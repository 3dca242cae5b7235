import { parseArgs, type ParseArgsConfig } from 'node:util';
import { StageSecretsError } from '../core/errors.js';
import { assertStageName, KEY_NAME_PATTERN, NOT_SHOWN } from '../core/names.js';
import { fallbacksFromEnv, parseFallback, type StageFallback } from '../stages/locate.js';
import type { StageOptions } from '../stages/options.js';

/** How parseArgs quotes an option: '-s', '--stage', '-s, --stage <value>', and its '--stage=-XYZ' example. */
const OPTION_TEXT = /^(-[A-Za-z]|--[A-Za-z][A-Za-z0-9-]{0,40})(, --[A-Za-z][A-Za-z0-9-]{0,40})?( <value>|=-XYZ)?$/;

/** One option of a command: how it parses, how its help reads, what shell completion offers for its value. */
export interface OptionDef {
  type: 'string' | 'boolean';
  short?: string;
  /** a string option that may be given more than once */
  multiple?: boolean;
  /** the value's placeholder in help and usage, e.g. S, DIR */
  value?: string;
  /** its help; further lines are indented under the first */
  help: string;
  /** what completion offers for the value: a file, a folder, a stage name, or fixed words */
  complete?: 'file' | 'dir' | 'stage' | readonly string[];
}

export type OptionSpec = Record<string, OptionDef>;

/** Options every stage command takes. */
export const STAGE_OPTIONS = {
  stage: { type: 'string', short: 's', value: 'S', help: 'stage name (required)', complete: 'stage' },
  dir: {
    type: 'string',
    value: 'DIR',
    help: `secrets folder (default: $STAGE_SECRETS_DIR, else the nearest secrets/ holding a
stage file, from this folder upward, not past the git root)`,
    complete: 'dir',
  },
  app: {
    type: 'string',
    value: 'NAME',
    help: 'refuse the stage file unless it belongs to app NAME (the app is the one init recorded)',
  },
} as const satisfies OptionSpec;

/** --fallback for the commands that read a stage's secrets (run, export). */
export const FALLBACK_OPTION = {
  fallback: {
    type: 'string',
    multiple: true,
    value: 'PATTERN=STAGE',
    help: `preview stages: a stage with no stage file whose name matches PATTERN (* is any
run of stage-name characters) uses STAGE's file and key, e.g. --fallback 'pr-*=dev'.
Repeatable, first match wins; default $STAGE_SECRETS_FALLBACKS ("pr-*=dev,...").
A stage that has its own file never falls back; one with neither is an error.`,
  },
} as const satisfies OptionSpec;

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface Parsed<O extends OptionSpec> {
  values: {
    [K in keyof O]?: O[K] extends { type: 'boolean' } ? boolean : O[K] extends { multiple: true } ? string[] : string;
  };
  positionals: string[];
  /** the arguments as given (after the command name) */
  argv: string[];
}

/**
 * One command: everything the parser, `--help`, the top-level usage, shell completion, the README check
 * and the tests know of it. A new command is a file exporting `command = defineCommand({...})` plus one
 * line in registry.ts.
 */
export interface CommandSpec<O extends OptionSpec = OptionSpec> {
  name: string;
  /** one line for the top-level usage and completion */
  summary: string;
  /** what follows "Usage: " (further forms on their own lines) */
  usage: string;
  /** the help text between the usage and the options */
  description: string;
  options: O;
  /** help text after the options (exit codes, an example) */
  footer?: string;
  /**
   * none (the default): no positional arguments; 'any': words (names, files); 'command': the first word
   * (or everything after --) starts a child command, and every argument from there is the child's
   */
  positionals?: 'none' | 'any' | 'command';
  /** for commands whose arguments may be secret values: an unknown option is not echoed */
  hideUnknown?: boolean;
  /** a check of the raw arguments before they are parsed (an option refused with its own reason) */
  refuse?(argv: string[]): void;
  /** Returns the exit code. */
  run(args: Parsed<O>, io: CliIo): Promise<number>;
}

/** Keeps the options' literal types so `run` sees typed values. */
export function defineCommand<const O extends OptionSpec>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

export const HELP_OPTION = {
  help: { type: 'boolean', short: 'h', help: 'show this help' },
} as const satisfies OptionSpec;

/** The node:util parseArgs options of a spec (its own and --help). */
export function parseArgsOptions(options: OptionSpec): NonNullable<ParseArgsConfig['options']> {
  const out: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, o] of Object.entries<OptionDef>({ ...options, ...HELP_OPTION })) {
    out[name] =
      o.type === 'boolean'
        ? { type: 'boolean', ...(o.short ? { short: o.short } : {}) }
        : { type: 'string', multiple: o.multiple === true, ...(o.short ? { short: o.short } : {}) };
  }
  return out;
}

/** `[options] [--] CMD ARGS...`: everything from the first word (or after --) on belongs to the child. */
function splitAtCommand(argv: string[], options: OptionSpec): { own: string[]; child: string[] } {
  const { tokens } = parseArgs({
    args: argv,
    options: parseArgsOptions(options),
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind === 'option-terminator')
      return { own: argv.slice(0, token.index), child: argv.slice(token.index + 1) };
    if (token.kind === 'positional') return { own: argv.slice(0, token.index), child: argv.slice(token.index) };
  }
  return { own: argv, child: [] };
}

/** Parses a command's arguments by its spec; a bad option is a USAGE error pointing to its --help. */
export function parseCommandArgs<O extends OptionSpec>(
  spec: CommandSpec<O>,
  argv: string[],
): Parsed<O> & { help: boolean } {
  const mode = spec.positionals ?? 'none';
  const { own, child } = mode === 'command' ? splitAtCommand(argv, spec.options) : { own: argv, child: [] };
  try {
    const { values, positionals } = parseArgs({
      args: own,
      options: parseArgsOptions(spec.options),
      allowPositionals: mode === 'any',
      strict: true,
    });
    const help = values.help === true;
    delete values.help;
    return { values: values as Parsed<O>['values'], positionals: mode === 'command' ? child : positionals, argv, help };
  } catch (err) {
    let message = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    const unknown = /^Unknown option/.test(message);
    if (unknown && spec.hideUnknown) message = 'Unknown option (not shown, as it may be a value)';
    // parseArgs quotes what it refuses: an unexpected argument or a dash value may be a secret value
    message = message.replace(/'([^'\n]*)'/g, (quoted, inner: string) =>
      OPTION_TEXT.test(inner) ? quoted : NOT_SHOWN,
    );
    const hint = unknown ? ' (a value that starts with - goes after --)' : '';
    throw new StageSecretsError('USAGE', `${message}${hint}. See: stage-secrets ${spec.name} --help`);
  }
}

/** Runs a command: its --help, else its run with the parsed arguments. */
export async function runCommand(spec: CommandSpec, argv: string[], io: CliIo): Promise<number> {
  spec.refuse?.(argv);
  const parsed = parseCommandArgs(spec, argv);
  if (parsed.help) {
    write(io.stdout, renderHelp(spec));
    return 0;
  }
  return spec.run(parsed, io);
}

function optionLeft(name: string, o: OptionDef): string {
  const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`;
  return `  ${flag}`;
}

/** The options' help: flags on the left, help aligned in one column, further lines under it. */
export function renderOptions(options: OptionSpec): string {
  const rows = Object.entries<OptionDef>({ ...options, ...HELP_OPTION }).map(([name, o]) => ({
    left: optionLeft(name, o),
    help: o.help,
  }));
  // one column for the help, as wide as the flags that fit in 22; a longer flag gets a line of its own
  const width = Math.max(18, ...rows.map((r) => r.left.length + 2).filter((w) => w <= 22));
  return rows
    .map(({ left, help }) => {
      const [first, ...more] = help.split('\n');
      const head = left.length + 2 > width ? `${left}\n${' '.repeat(width)}${first}` : `${left.padEnd(width)}${first}`;
      return [head, ...more.map((line) => `${' '.repeat(width)}${line}`)].join('\n');
    })
    .join('\n');
}

/** `stage-secrets X --help`, all from the spec. */
export function renderHelp(spec: CommandSpec): string {
  const parts = [`Usage: ${spec.usage}`, '', spec.description, renderOptions(spec.options)];
  if (spec.footer) parts.push(spec.footer);
  return parts.join('\n');
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
