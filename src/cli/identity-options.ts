import { identityFlags, identitySpecs, type FlagValues, type IdentitySpec } from '../identities/index.js';
import type { OptionSpec } from './command.js';

/** The options of every identity kind's flags (init, rewrap), with their help. */
export function identityOptions(): OptionSpec {
  const options: OptionSpec = {};
  for (const flag of identityFlags()) {
    options[flag.name] = {
      type: flag.type,
      ...(flag.type === 'string' ? { multiple: flag.multiple === true } : {}),
      ...(flag.value ? { value: flag.value } : {}),
      help: flag.multiple ? `(repeatable) ${flag.help}` : flag.help,
      ...(/FILE/.test(flag.value ?? '') ? { complete: 'file' as const } : {}),
    };
  }
  return options;
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
