import type { CommandSpec, OptionDef } from './command.js';
import { HELP_OPTION } from './command.js';

/** Shell completion scripts, generated from the command specs: names, options, and what each option's value is. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const BIN = 'stage-secrets';

interface Flag {
  name: string;
  def: OptionDef;
}

function flagsOf(spec: CommandSpec): Flag[] {
  return Object.entries<OptionDef>({ ...spec.options, ...HELP_OPTION }).map(([name, def]) => ({ name, def }));
}

/** The first line of a help text, without the characters the shells' quoting would have to escape. */
function describe(text: string): string {
  return text
    .split('\n')[0]!
    .replace(/['"`$\\[\]:]/g, '')
    .trim();
}

function spellings(f: Flag): string[] {
  return [`--${f.name}`, ...(f.def.short ? [`-${f.def.short}`] : [])];
}

// A stage name is a stage file of the secrets folder ($STAGE_SECRETS_DIR, else ./secrets).
const BASH_STAGES = `_stage_secrets_stages() {
  local dir="\${STAGE_SECRETS_DIR:-secrets}" f
  for f in "$dir"/*.json; do [[ -e "$f" ]] && f="\${f##*/}" && printf '%s\\n' "\${f%.json}"; done
}`;

function bashValue(def: OptionDef): string {
  const c = def.complete;
  if (Array.isArray(c)) return `COMPREPLY=($(compgen -W "${c.join(' ')}" -- "$cur"))`;
  if (c === 'file') return 'COMPREPLY=($(compgen -f -- "$cur"))';
  if (c === 'dir') return 'COMPREPLY=($(compgen -d -- "$cur"))';
  if (c === 'stage') return 'COMPREPLY=($(compgen -W "$(_stage_secrets_stages)" -- "$cur"))';
  return 'COMPREPLY=()';
}

function bash(specs: CommandSpec[]): string {
  const names = specs.map((s) => s.name).join(' ');
  const valueCases: string[] = [];
  const optionCases: string[] = [];
  for (const spec of specs) {
    const flags = flagsOf(spec);
    for (const f of flags.filter((x) => x.def.type === 'string')) {
      const pattern = spellings(f)
        .map((w) => `${spec.name}:${w}`)
        .join('|');
      valueCases.push(`    ${pattern}) ${bashValue(f.def)}; return ;;`);
    }
    optionCases.push(`    ${spec.name}) opts="${flags.flatMap(spellings).join(' ')}" ;;`);
  }
  return `# ${BIN} completion for bash, generated from its command specs: ${BIN} completion bash
# Load it with: source <(npx --no-install ${BIN} completion bash)
${BASH_STAGES}

_stage_secrets() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" cmd="" opts="" i
  local commands="${names}"
  (( COMP_CWORD > 0 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  for (( i = 1; i < COMP_CWORD; i++ )); do
    if [[ "\${COMP_WORDS[i]}" != -* && " $commands " == *" \${COMP_WORDS[i]} "* ]]; then
      cmd="\${COMP_WORDS[i]}"
      break
    fi
  done
  COMPREPLY=()
  [[ -n "$cmd" && "$prev" == -* ]] && case "$cmd:$prev" in
${valueCases.join('\n')}
  esac
  if [[ -z "$cmd" ]]; then
    if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "--help --version" -- "$cur"))
    else COMPREPLY=($(compgen -W "$commands" -- "$cur")); fi
    return
  fi
  case "$cmd" in
${optionCases.join('\n')}
  esac
  [[ "$cur" == -* ]] && COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  return 0
}
complete -o default -F _stage_secrets ${BIN}
`;
}

function zshAction(def: OptionDef): string {
  const c = def.complete;
  if (def.type === 'boolean') return '';
  const value = (def.value ?? 'value').toLowerCase();
  if (Array.isArray(c)) return `:${value}:(${c.join(' ')})`;
  if (c === 'file') return `:${value}:_files`;
  if (c === 'dir') return `:${value}:_files -/`;
  if (c === 'stage') return `:${value}:_stage_secrets_stages`;
  return `:${value}: `;
}

function zsh(specs: CommandSpec[]): string {
  const commands = specs.map((s) => `    '${s.name}:${describe(s.summary)}'`).join('\n');
  const cases = specs.map((spec) => {
    const args = flagsOf(spec).map((f) => {
      const words = spellings(f);
      const repeat = f.def.multiple ? '*' : '';
      const spec = `[${describe(f.def.help)}]${zshAction(f.def)}'`;
      if (words.length === 1) return `        '${repeat}${words[0]}${spec}`;
      return `        ${repeat ? `'*'` : ''}'(${words.join(' ')})'{${words.join(',')}}'${spec}`;
    });
    const rest = spec.positionals && spec.positionals !== 'none' ? ["        '*::argument:_files'"] : [];
    return `    ${spec.name})\n      _arguments -s \\\n${[...args, ...rest].join(' \\\n')}\n      ;;`;
  });
  return `#compdef ${BIN}
# ${BIN} completion for zsh, generated from its command specs: ${BIN} completion zsh
# Load it with: source <(npx --no-install ${BIN} completion zsh), or save it as _${BIN} in a folder of $fpath.

_stage_secrets_stages() {
  local -a stages
  stages=(\${STAGE_SECRETS_DIR:-secrets}/*.json(N:t:r))
  _describe 'stage' stages
}

_stage_secrets() {
  local -a commands
  commands=(
${commands}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  local cmd=$words[2]
  shift words
  (( CURRENT-- ))
  case $cmd in
${cases.join('\n')}
  esac
}

compdef _stage_secrets ${BIN}
`;
}

function fishValue(def: OptionDef): string {
  const c = def.complete;
  if (def.type === 'boolean') return '';
  if (Array.isArray(c)) return ` -x -a '${c.join(' ')}'`;
  if (c === 'file') return ' -r -F';
  if (c === 'dir') return " -x -a '(__fish_complete_directories)'";
  if (c === 'stage') return " -x -a '(__stage_secrets_stages)'";
  return ' -x';
}

function fish(specs: CommandSpec[]): string {
  const names = specs.map((s) => s.name).join(' ');
  const lines = [
    `# ${BIN} completion for fish, generated from its command specs: ${BIN} completion fish`,
    `# Load it with: npx --no-install ${BIN} completion fish | source`,
    'function __stage_secrets_stages',
    '    set -l dir secrets',
    '    set -q STAGE_SECRETS_DIR; and set dir $STAGE_SECRETS_DIR',
    '    for f in $dir/*.json',
    "        string replace -r '^.*/(.*)\\.json$' '$1' -- $f",
    '    end',
    'end',
    `complete -c ${BIN} -f`,
    `complete -c ${BIN} -n "not __fish_seen_subcommand_from ${names}" -l help -s h -d 'show help'`,
    `complete -c ${BIN} -n "not __fish_seen_subcommand_from ${names}" -l version -s V -d 'print the version'`,
  ];
  for (const spec of specs) {
    lines.push(
      `complete -c ${BIN} -n "not __fish_seen_subcommand_from ${names}" -a ${spec.name} -d '${describe(spec.summary)}'`,
    );
    for (const f of flagsOf(spec)) {
      const short = f.def.short ? ` -s ${f.def.short}` : '';
      lines.push(
        `complete -c ${BIN} -n "__fish_seen_subcommand_from ${spec.name}" -l ${f.name}${short}${fishValue(f.def)} -d '${describe(f.def.help)}'`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

export function completionScript(shell: Shell, specs: CommandSpec[]): string {
  return shell === 'bash' ? bash(specs) : shell === 'zsh' ? zsh(specs) : fish(specs);
}
