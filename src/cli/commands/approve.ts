import { StageSecretsError } from '../../core/errors.js';
import { runConfirmIdentities } from '../confirm-identities.js';
import {
  approveNames,
  revokeApprovals,
  setAllowedRefs,
  type AllowRefsResult,
  type RevokeResult,
} from '../../stages/approve.js';
import { checkNameArgument, defineCommand, stageOptions, STAGE_OPTIONS, write, type CliIo } from '../command.js';

const USAGE =
  'npx --no-install stage-secrets approve --stage S [NAME...] [--open] | --revoke NAME... | --close | --identities [ID...] [--yes] | --allow-ref PREFIX... | --clear-allow-ref';

function reportRevoke(io: CliIo, stage: string, r: RevokeResult): void {
  const epochs = `${r.epochBefore} -> ${r.epoch}`;
  const voided = 'approvals of earlier epochs (also in git history) no longer verify';
  write(io.stderr, `approval epoch of stage ${stage}: ${epochs}; ${voided}.`);
  if (r.revoked.length) write(io.stderr, `revoked ${r.revoked.join(', ')}: now pending`);
  if (r.absent.length) {
    write(io.stderr, `not in the stage (their old entries in git history no longer verify): ${r.absent.join(', ')}`);
  }
  if (r.closed) write(io.stderr, `stage ${stage} is closed: names need a key holder's approval again.`);
  if (r.kept.length) write(io.stderr, `still approved (tagged again): ${r.kept.join(', ')}`);
  if (r.open) {
    const close = `npx --no-install stage-secrets approve --stage ${stage} --close`;
    write(io.stderr, `stage ${stage} is still open: the build takes every name until a key holder runs: ${close}`);
  } else if (r.pending.length) {
    const why = 'the build refuses the stage until they are approved or removed';
    write(io.stderr, `pending (${why}): ${r.pending.join(', ')}`);
  }
}

function reportAllowRefs(io: CliIo, stage: string, r: AllowRefsResult): number {
  if (r.after === undefined) {
    write(io.stderr, `stage ${stage}: references may point at any target (each still needs a key holder's approval).`);
  } else {
    write(io.stderr, `stage ${stage}: reference targets limited to ${r.after.join(', ')}`);
  }
  if (r.outside.length > 0) {
    const each = r.outside.map((o) => o.name).join(', ');
    write(io.stderr, `outside the allowed prefixes (the build refuses the stage until they change or go): ${each}`);
  }
  return 0;
}

