import { StageSecretsError } from '../../core/errors.js';
import { removeSecrets } from '../../stages/secrets.js';
import {
  checkNameArgument,
  parse,
  stageOptions,
  STAGE_OPTIONS,
  STAGE_OPTIONS_HELP,
  write,
  type Command,
} from '../command.js';

export const command: Command = {
  name: 'rm',
  help: `Usage: stage-secrets rm --stage S KEY [KEY...]

Removes the named secrets from secrets/<S>.json. Git history still holds the old sealed value:
rotate the secret itself at its source if it leaked. It also holds the old approval of the name: a
writer could restore the old line and set a value of their own. To make the removal stick, a key
holder then runs: npx --no-install stage-secrets approve --stage S --revoke KEY...

${STAGE_OPTIONS_HELP}`,
  async run(argv, io) {
    const { values, positionals } = parse('rm', argv, STAGE_OPTIONS);
    if (values.help) {
      write(io.stdout, this.help);
      return 0;
    }
    const opts = stageOptions('rm', values, io);
    if (positionals.length === 0)
      throw new StageSecretsError(
        'USAGE',
        'rm needs at least one secret name: npx --no-install stage-secrets rm --stage S KEY',
      );
    for (const name of positionals) checkNameArgument(name, 'npx --no-install stage-secrets rm --stage S KEY [KEY...]');
    const { tagged } = await removeSecrets(opts, positionals);
    write(io.stderr, `removed ${positionals.join(', ')} from stage ${opts.stage}`);
    if (tagged.length) {
      const revoke = `npx --no-install stage-secrets approve --stage ${opts.stage} --revoke ${tagged.join(' ')}`;
      write(
        io.stderr,
        `${tagged.join(', ')} had an approval, which the old entry in git history still carries: a writer could ` +
          `restore it with a value of their own. To make the removal stick, a key holder runs: ${revoke}`,
      );
    }
    return 0;
  },
};
