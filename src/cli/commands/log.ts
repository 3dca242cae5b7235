import * as path from 'node:path';
import { StageSecretsError } from '../../core/errors.js';
import { stageHistory, type StageCommit } from '../../stages/history.js';
import { findSecretsDir } from '../../stages/locate.js';
import { checkNameArgument, defineCommand, stageOptions, STAGE_OPTIONS, write } from '../command.js';

function describe(c: StageCommit, stage: string): string[] {
  const lines = [`${c.commit}  ${c.date}  ${c.author}`];
  if (c.unreadable) lines.push('  (the stage file does not parse at this commit)');
  if (c.header) lines.push('  changed the header (public key / identities / policy / approval epoch)');
  if (c.epochLowered) {
    const { from, to } = c.epochLowered;
    const why = 'the header was rolled back, so approvals a key holder revoked verify again';
    lines.push(`  ! approval epoch lowered from ${from} to ${to}: ${why}`);
  }
  for (const change of c.changes) {
    lines.push(`  ${change.change} ${change.name}`);
    if (change.replayedTagFrom) {
      const revoke = `npx --no-install stage-secrets approve --stage ${stage} --revoke ${change.name}`;
      lines.push(
        `  ! ${change.name} came back with the approval tag it had in ${change.replayedTagFrom}: ` +
          `restored from history, unless a key holder set it again; to void old tags a key holder runs: ${revoke}`,
      );
    }
  }
  return lines;
}

export const command = defineCommand({
  name: 'log',
  summary: 'who changed which secret when, from git history',
  usage: 'stage-secrets log --stage S [NAME] [--json]',
  description: `Who changed which secret when, from the git history of the stage file, newest first: each commit's
short hash, author date and author, then per name what it did: added, changed, removed, approved
(and when the header - public key, identities, policy, approval epoch - changed). With NAME, only
that secret's changes. A merge commit lists only what the merge itself decided. Needs no key; never
shows values. Lines starting with ! flag what a replay from history looks like: a name added back
with the approval tag it carried before its removal, and an approval epoch that went down.`,
  options: {
    json: {
      type: 'boolean',
      help: `print a JSON array of {commit, author, date, changes: [{name, change, replayedTagFrom?}],
header, epochLowered?: {from, to}}`,
    },
    ...STAGE_OPTIONS,
  },
  positionals: 'any',
  async run({ values, positionals }, io) {
    const opts = stageOptions('log', values, io);
    if (positionals.length > 1)
      throw new StageSecretsError(
        'USAGE',
        'log takes at most one NAME. See: npx --no-install stage-secrets log --help',
      );
    const name = positionals[0];
    if (name !== undefined) checkNameArgument(name, 'npx --no-install stage-secrets log --stage S [NAME]');
    // the app's secrets folder as every command finds it; the stage file itself may be gone (its history is not)
    const found = findSecretsDir(opts);
    const dir = 'dir' in found ? found.dir : path.join(io.cwd, 'secrets');
    const file = path.relative(io.cwd, path.join(dir, `${opts.stage}.json`)) || `${opts.stage}.json`;
    const commits = stageHistory(file, io.cwd, io.env, name);
    if (values.json) {
      write(io.stdout, JSON.stringify(commits, null, 2));
      return 0;
    }
    if (commits.length === 0) {
      write(
        io.stderr,
        `no commit in this branch's history changed ${name ? `${name} in ` : ''}${file}${name ? '' : ' (is it committed?)'}`,
      );
      return 0;
    }
    write(io.stdout, commits.flatMap((c) => describe(c, opts.stage)).join('\n'));
    return 0;
  },
});
