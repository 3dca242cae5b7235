import { StageSecretsError } from '../../core/errors.js';
import { removeSecrets } from '../../stages/secrets.js';
import { checkNameArgument, parse, stageOptions, STAGE_OPTIONS, STAGE_OPTIONS_HELP, write, type Command } from '../command.js';

export const command: Command = {
  name: 'rm',
  help: `Usage: stage-secrets rm --stage S KEY [KEY...]

Removes the named secrets from secrets/<S>.json. Git history still holds the old sealed value:
rotate the secret itself at its source if it leaked.

${STAGE_OPTIONS_HELP}`,
  async run(argv, io) {
    const { values, positionals } = parse('rm', argv, STAGE_OPTIONS);
    if (values.help) return write(io.stdout, this.help), 0;
    const opts = stageOptions('rm', values, io);
    if (positionals.length === 0) throw new StageSecretsError('USAGE', 'rm needs at least one secret name: stage-secrets rm --stage S KEY');
    for (const name of positionals) checkNameArgument(name, 'stage-secrets rm --stage S KEY [KEY...]');
    await removeSecrets(opts, positionals);
    write(io.stderr, `removed ${positionals.join(', ')} from stage ${opts.stage}`);
    return 0;
  },
};
