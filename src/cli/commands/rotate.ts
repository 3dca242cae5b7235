import { rotateStage } from '../../stages/rotate.js';
import { gitAddNote } from '../git-tracking.js';
import { defineCommand, stageOptions, STAGE_OPTIONS, write } from '../command.js';

export const command = defineCommand({
  name: 'rotate',
  summary: 'new stage keypair, re-seal every value',
  usage: 'stage-secrets rotate --stage S',
  description: `Makes a new stage keypair, re-seals every value to it and re-wraps the new private key for every
identity of the stage (each must be usable here: KMS needs kms:Encrypt and kms:Decrypt, a local
identity needs its key). Values and identities stay; nothing is written if any step fails.
Rotating does not change the secret values themselves: after a leak, change them at their source.
In a git repository, rotate names the files to commit: the header and the stage folder.`,
  options: { ...STAGE_OPTIONS },
  async run({ values }, io) {
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
});
