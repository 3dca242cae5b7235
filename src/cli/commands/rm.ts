import { escapeText } from '../../core/escape.js';
import { StageSecretsError } from '../../core/errors.js';
import type { StageOptions } from '../../stages/options.js';
import { approvedInHistory } from '../git-tracking.js';
import { removeSecrets } from '../../stages/secrets.js';
import { checkNameArgument, defineCommand, stageOptions, STAGE_OPTIONS, write } from '../command.js';

/** Refuses to remove a name that a service still needs (the keyless contract scan), naming where. */
async function refuseNeeded(opts: StageOptions, names: string[], stderr: NodeJS.WritableStream): Promise<void> {
  const { appNeeds } = await import('../../contract/index.js');
  const app = await appNeeds({ dir: opts.dir, cwd: opts.cwd, env: opts.env, stages: [opts.stage] });
  if (app.unreadable.length) {
    write(stderr, `not scanned for needs: ${app.unreadable.map((u) => `${u.file} (${u.reason})`).join('; ')}`);
  }
  const needed = app.needs.filter((n) => n.required && names.includes(n.name));
  if (needed.length === 0) return;
  const where = needed.map((n) =>
    escapeText(
      `${n.name}: ${n.service}${n.function ? `/${n.function}` : ''} (${n.kind === 'code' ? n.how : n.kind}, ${n.at.file}${n.at.line ? `:${n.at.line}` : ''})`,
    ),
  );
  const list = [...new Set(needed.map((n) => n.name))];
  throw new StageSecretsError(
    'USAGE',
    `not removing ${list.join(', ')} from stage ${opts.stage}: still needed by ${where.join('; ')}. ` +
      `Remove the uses first (or list the name in custom.stageSecrets.optional if the code copes without it), ` +
      `or remove it anyway with --force. Nothing was removed.`,
  );
}

export const command = defineCommand({
  name: 'rm',
  summary: 'remove secrets (needs no private key)',
  usage: 'stage-secrets rm --stage S KEY [KEY...] [--force]',
  description: `Removes the named secrets from secrets/<S>.json. Git history still holds the old sealed value:
rotate the secret itself at its source if it leaked. When a commit holds the name approved (rm asks
git and says so), history also holds its approval: a writer could restore the old entry and set a
value of their own. To make the removal stick, a key holder then runs:
npx --no-install stage-secrets approve --stage S --revoke KEY...
A name some service of the app still needs (its code reads it, a secrets: list or
custom.stageSecrets.required names it: see npx --no-install stage-secrets check) is not removed.`,
  options: {
    force: { type: 'boolean', help: 'remove it anyway' },
    ...STAGE_OPTIONS,
  },
  positionals: 'any',
  async run({ values, positionals }, io) {
    const opts = stageOptions('rm', values, io);
    if (positionals.length === 0)
      throw new StageSecretsError(
        'USAGE',
        'rm needs at least one secret name: npx --no-install stage-secrets rm --stage S KEY',
      );
    for (const name of positionals) checkNameArgument(name, 'npx --no-install stage-secrets rm --stage S KEY [KEY...]');
    if (!values.force) await refuseNeeded(opts, positionals, io.stderr);
    const removed = await removeSecrets(opts, positionals);
    write(io.stderr, `removed ${positionals.join(', ')} from stage ${opts.stage}`);
    // only an approved entry some commit holds can come back with its approval: ask git, never guess
    const inHistory = removed.tagged.length ? approvedInHistory(opts, removed.tagged) : new Set<string>();
    const tagged = removed.tagged.filter((name) => inHistory.has(name));
    if (tagged.length) {
      const revoke = `npx --no-install stage-secrets approve --stage ${opts.stage} --revoke ${tagged.join(' ')}`;
      write(
        io.stderr,
        `${tagged.join(', ')} had an approval, which the old entry in git history still carries: a writer could ` +
          `restore it with a value of their own. To make the removal stick, a key holder runs: ${revoke}`,
      );
    }
    return 0;
  },
});
