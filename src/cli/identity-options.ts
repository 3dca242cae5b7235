import { identityFlags, identitySpecs, type FlagValues, type IdentitySpec } from '../identities/index.js';
import type { OptionSpec } from './command.js';

/** The parseArgs options of every identity kind's flags (init, rewrap). */
export function identityOptions(): OptionSpec {
  const options: OptionSpec = {};
  for (const flag of identityFlags()) {
    options[flag.name] =
      flag.type === 'boolean' ? { type: 'boolean' } : { type: 'string', multiple: flag.multiple === true };
  }
  return options;
}

/** The options that take a value, as typed ("--kms"), so main.ts does not read a value as a command. */
export function identityValueOptions(): string[] {
  return identityFlags()
    .filter((flag) => flag.type === 'string')
    .map((flag) => `--${flag.name}`);
}

/** Help lines of the kinds' flags, aligned. */
export function identityOptionsHelp(): string {
  const flags = identityFlags().map((flag) => ({
    left: `  --${flag.name}${flag.value ? ` ${flag.value}` : ''}${flag.multiple ? ' (repeatable)' : ''}`,
    help: flag.help,
  }));
  // at least the column of the commands' own options ("  --remove ID    ")
  const width = Math.max(17, ...flags.map((f) => f.left.length + 2));
  return flags.map((f) => `${f.left.padEnd(width)}${f.help}`).join('\n');
}

/** The identities the flags ask for, in registry order; throws USAGE for a flag given without its partner. */
export function identitySpecsFrom(command: string, values: FlagValues): IdentitySpec[] {
  return identitySpecs(values, command);
}

/** The flags that add an identity, for messages: "--kms KEY_ID, --local, ...". */
export function identityValueFlags(): string {
  return identityFlags()
    .filter((flag) => !flag.partner)
    .map((flag) => `--${flag.name}${flag.value ? ` ${flag.value}` : ''}`)
    .join(', ');
}
