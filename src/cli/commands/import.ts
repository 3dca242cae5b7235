import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { StageSecretsError } from '../../core/errors.js';
import { setSecrets } from '../../stages/secrets.js';
import { parse, stageOptions, STAGE_OPTIONS, STAGE_OPTIONS_HELP, write, type Command } from '../command.js';
import { approvalNote } from '../approval-note.js';
import { readAll } from '../stdin.js';

export const command: Command = {
  name: 'import',
  help: `Usage: stage-secrets import --stage S FILE.env

Seals every KEY=VALUE of a dotenv file (parsed with dotenv; "-" reads standard input) as string
secrets, in one write: if any name or value is refused, nothing is written. New names are approved
when the stage key is at hand, else pending (see stage-secrets approve --help).

${STAGE_OPTIONS_HELP}`,
  async run(argv, io) {
    const { values, positionals } = parse('import', argv, STAGE_OPTIONS);
    if (values.help) return write(io.stdout, this.help), 0;
    const opts = stageOptions('import', values, io);
    if (positionals.length !== 1) throw new StageSecretsError('USAGE', 'import needs exactly one dotenv file: stage-secrets import --stage S FILE.env');
    const source = positionals[0]!;
    let text: string;
    if (source === '-') text = await readAll(io.stdin);
    else {
      try {
        text = fs.readFileSync(path.resolve(io.cwd, source), 'utf8');
      } catch (err) {
        throw new StageSecretsError('USAGE', `cannot read ${source} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
    const entries = Object.entries(parseDotenv(text));
    if (entries.length === 0) throw new StageSecretsError('USAGE', `${source} has no KEY=VALUE lines; nothing to import.`);
    const result = await setSecrets(opts, entries.map(([name, value]) => ({ name, type: 'string' as const, value })));
    write(io.stderr, `imported ${entries.length} secrets into stage ${opts.stage} (${result.added.length} added, ${result.replaced.length} replaced)`);
    const note = approvalNote(opts.stage, result);
    if (note) write(io.stderr, note);
    return 0;
  },
};
