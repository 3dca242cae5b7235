import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { StageSecretsError } from '../../core/errors.js';
import { KEY_NAME_PATTERN } from '../../core/names.js';
import { listSecrets } from '../../stages/list.js';
import { setSecrets } from '../../stages/secrets.js';
import type { StageOptions } from '../../stages/options.js';
import { checkNameArgument, defineCommand, stageOptions, STAGE_OPTIONS, write, type CliIo } from '../command.js';
import { approvalNote } from '../approval-note.js';
import { entryFileOf, gitAddNote } from '../../stages/git-tracking.js';
import {
  duplicateNames,
  entryMetaComments,
  entryProblems,
  formatProblems,
  keyMaterialProblems,
} from '../dotenv-file.js';
import { readAll } from '../stdin.js';

/** import --from ssm:/PATH/ | secretsmanager:ID: values go from the AWS answer straight into sealed entries. */
async function importFromAws(
  opts: StageOptions,
  values: { from?: string; as?: string; 'dry-run'?: boolean; recursive?: boolean },
  io: CliIo,
): Promise<number> {
  const aws = await import('../../stages/import-aws.js');
  const source = aws.parseAwsSource(values.from!);
  if (values.as !== undefined) {
    checkNameArgument(values.as, 'npx --no-install stage-secrets import --stage S --from secretsmanager:ID --as NAME');
    if (source.kind !== 'secretsmanager')
      throw new StageSecretsError('USAGE', '--as goes with --from secretsmanager:ID.');
  }
  if (values.recursive && source.kind !== 'ssm')
    throw new StageSecretsError('USAGE', '--recursive goes with --from ssm:/PATH/.');
  const label = aws.describeSource(source);
  const dryRun = values['dry-run'] === true;
  let plan: import('../../stages/import-aws.js').ImportPlan;
  if (source.kind === 'ssm') {
    const { parametersByPath } = await import('../../aws/ssm-parameters.js');
    const found = await parametersByPath(source.path, { recursive: values.recursive === true, withValues: !dryRun });
    plan = aws.planFromParameters(source.path, found);
  } else {
    const { secretString } = await import('../../aws/secrets-manager-secret.js');
    plan = aws.planFromSecret(source.id, await secretString(source.id), values.as);
  }
  if (plan.found.length === 0) {
    throw new StageSecretsError(
      'NOT_FOUND',
      `${label} holds no parameters${source.kind === 'ssm' && !values.recursive ? ' directly under it (add --recursive for the levels below)' : ''}; nothing to import.`,
    );
  }
  if (plan.problems.length) {
    throw new StageSecretsError(
      'INVALID_NAME',
      `${label}: ${plan.problems.length} of ${plan.found.length} cannot be imported; nothing was imported.\n${plan.problems.map((p) => `  ${p}`).join('\n')}\n` +
        'Rename them at the source, or import the rest from a narrower path.',
    );
  }
  if (dryRun) {
    for (const f of plan.found) write(io.stdout, `${f.from} -> ${f.name} (${f.type})`);
    write(
      io.stderr,
      `dry run: ${plan.found.length} secrets would be imported into stage ${opts.stage}; nothing was written`,
    );
    return 0;
  }
  const result = await setSecrets(opts, aws.secretsOf(plan));
  write(
    io.stderr,
    `imported ${plan.found.length} ${plan.found.length === 1 ? 'secret' : 'secrets'} from ${label} into stage ${opts.stage} (${result.added.length} added, ${result.replaced.length} replaced)`,
  );
  const note = approvalNote(opts.stage, result);
  if (note) write(io.stderr, note);
  return 0;
}

