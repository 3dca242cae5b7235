import { StageSecretsError } from '../../core/errors.js';
import { publishStage } from '../../stages/publish.js';
import { parse, stageOptions, STAGE_OPTIONS, STAGE_OPTIONS_HELP, write, type Command } from '../command.js';

const options = {
  ...STAGE_OPTIONS,
  to: { type: 'string' },
  'kms-key': { type: 'string' },
  prune: { type: 'boolean' },
} as const;

export const command: Command = {
  name: 'publish',
  help: `Usage: stage-secrets publish --stage S --to ssm:/PATH/ [--kms-key K] [--prune]

For other consumers of the same secrets (ECS tasks, other teams, other repositories): opens stage S
(a key holder's command, like run: pending names refuse it) and writes each secret to SSM Parameter
Store as a SecureString named PATH/NAME. Only what changed is written: a parameter that already holds
the value as a SecureString is left alone, so publishing twice writes nothing. Values never reach the
terminal or a log.
      --to ssm:/PATH/  the parameter path to write under
      --kms-key K      the KMS key of the SecureString parameters (id, ARN or alias); default the
                       account's aws/ssm key
      --prune          delete the parameters directly under PATH that the stage does not have
                       (without it they are listed and left)
Needs ssm:GetParametersByPath, ssm:PutParameter (ssm:DeleteParameters with --prune) on PATH, and
kms:Encrypt and kms:Decrypt on the key. See docs/aws-stores.md.

${STAGE_OPTIONS_HELP}`,
  async run(argv, io) {
    const { values, positionals } = parse('publish', argv, options, false);
    if (values.help) {
      write(io.stdout, this.help);
      return 0;
    }
    const opts = stageOptions('publish', values, io);
    if (positionals.length)
      throw new StageSecretsError('USAGE', 'publish takes no arguments. See: stage-secrets publish --help');
    if (!values.to)
      throw new StageSecretsError('USAGE', 'publish needs --to ssm:/PATH/. See: stage-secrets publish --help');
    if (values['kms-key'] === '') throw new StageSecretsError('USAGE', '--kms-key needs a key id, ARN or alias.');
    const { path, counts } = await publishStage(opts, values.to, {
      kmsKey: values['kms-key'],
      prune: values.prune === true,
    });
    write(
      io.stderr,
      `published stage ${opts.stage} to ssm:${path}: ${counts.written.length} written, ${counts.unchanged.length} unchanged` +
        (values.prune ? `, ${counts.pruned.length} deleted` : ''),
    );
    if (counts.written.length) write(io.stderr, `written: ${counts.written.join(', ')}`);
    if (counts.pruned.length) write(io.stderr, `deleted: ${counts.pruned.join(', ')}`);
    if (counts.extra.length) {
      write(
        io.stderr,
        `left under ssm:${path} (not in stage ${opts.stage}; delete them with --prune): ${counts.extra.join(', ')}`,
      );
    }
    return 0;
  },
};
