import * as fs from 'node:fs';
import * as path from 'node:path';
import { StageSecretsError } from '../../core/errors.js';
import { stageViewOfText } from '../../stages/view.js';
import { defineCommand } from '../command.js';

export const command = defineCommand({
  name: 'textconv',
  summary: 'print a stage file for git diff: names, approval, digests (called by git)',
  usage: 'stage-secrets textconv FILE',
  description: `Called by git diff and git log -p (set up by stage-secrets git-setup): prints a stage file as review
reads it, without any key and without ciphertext: app, stage, a fingerprint of the public key,
identities, policy, approval epoch (from the first approve --revoke or --close on), then one line
per secret:
  NAME  TYPE  UPDATED  tagged (unverified)|pending  DIGEST
Without a key no approval tag is checked (a writer can make up one that looks right): "tagged
(unverified)" says the entry carries one. stage-secrets list with the key at hand checks them.
A lower approval epoch than before means the header was rolled back (see npx --no-install stage-secrets approve --help).
DIGEST is the first 12 hex digits of the SHA-256 of the sealed value: it changes whenever the value is set.`,
  options: {},
  positionals: 'any',
  async run({ positionals }, io) {
    if (positionals.length !== 1)
      throw new StageSecretsError('USAGE', 'textconv needs FILE. See: npx --no-install stage-secrets textconv --help');
    const file = positionals[0]!;
    let text: string;
    try {
      text = fs.readFileSync(path.resolve(io.cwd, file), 'utf8');
    } catch (err) {
      throw new StageSecretsError('IO', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'read failed'}`);
    }
    io.stdout.write(stageViewOfText(text, 'the stage file'));
    return 0;
  },
});
