import { StageSecretsError } from '../../core/errors.js';
import { defineCommand } from '../command.js';
import { completionScript, type Shell, SHELLS } from '../completion.js';
import { allCommands } from '../registry.js';

export const command = defineCommand({
  name: 'completion',
  summary: 'print a shell completion script (bash, zsh or fish), made from the command specs',
  usage: 'stage-secrets completion bash|zsh|fish',
  description: `Prints a completion script for the shell: command names, each command's options, and their values
(formats and types, files, folders, the stage files of ./secrets or $STAGE_SECRETS_DIR).
  bash: source <(npx --no-install stage-secrets completion bash)   (in ~/.bashrc)
  zsh:  source <(npx --no-install stage-secrets completion zsh)    (in ~/.zshrc, after compinit)
  fish: npx --no-install stage-secrets completion fish > ~/.config/fish/completions/stage-secrets.fish`,
  options: {},
  positionals: 'any',
  async run({ positionals }, io) {
    const [shell, ...extra] = positionals;
    if (!shell || extra.length || !(SHELLS as readonly string[]).includes(shell)) {
      throw new StageSecretsError(
        'USAGE',
        `completion needs one shell: ${SHELLS.join(', ')}. See: npx --no-install stage-secrets completion --help`,
      );
    }
    io.stdout.write(completionScript(shell as Shell, await allCommands()));
    return 0;
  },
});
