import { listSecrets } from '../../stages/list.js';
import { parse, stageOptions, STAGE_OPTIONS, STAGE_OPTIONS_HELP, write, type Command } from '../command.js';

const options = { ...STAGE_OPTIONS, json: { type: 'boolean' } } as const;

export const command: Command = {
  name: 'list',
  help: `Usage: stage-secrets list --stage S [--json]

Lists the secrets of a stage: name, type and when it was last set. Needs no key; never shows values.
      --json      print a JSON array of {name, type, updated}

${STAGE_OPTIONS_HELP}`,
  async run(argv, io) {
    const { values } = parse('list', argv, options, false);
    if (values.help) return write(io.stdout, this.help), 0;
    const opts = stageOptions('list', values, io);
    const secrets = listSecrets(opts);
    if (values.json) {
      write(io.stdout, JSON.stringify(secrets, null, 2));
      return 0;
    }
    if (secrets.length === 0) {
      write(io.stderr, `stage ${opts.stage} has no secrets yet; add one with: stage-secrets set --stage ${opts.stage} KEY`);
      return 0;
    }
    const width = Math.max(4, ...secrets.map((s) => s.name.length));
    const rows = [`${'NAME'.padEnd(width)}  TYPE    UPDATED`, ...secrets.map((s) => `${s.name.padEnd(width)}  ${s.type.padEnd(6)}  ${s.updated}`)];
    write(io.stdout, rows.join('\n'));
    return 0;
  },
};
