import { StageSecretsError } from '../../core/errors.js';
import { publishStage } from '../../stages/publish.js';
import { defineCommand, stageOptions, STAGE_OPTIONS, write } from '../command.js';

export const command = defineCommand({
  name: 'publish',
  summary: 'write the stage values to SSM Parameter Store as SecureString, only what changed (needs the key)',
  usage: 'stage-secrets publish --stage S --to ssm:/PATH/ [--kms-key K] [--prune] [--resolve-refs]',
  description: `For other consumers of the same secrets (ECS tasks, other teams, other repositories): opens stage S
(a key holder's command, like run: pending names refuse it) and writes each secret to SSM Parameter
Store as a SecureString named PATH/NAME. Only what changed is written: a parameter that already holds
the value as a SecureString is left alone, so publishing twice writes nothing. Values never reach the
terminal or a log. Needs ssm:GetParametersByPath, ssm:PutParameter (ssm:DeleteParameters with --prune)
on PATH, and kms:Encrypt and kms:Decrypt on the key. See docs/aws-stores.md.
References (set --ref) are skipped and listed (and --prune leaves their parameters), unless
--resolve-refs, which publishes the value each target holds now (reading it needs the reference's
ssm:GetParameters / secretsmanager:GetSecretValue).`,
  options: {
    to: { type: 'string', value: 'ssm:/PATH/', help: 'the parameter path to write under' },
    'kms-key': {
      type: 'string',
      value: 'K',
      help: "the KMS key of the SecureString parameters (id, ARN or alias); default the account's aws/ssm key",
    },
    prune: {
      type: 'boolean',
      help: 'delete the parameters directly under PATH that the stage does not have (without it they are listed and left)',
    },
    'resolve-refs': {
      type: 'boolean',
      help: 'publish each reference as the value its target holds now (default: skip references)',
    },
    ...STAGE_OPTIONS,
  },
  async run({ values }, io) {
    const opts = stageOptions('publish', values, io);
    if (!values.to)
      throw new StageSecretsError('USAGE', 'publish needs --to ssm:/PATH/. See: stage-secrets publish --help');
    if (values['kms-key'] === '') throw new StageSecretsError('USAGE', '--kms-key needs a key id, ARN or alias.');
    const { path, counts, skippedReferences } = await publishStage(opts, values.to, {
      kmsKey: values['kms-key'],
      prune: values.prune === true,
      resolveRefs: values['resolve-refs'] === true,
    });
    write(
      io.stderr,
      `published stage ${opts.stage} to ssm:${path}: ${counts.written.length} written, ${counts.unchanged.length} unchanged` +
        (values.prune ? `, ${counts.pruned.length} deleted` : ''),
    );
    if (counts.written.length) write(io.stderr, `written: ${counts.written.join(', ')}`);
    if (skippedReferences.length) {
      write(
        io.stderr,
        `references skipped (publish their resolved values with --resolve-refs): ${skippedReferences.join(', ')}`,
      );
    }
    if (counts.pruned.length) write(io.stderr, `deleted: ${counts.pruned.join(', ')}`);
    if (counts.extra.length) {
      write(
        io.stderr,
        `left under ssm:${path} (not in stage ${opts.stage}; delete them with --prune): ${counts.extra.join(', ')}`,
      );
    }
    return 0;
  },
});
