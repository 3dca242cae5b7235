import * as fs from 'node:fs';
import * as path from 'node:path';
import { StageSecretsError } from '../../core/errors.js';
import { mergeStageTexts } from '../../stages/merge.js';
import { writeFileSafely } from '../../store/safe-write.js';
import { defineCommand, write } from '../command.js';

export const command = defineCommand({
  name: 'merge-driver',
  summary: 'merge a stage file entry by entry (called by git; needs no key)',
  usage: 'stage-secrets merge-driver BASE OURS THEIRS PATH',
  description: `Called by git (set up by stage-secrets git-setup) to merge a stage file entry by entry; needs no key.
Secrets added, replaced, approved or removed on either side combine; the result is written to OURS in
the same text set and rm write. Exits 0 on a clean merge.
A conflict (the same secret changed differently on both sides; the header - public key, identities,
policy - changed differently on both sides; or one side rotated the key while the other changed secrets) exits 1, and git marks the file conflicted. OURS then holds
the clean part merged, with our side kept for each conflicting secret (on a header conflict: our file
unchanged); the message names the secrets (never values) and what to do.`,
  options: {},
  positionals: 'any',
  async run({ positionals }, io) {
    if (positionals.length !== 4) {
      throw new StageSecretsError(
        'USAGE',
        'merge-driver needs BASE OURS THEIRS PATH (git passes %O %A %B %P). See: npx --no-install stage-secrets merge-driver --help',
      );
    }
    const [base, ours, theirs, where] = positionals as [string, string, string, string];
    const read = (file: string) => fs.readFileSync(path.resolve(io.cwd, file), 'utf8');
    const result = mergeStageTexts(read(base), read(ours), read(theirs), where);
    if (result.kind === 'unreadable') {
      write(io.stderr, `stage-secrets: cannot merge ${where}: ${result.problems.join(' ')}`);
      write(
        io.stderr,
        `Our side is left as it was. Pick one side (git checkout --ours ${where} or git checkout --theirs ${where}), set what the other side changed again, then git add ${where}.`,
      );
      return 1;
    }
    const oursFile = path.resolve(io.cwd, ours);
    writeFileSafely({ file: oursFile, cwd: io.cwd }, result.text, { mode: fs.statSync(oursFile).mode & 0o777 });
    if (result.kind === 'merged') return 0;
    const { header, names } = result.conflicts;
    if (header) {
      write(
        io.stderr,
        `stage-secrets: conflict in ${where}: both sides changed the header (public key / identities / policy) differently, or one side replaced the key while the other changed secrets${names.length ? ` (conflicting secrets: ${names.join(', ')})` : ''}.`,
      );
      write(
        io.stderr,
        `Our side is left as it was. Pick one side (git checkout --ours ${where} or git checkout --theirs ${where}), redo the other side's change with stage-secrets (rotate, rewrap, approve --open, set), then git add ${where}.`,
      );
    } else {
      write(
        io.stderr,
        `stage-secrets: conflict in ${where}: both sides changed ${names.length === 1 ? 'the secret' : 'the secrets'} ${names.join(', ')} differently.`,
      );
      write(
        io.stderr,
        `Every other change of both sides is merged; for ${names.length === 1 ? 'it' : 'those'} our side is kept. Set the right value again (npx --no-install stage-secrets set ... ${names[0]}) or take a whole side (git checkout --ours/--theirs ${where}), then git add ${where}.`,
      );
    }
    return 1;
  },
});