export const command = defineCommand({
  name: 'approve',
  summary: 'approve names that writers without the key added (needs the key)',
  usage: `stage-secrets approve --stage S [NAME...] [--open]
       stage-secrets approve --stage S --revoke NAME...
       stage-secrets approve --stage S --close
       stage-secrets approve --stage S --identities [ID...] [--yes]
       stage-secrets approve --stage S --allow-ref PREFIX [--allow-ref PREFIX...] | --clear-allow-ref`,
  description: `Anyone with the repo can add a secret, and a new name can change how a program runs (BROWSER,
PYTHONWARNINGS, a tool's proxy setting...). So the build (run, export, the plugin, the SST helper and
the client) refuses a stage while it has names no key holder approved. approve shows the pending
names with when each was set, then approves the NAMEs given (every pending name when none is given).
Review the names first: npx --no-install stage-secrets list --stage S, or the stage file's git diff.
An approval covers the name, not the value: a writer can still replace an approved name's value.
approve opens every value it approves: one that does not open (an entry file copied or renamed from
another name, or edited) is refused with exit 2 and nothing is approved; set it again or rm it.

Needs the stage key (a local key here, or KMS access). set and import approve what they write
when the key is at hand; rotate keeps approvals.
`,
  options: {
    open: {
      type: 'boolean',
      help: `trust every writer of this stage: names need no approval (a key holder's
tagged policy; a hand edit of it makes the stage fail to open)`,
    },
    revoke: {
      type: 'boolean',
      help: `withdraw the approval of each NAME (present or already removed with rm): they
become pending, and their old entries restored from git history no longer count`,
    },
    close: {
      type: 'boolean',
      help: `undo --open: names need approval again (untagged names become pending), and the
old policy line restored from git history no longer counts`,
    },
    identities: {
      type: 'boolean',
      help: `confirm identity records (who can open the stage): shows each record no key
holder confirmed, with its recipient / key ARN / region, and tags those you confirm
(one by one on a terminal; every one shown, or the IDs given, with --yes). rotate and
rewrap never wrap the stage key to an unconfirmed record. Stages made before
identities were tagged need this once; init, rotate and rewrap tag what they write.`,
    },
    'allow-ref': {
      type: 'string',
      multiple: true,
      value: 'PREFIX',
      help: `limit reference targets (set NAME --ref TARGET) to these prefixes, e.g.
--allow-ref ssm:/org/shared/ --allow-ref secretsmanager:prod/ (replaces the list;
end a prefix with / to allow one folder only). The build refuses a reference whose
target starts with none of them, and approve refuses to approve it. Stored in the
stage header under a key holder's tag: a writer's edit of it stops the build`,
    },
    'clear-allow-ref': {
      type: 'boolean',
      help: 'lift the limit: references may point anywhere again (each still needs approval)',
    },
    yes: {
      type: 'boolean',
      help: `with --identities, for scripts: confirm without asking (check the records first:
npx --no-install stage-secrets verify --stage S lists them)`,
    },
    ...STAGE_OPTIONS,
  },
  footer: `
How revoking works: approvals are bound to the stage's approval epoch (a tagged number in the
header). --revoke and --close raise it by one and tag again every name that stays approved, so a
tag or policy line of an earlier epoch no longer verifies. rm alone does not: a writer could restore
a removed name's approved line from git history. To make a removal stick, a key holder runs
approve --revoke NAME after rm. A writer who rolls the whole header back (epoch line and every
tag) to an earlier version also rolls back every approval made since; review header changes
(stage-secrets log flags a lowered epoch and a name that comes back with an old tag).`,
  positionals: 'any',
  async run({ values, positionals }, io) {
    const opts = stageOptions('approve', values, io);
    if ([values.open, values.revoke || values.close].filter(Boolean).length > 1) {
      throw new StageSecretsError('USAGE', `--open does not combine with --revoke or --close. Usage: ${USAGE}`);
    }
    if (values.revoke && positionals.length === 0) {
      const usage = 'npx --no-install stage-secrets approve --stage S --revoke NAME...';
      throw new StageSecretsError('USAGE', `--revoke needs the names to revoke: ${usage}`);
    }
    if (values.close && !values.revoke && positionals.length > 0) {
      const why = '--close takes no NAME (to revoke names too, add --revoke)';
      throw new StageSecretsError('USAGE', `${why}. Usage: ${USAGE}`);
    }
    if (values.yes && !values.identities) {
      throw new StageSecretsError('USAGE', `--yes goes with --identities. Usage: ${USAGE}`);
    }
    const allowRef = values['allow-ref'] ?? [];
    if (allowRef.length > 0 || values['clear-allow-ref']) {
      if (allowRef.length > 0 && values['clear-allow-ref']) {
        throw new StageSecretsError('USAGE', `--allow-ref and --clear-allow-ref do not combine. Usage: ${USAGE}`);
      }
      if (values.open || values.revoke || values.close || values.identities || positionals.length > 0) {
        const why = '--allow-ref and --clear-allow-ref go alone (no NAME, --open, --revoke, --close or --identities)';
        throw new StageSecretsError('USAGE', `${why}. Usage: ${USAGE}`);
      }
      return reportAllowRefs(io, opts.stage, await setAllowedRefs(opts, allowRef.length > 0 ? allowRef : undefined));
    }
    if (values.identities) {
      if (values.open || values.revoke || values.close) {
        throw new StageSecretsError('USAGE', `--identities does not combine with --open, --revoke or --close.`);
      }
      return runConfirmIdentities(io, opts, positionals, values.yes === true);
    }
    for (const name of positionals) checkNameArgument(name, USAGE);
    if (values.revoke || values.close) {
      const result = await revokeApprovals(opts, { names: values.revoke ? positionals : [], close: values.close });
      reportRevoke(io, opts.stage, result);
      return 0;
    }
    const result = await approveNames(opts, { names: positionals, open: values.open });
    if (result.pendingBefore.length === 0) write(io.stderr, `stage ${opts.stage} had no pending names.`);
    else {
      write(io.stderr, `pending in stage ${opts.stage}:`);
      for (const p of result.pendingBefore) {
        // a reference's target is what is approved: shown to the key holder approving it
        const target = p.ref ? `, reference to ${result.targets?.[p.name] ?? '(a target that does not open)'}` : '';
        write(io.stderr, `  ${p.name}  (${p.type}${target}, set ${p.updated})`);
      }
    }
    if (result.approved.length) write(io.stderr, `approved ${result.approved.join(', ')}`);
    if (values.open)
      write(io.stderr, `stage ${opts.stage} is now open: names need no approval (every writer is trusted).`);
    if (result.pending.length) write(io.stderr, `still pending: ${result.pending.join(', ')}`);
    return 0;
  },
});
