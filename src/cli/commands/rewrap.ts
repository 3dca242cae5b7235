import { StageSecretsError } from '../../core/errors.js';
import { rewrapStage } from '../../stages/rewrap.js';
import { defineCommand, stageOptions, STAGE_OPTIONS, write } from '../command.js';
import { identityOptions, identitySpecsFrom, identityValueFlags } from '../identity-options.js';

export const command = defineCommand({
  name: 'rewrap',
  summary: 'add or remove identities; values untouched',
  usage: 'stage-secrets rewrap --stage S [IDENTITY...] [--remove ID]',
  description: `Adds identities that can open the stage (the stage key must be openable here), and/or removes one
by its id (see verify, or the "id" fields in the stage file). The keypair and values do not change:
to lock out a removed identity for good, run rotate afterwards. Identities to add: the identity
options below.`,
  options: {
    ...identityOptions(),
    remove: { type: 'string', value: 'ID', help: 'remove identity ID (e.g. local:1a2b3c4d5e6f7a8b)' },
    ...STAGE_OPTIONS,
  },
  async run({ values }, io) {
    const opts = stageOptions('rewrap', values, io);
    const specs = identitySpecsFrom('rewrap', values);
    if (specs.length === 0 && !values.remove) {
      throw new StageSecretsError(
        'USAGE',
        `rewrap needs an identity to add (${identityValueFlags()}) or --remove ID. ` +
          'See: npx --no-install stage-secrets rewrap --help',
      );
    }
    const remove = typeof values.remove === 'string' ? values.remove : undefined;
    const result = await rewrapStage(opts, { add: specs, remove });
    for (const notice of result.notices) write(io.stderr, notice);
    write(io.stderr, `stage ${opts.stage} identities: ${result.identities.join(', ')}`);
    return 0;
  },
});
