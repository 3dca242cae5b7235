import { rotateStage } from '../../stages/rotate.js';
import { gitAddNote } from '../git-tracking.js';
import { parse, stageOptions, STAGE_OPTIONS, STAGE_OPTIONS_HELP, write, type Command } from '../command.js';

export const command: Command = {
  name: 'rotate',
  help: `Usage: stage-secrets rotate --stage S

Makes a new stage keypair, re-seals every value to it and re-wraps the new private key for every
identity of the stage (each must be usable here: KMS needs kms:Encrypt and kms:Decrypt, a local
identity needs its key). Values and identities stay; nothing is written if any step fails.
Rotating does not change the secret values themselves: after a leak, change them at their source.
In a git repository, rotate names the files to commit: the header and the stage folder.

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
    const gitNote = gitAddNote([], opts, 'the rotated stage', true);
    if (gitNote) write(io.stderr, gitNote);
    return 0;
  },
};
