import { listSecrets } from '../../stages/list.js';
import { namesNewerInStore } from '../../stages/pull.js';
import { parse, stageOptions, STAGE_OPTIONS, STAGE_OPTIONS_HELP, write, type Command } from '../command.js';
import { storeFromOptions, STORE_OPTION, STORE_OPTION_HELP } from '../store-option.js';

const options = { ...STAGE_OPTIONS, ...STORE_OPTION, json: { type: 'boolean' } } as const;

export const command: Command = {
  name: 'list',
  help: `Usage: stage-secrets list --stage S [--store s3://BUCKET/PREFIX] [--json]

Lists the secrets of a stage: name, type, when it was last set, and whether a key holder approved
the name (pending names make the build refuse the stage: see stage-secrets approve --help).
Needs no key; never shows values.
With a runtime store (--store or $STAGE_SECRETS_STORE), also marks names whose store value is newer
than the stage file's (stage-secrets pull folds them in); that needs s3:ListBucket and s3:GetObject.
      --json      print a JSON array of {name, type, updated, approved} (and storeNewer with a store)

${STORE_OPTION_HELP}
${STAGE_OPTIONS_HELP}`,
  async run(argv, io) {
    const { values } = parse('list', argv, options, false);
    if (values.help) return write(io.stdout, this.help), 0;
    const opts = stageOptions('list', values, io);
    const location = storeFromOptions(values, io.env);
    const newer = location && (await namesNewerInStore(opts, location));
    const secrets = listSecrets(opts).map((s) => (newer ? { ...s, storeNewer: newer.has(s.name) } : s));
    if (values.json) {
      write(io.stdout, JSON.stringify(secrets, null, 2));
      return 0;
    }
    if (secrets.length === 0) {
      write(io.stderr, `stage ${opts.stage} has no secrets yet; add one with: stage-secrets set --stage ${opts.stage} KEY`);
      return 0;
    }
    const width = Math.max(4, ...secrets.map((s) => s.name.length));
    const rows = [
      `${'NAME'.padEnd(width)}  TYPE    UPDATED                   NAME APPROVED${newer ? '  STORE' : ''}`,
      ...secrets.map(
        (s) =>
          `${s.name.padEnd(width)}  ${s.type.padEnd(6)}  ${s.updated.padEnd(24)}  ${(s.approved ? 'yes' : 'PENDING').padEnd(13)}${newer ? `  ${s.storeNewer ? 'newer' : '-'}` : ''}`.trimEnd(),
      ),
    ];
    write(io.stdout, rows.join('\n'));
    const pending = secrets.filter((s) => !s.approved).map((s) => s.name);
    if (pending.length) {
      write(io.stderr, `pending approval: ${pending.join(', ')}; the build refuses this stage until a key holder runs: stage-secrets approve --stage ${opts.stage} ${pending.join(' ')}`);
    }
    if (newer?.size) {
      write(io.stderr, `newer in the runtime store ${location!.url}: ${[...newer].sort().join(', ')}; fold them into the stage file with: stage-secrets pull --stage ${opts.stage}`);
    }
    return 0;
  },
};
