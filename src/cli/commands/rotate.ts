import { rotateStage } from '../../stages/rotate.js';
import { parse, stageOptions, STAGE_OPTIONS, STAGE_OPTIONS_HELP, write, type Command } from '../command.js';

export const command: Command = {
  name: 'rotate',
  help: `Usage: stage-secrets rotate --stage S

Makes a new stage keypair, re-seals every value to it and re-wraps the new private key for every
identity of the stage (each must be usable here: KMS needs kms:Encrypt and kms:Decrypt, a local
identity needs its key). Values and identities stay; nothing is written if any step fails.
Rotating does not change the secret values themselves: after a leak, change them at their source.
Only identity records a key holder confirmed get the new key: a record without a valid tag (added or
changed by hand or by a writer without the key, or made before records were tagged) is refused by name;
confirm it (npx --no-install stage-secrets approve --stage S --identities) or remove it (rewrap --remove).
A rotate that stopped half-way is finished by running it again; its state file secrets/.S.rotating.json is
trusted only when it is not committed and is sealed under the current stage key.

${STAGE_OPTIONS_HELP}`,
  async run(argv, io) {
    const { values } = parse('rotate', argv, STAGE_OPTIONS, false);
    if (values.help) {
      write(io.stdout, this.help);
      return 0;
    }
    const opts = stageOptions('rotate', values, io);
    const { secrets, identities } = await rotateStage(opts);
    write(
      io.stderr,
      `rotated stage ${opts.stage}: new keypair, ${secrets} secrets re-sealed; identities: ${identities.join(', ')}`,
    );
    return 0;
  },
};
