import * as fs from 'node:fs';
import * as path from 'node:path';
import { StageSecretsError } from '../../core/errors.js';
import { parseReferenceTarget } from '../../aws/references.js';
import { setSecrets } from '../../stages/secrets.js';
import { shownName } from '../../core/names.js';
import { isSecretType, SECRET_TYPES, type SecretType } from '../../core/values.js';
import { checkNameArgument, defineCommand, stageOptions, STAGE_OPTIONS, write } from '../command.js';
import { approvalNote } from '../approval-note.js';
import { entryFileOf, gitAddNote } from '../../stages/git-tracking.js';
import { readHiddenTwice } from '../hidden-prompt.js';
import { readAll } from '../stdin.js';

export const command = defineCommand({
  name: 'set',
  summary: 'add or replace a secret (needs no private key)',
  usage: `stage-secrets set --stage S KEY [VALUE] [--type string|number|json] [--from-file F]
                          [--expires DATE] [--owner TEXT]
       stage-secrets set --stage S KEY --ref ssm:/PATH | --ref secretsmanager:ID[#KEY] [--type T]`,
  description: `Seals VALUE to the stage public key and writes it into secrets/<S>.json. Nobody needs the private
key to do this, and nobody can read the value back without it.
The value comes from VALUE, or --from-file F (kept as is), or standard input (one trailing newline
dropped). At a terminal, set asks for it twice without showing it, then says how long it was.
Prefer the prompt, stdin or --from-file: a VALUE argument stays in your shell history.
A new name is approved when the stage key is at hand (a local key here, or KMS with AWS
credentials set); otherwise it is pending until a key holder runs stage-secrets approve.
Replacing the value of an approved name keeps its approval. A key at hand that does not match the
stage file (its publicKey or identities were changed) refuses the write (exit 2).
In a git repository, set names the files to commit (git add ...), the header too while git does not
track it, and warns when a .gitignore rule hides them (a clone would build without them).
With --ref, the entry holds a reference instead of a value: the build (run, export, the plugin)
reads the value from SSM Parameter Store or Secrets Manager with its own AWS credentials. The
target is sealed like a value; list says "reference" (the target only to a key holder, with
--show-refs). Its approval covers the target: a new or changed target is pending until a key
holder approves it (set --ref with the key at hand approves it).`,
  options: {
    type: {
      type: 'string',
      short: 't',
      value: 'T',
      help: 'string (default), number, or json (validated and stored compact)',
      complete: SECRET_TYPES,
    },
    ref: {
      type: 'string',
      value: 'TARGET',
      help: `store a reference resolved by the build instead of a value: ssm:/PATH (a
parameter, SecureString decrypted), secretsmanager:ID (a secret's string) or
secretsmanager:ID#KEY (one top-level key of a JSON secret); --type is the type
of the value it yields. Format-3 stages only`,
    },
    'from-file': { type: 'string', short: 'f', value: 'F', help: 'read the value from file F', complete: 'file' },
    expires: {
      type: 'string',
      value: 'DATE',
      help: `when the secret expires: YYYY-MM-DD (the start of that day, UTC) or an ISO-8601
UTC time; check warns before (--warn-days) and fails after`,
    },
    owner: {
      type: 'string',
      value: 'TEXT',
      help: `who answers for it (printable ASCII, at most 100 characters; shown by list)
Both are sealed with the value: editing them in the file breaks the entry, so
changing them means setting the value again. Without them a replacement keeps
the entry's own. Format-3 stages only.`,
    },
    ...STAGE_OPTIONS,
  },
  positionals: 'any',
  hideUnknown: true,
  async run({ values, positionals }, io) {
    const opts = stageOptions('set', values, io);
    const [name, inline, ...extra] = positionals;
    if (!name)
      throw new StageSecretsError(
        'USAGE',
        'set needs the secret name: npx --no-install stage-secrets set --stage S KEY [VALUE]',
      );
    if (extra.length)
      throw new StageSecretsError('USAGE', `set takes one KEY and at most one VALUE; quote a value with spaces.`);
    checkNameArgument(name, 'npx --no-install stage-secrets set --stage S KEY [VALUE]');
    const type = values.type ?? 'string';
    if (!isSecretType(type)) {
      throw new StageSecretsError('USAGE', `--type must be one of ${SECRET_TYPES.join(', ')}, not ${shownName(type)}`);
    }
    if (values.ref !== undefined) {
      if (inline !== undefined || values['from-file']) {
        throw new StageSecretsError(
          'USAGE',
          'a reference has no value: give --ref TARGET without VALUE or --from-file',
        );
      }
      const target = parseReferenceTarget(values.ref, '--ref');
      const meta = {
        ...(values.expires !== undefined ? { expires: values.expires } : {}),
        ...(values.owner !== undefined ? { owner: values.owner } : {}),
      };
      const ref = { name, type: type as SecretType, value: target.text, ref: true as const, ...meta };
      const result = await setSecrets(opts, [ref]);
      const verb = result.added.length ? 'added' : 'replaced';
      write(io.stderr, `${verb} ${name} (reference, ${type}) in stage ${opts.stage}`);
      const note = approvalNote(opts.stage, result);
      if (note) write(io.stderr, note);
      const gitNote = gitAddNote([entryFileOf(opts, name)], opts, 'it');
      if (gitNote) write(io.stderr, gitNote);
      return 0;
    }
    if (inline !== undefined && values['from-file']) {
      throw new StageSecretsError('USAGE', 'give the value either as an argument or with --from-file, not both');
    }
    let value: string;
    if (inline !== undefined) value = inline;
    else if (values['from-file']) {
      const file = path.resolve(io.cwd, values['from-file']);
      try {
        value = fs.readFileSync(file, 'utf8');
      } catch (err) {
        throw new StageSecretsError(
          'USAGE',
          `cannot read --from-file ${values['from-file']} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      }
    } else if (io.stdin.isTTY) {
      value = await readHiddenTwice(io.stdin, io.stderr, name);
    } else {
      value = (await readAll(io.stdin)).replace(/\r?\n$/, '');
    }
    const meta = {
      ...(values.expires !== undefined ? { expires: values.expires } : {}),
      ...(values.owner !== undefined ? { owner: values.owner } : {}),
    };
    const result = await setSecrets(opts, [{ name, type: type as SecretType, value, ...meta }]);
    write(io.stderr, `${result.added.length ? 'added' : 'replaced'} ${name} (${type}) in stage ${opts.stage}`);
    const note = approvalNote(opts.stage, result);
    if (note) write(io.stderr, note);
    const gitNote = gitAddNote([entryFileOf(opts, name)], opts, 'it');
    if (gitNote) write(io.stderr, gitNote);
    return 0;
  },
});