export const command = defineCommand({
  name: 'import',
  summary: 'add every entry of a dotenv file, or migrate from SSM / Secrets Manager (needs no private key)',
  usage: `stage-secrets import --stage S FILE.env [--skip-empty]
stage-secrets import --stage S --from ssm:/PATH/ [--recursive] [--dry-run]
stage-secrets import --stage S --from secretsmanager:ID [--as NAME] [--dry-run]`,
  description: `Seals every KEY=VALUE of a dotenv file (parsed with dotenv; "-" reads standard input) as string
secrets, in one write: if any name or value is refused, nothing is written, and every refused entry
is listed with its line (never its value). A name set on several lines is imported from the last
one, with a warning. In a git repository it names the files to commit (git add ...). New names are approved
when the stage key is at hand, else pending (see npx --no-install stage-secrets approve --help).
An expiry and owner (as set --expires/--owner; format-3 stages) come from a comment on the line
just above the entry: # stage-secrets: expires=2027-01-31 owner=team-payments (values without spaces).

A multi-line value (a PEM key) must be in double quotes. Without them dotenv keeps only its first
line and may read a later line as a name; import refuses such a file, giving line numbers only:
a name read from inside a -----BEGIN/-----END block, a name without "_" of 40 or more characters
or of 20 or more that reads like random base64, and a value that begins a PEM block but does not end it.

An empty value (EMPTY= or EMPTY="") is no secret: a stage cannot hold one (set refuses it too), and in
a dotenv file it usually means "not set here". import refuses a file with one, naming its lines, unless
--skip-empty is given.

From AWS (migration): the values go from the AWS answer into sealed entries, never to disk or the
terminal. A parameter is named by the rest of its name after PATH, a key of a JSON secret by itself:
letters and digits kept, every other run of characters one _, upper-cased (/legacy/app/db-url -> DB_URL).
Invalid, reserved or colliding names and empty values are listed and refused before anything is
written. Needs ssm:GetParametersByPath (and kms:Decrypt for SecureString) or
secretsmanager:GetSecretValue. See docs/aws-stores.md.`,
  options: {
    from: {
      type: 'string',
      value: 'SOURCE',
      help: `ssm:/PATH/: each parameter under PATH (String, StringList, SecureString decrypted) becomes a
string secret; secretsmanager:ID: a JSON object secret, one secret per key, typed by its value
(string, number, anything else json)`,
    },
    recursive: { type: 'boolean', help: 'with ssm:, also the parameters in the levels below PATH (a/b -> A_B)' },
    as: {
      type: 'string',
      value: 'NAME',
      help: 'with secretsmanager:, the whole secret as one secret NAME (json when it is a JSON object or array)',
    },
    'skip-empty': {
      type: 'boolean',
      help: `import every other entry and name the empty ones skipped; a skipped name the stage
already has keeps its value there (remove it with rm)`,
    },
    'dry-run': {
      type: 'boolean',
      help: 'with --from, print each source and the name and type it becomes; write nothing',
    },
    ...STAGE_OPTIONS,
  },
  positionals: 'any',
  async run({ values, positionals }, io) {
    const opts = stageOptions('import', values, io);
    if (values.from !== undefined) {
      if (positionals.length) throw new StageSecretsError('USAGE', 'import takes a dotenv file or --from, not both.');
      return importFromAws(opts, values, io);
    }
    if (values.as !== undefined || values['dry-run'] || values.recursive)
      throw new StageSecretsError('USAGE', '--as, --dry-run and --recursive go with --from (an AWS source).');
    if (positionals.length !== 1)
      throw new StageSecretsError(
        'USAGE',
        'import needs exactly one dotenv file: npx --no-install stage-secrets import --stage S FILE.env',
      );
    const source = positionals[0]!;
    let text: string;
    if (source === '-') text = await readAll(io.stdin);
    else {
      try {
        text = fs.readFileSync(path.resolve(io.cwd, source), 'utf8');
      } catch (err) {
        throw new StageSecretsError(
          'USAGE',
          `cannot read ${source} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      }
    }
    const all = parseDotenv(text);
    if (Object.keys(all).length === 0)
      throw new StageSecretsError('USAGE', `${source} has no KEY=VALUE lines; nothing to import.`);
    const label = source === '-' ? 'standard input' : source;
    const skipped = values['skip-empty'] ? Object.keys(all).filter((name) => all[name] === '') : [];
    const parsed = Object.fromEntries(Object.entries(all).filter(([name]) => !skipped.includes(name)));
    const entries = Object.entries(parsed);
    if (entries.length === 0)
      throw new StageSecretsError('USAGE', `${label} has only empty values; nothing to import.`);
    const material = keyMaterialProblems(text, parsed);
    if (material.length) {
      throw new StageSecretsError(
        'INVALID_NAME',
        `${label} looks like it holds key material outside quotes; nothing was imported.\n${formatProblems(material)}\n` +
          'Put a multi-line value such as a PEM key in double quotes (KEY="-----BEGIN ...", ending with the -----END line and a closing "), then import again.',
      );
    }
    const problems = entryProblems(text, parsed);
    if (problems.length) {
      throw new StageSecretsError(
        'INVALID_NAME',
        `${label} has ${problems.length} ${problems.length === 1 ? 'entry' : 'entries'} that cannot be imported; nothing was imported.\n${formatProblems(problems)}` +
          (Object.values(parsed).includes('')
            ? '\nAn empty value is no secret: to import every other entry, add --skip-empty.'
            : ''),
      );
    }
    const comments = entryMetaComments(text);
    if (comments.problems.length) {
      throw new StageSecretsError(
        'USAGE',
        `${label} has stage-secrets: comments that cannot be read; nothing was imported.\n${formatProblems(comments.problems)}`,
      );
    }
    for (const { name, lines } of duplicateNames(text)) {
      const list = `${lines.slice(0, -1).join(', ')} and ${lines.at(-1)}`;
      write(
        io.stderr,
        `stage-secrets: warning: ${name} is set on lines ${list}; the last one (line ${lines.at(-1)}) was imported.`,
      );
    }
    if (skipped.length) {
      const names = skipped.filter((name) => KEY_NAME_PATTERN.test(name)); // a bad name is never echoed
      const hidden = skipped.length - names.length;
      const list = [...names, ...(hidden ? [`${hidden} not shown (not valid names)`] : [])].join(', ');
      write(io.stderr, `skipped ${skipped.length} empty ${skipped.length === 1 ? 'value' : 'values'}: ${list}`);
    }
    const result = await setSecrets(
      opts,
      entries.map(([name, value]) => ({ name, type: 'string' as const, value, ...comments.meta.get(name) })),
    );
    const count = `${entries.length} ${entries.length === 1 ? 'secret' : 'secrets'}`;
    write(
      io.stderr,
      `imported ${count} into stage ${opts.stage} (${result.added.length} added, ${result.replaced.length} replaced)`,
    );
    const note = approvalNote(opts.stage, result);
    if (note) write(io.stderr, note);
    const kept = skipped.length ? listSecrets(opts).filter((s) => skipped.includes(s.name)) : [];
    for (const { name } of kept) {
      const rm = `npx --no-install stage-secrets rm --stage ${opts.stage} ${name}`;
      write(
        io.stderr,
        `${name} keeps its value in stage ${opts.stage} (empty in ${label}, skipped); to remove it: ${rm}`,
      );
    }
    const gitNote = gitAddNote(
      entries.map(([name]) => entryFileOf(opts, name)),
      opts,
      entries.length === 1 ? 'it' : 'them',
    );
    if (gitNote) write(io.stderr, gitNote);
    return 0;
  },
});
