import { approveNames } from '../../stages/approve.js';
import { checkNameArgument, parse, stageOptions, STAGE_OPTIONS, STAGE_OPTIONS_HELP, write, type Command } from '../command.js';

const options = { ...STAGE_OPTIONS, open: { type: 'boolean' } } as const;

export const command: Command = {
  name: 'approve',
  help: `Usage: stage-secrets approve --stage S [NAME...] [--open]

Anyone with the repo can add a secret, and a new name can change how a program runs (BROWSER,
PYTHONWARNINGS, a tool's proxy setting...). So the build (run, export, the plugin, the SST helper and
the client) refuses a stage while it has names no key holder approved. approve shows the pending
names with when each was set, then approves the NAMEs given (every pending name when none is given).
Review the names first: stage-secrets list --stage S, or the stage file's git diff.
An approval covers the name, not the value: a writer can still replace an approved name's value.

Needs the stage key (a local key here, or KMS access). set and import approve what they write
when the key is at hand; rotate keeps approvals.

      --open      trust every writer of this stage: names need no approval (a key holder's
                  tagged policy; a hand edit of it makes the stage fail to open)

${STAGE_OPTIONS_HELP}`,
  async run(argv, io) {
    const { values, positionals } = parse('approve', argv, options);
    if (values.help) return write(io.stdout, this.help), 0;
    const opts = stageOptions('approve', values, io);
    for (const name of positionals) checkNameArgument(name, 'stage-secrets approve --stage S [NAME...]');
    const result = await approveNames(opts, { names: positionals, open: values.open });
    if (result.pendingBefore.length === 0) write(io.stderr, `stage ${opts.stage} had no pending names.`);
    else {
      write(io.stderr, `pending in stage ${opts.stage}:`);
      for (const p of result.pendingBefore) write(io.stderr, `  ${p.name}  (${p.type}, set ${p.updated})`);
    }
    if (result.approved.length) write(io.stderr, `approved ${result.approved.join(', ')}`);
    if (values.open) write(io.stderr, `stage ${opts.stage} is now open: names need no approval (every writer is trusted).`);
    if (result.pending.length) write(io.stderr, `still pending: ${result.pending.join(', ')}`);
    return 0;
  },
};
