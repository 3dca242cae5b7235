import * as path from 'node:path';
import { StageSecretsError } from '../../core/errors.js';
import { runnerReadsMasks } from '../../core/ci-masks.js';
import { shownName } from '../../core/names.js';
import { MIN_MASK_LENGTH, maskTexts, unmaskedSecrets, unmaskedWarning } from '../../core/mask-texts.js';
import { exportAs, EXPORT_FORMATS, FILE_ONLY_FORMATS, isExportFormat, k8sNameProblem } from '../../export/formats.js';
import { writeSecretFile } from '../../export/secret-file.js';
import { loadSecrets } from '../../stages/load.js';
import { defineCommand, fallbackOptions, FALLBACK_OPTION, stageOptions, STAGE_OPTIONS, write } from '../command.js';

export const command = defineCommand({
  name: 'export',
  summary: 'print or write the secrets as dotenv, json, github-env, shell, yaml or k8s-secret',
  usage:
    'stage-secrets export --stage S --format dotenv|json|github-env|shell|yaml|k8s-secret [--name NAME] [--out FILE] [--fallback PATTERN=STAGE]',
  description: `Decrypts stage S and writes every secret in the chosen format, sorted by name. Prefer
"stage-secrets run", which never puts values in a file or a log.`,
  options: {
    format: {
      type: 'string',
      value: 'F',
      help: `dotenv      KEY='value' lines that the dotenv package reads back exactly, multi-line
            values included. Safe to source in a shell too, unless export warns
            that a value needed dotenv-only quoting.
json        one object {"KEY": "value"}; values are strings (JSON values compact)
shell       export KEY='value' lines (POSIX quoting) for: . ./file  or  eval
github-env  KEY<<DELIM / value / DELIM blocks with a random delimiter, for
            $GITHUB_ENV; on GitHub Actions (GITHUB_ACTIONS=true) it also prints
            ::add-mask:: on stdout, after --out is written, for what run masks:
            values of ${MIN_MASK_LENGTH}+ characters, each line of a multi-line value, each
            JSON string leaf, the password of a URL, and the forms tools print them
            in. Shorter values are named on stderr and not masked (GitHub would
            hide every such string in the job's log).
yaml        one mapping NAME: value (strings; multi-line values as block scalars)
k8s-secret  a Kubernetes Secret manifest for kubectl apply -f: metadata.name from
            --name, one data key per secret (base64). OpenFaaS mounts each key
            of a function's secrets: at /var/openfaas/secrets/<NAME>.
yaml and k8s-secret are written only with --out or to a pipe, never to a
terminal.`,
      complete: EXPORT_FORMATS,
    },
    name: {
      type: 'string',
      value: 'NAME',
      help: `the Secret's name for k8s-secret (required there): lower-case letters, digits,
- and . (a DNS-1123 subdomain, at most 253 characters)`,
    },
    out: {
      type: 'string',
      short: 'o',
      value: 'FILE',
      help: `write to FILE, mode 0600 (an existing file is tightened to 0600 first).
dotenv, json and shell replace FILE; github-env appends to it, since
$GITHUB_ENV is shared by the whole job. github-env defaults to $GITHUB_ENV
when it is set.`,
      complete: 'file',
    },
    ...FALLBACK_OPTION,
    ...STAGE_OPTIONS,
  },
  footer: `Without --out, values go to stdout (that is what you asked for) and a note goes to stderr;
github-env then prints its ::add-mask:: lines (on GitHub Actions only) first, then the blocks.

Example (GitHub Actions): npx --no-install stage-secrets export --stage prod --format github-env --out "$GITHUB_ENV"`,
  async run({ values }, io) {
    const opts = stageOptions('export', values, io);
    const format = values.format;
    if (!format || !isExportFormat(format)) {
      throw new StageSecretsError(
        'USAGE',
        `export needs --format ${EXPORT_FORMATS.join('|')}${format ? `, not ${shownName(format)}` : ''}.`,
      );
    }
    let out = values.out;
    if (out === '') throw new StageSecretsError('USAGE', '--out needs a file path.');
    if (values.name !== undefined && format !== 'k8s-secret') {
      throw new StageSecretsError('USAGE', "--name belongs to --format k8s-secret (the Secret's name).");
    }
    if (format === 'k8s-secret') {
      const problem = k8sNameProblem(values.name ?? '');
      if (problem) throw new StageSecretsError('USAGE', `${problem}.`);
    }
    const isTerminal = (io.stdout as { isTTY?: boolean }).isTTY === true;
    if (out === undefined && isTerminal && FILE_ONLY_FORMATS.includes(format)) {
      throw new StageSecretsError(
        'USAGE',
        `--format ${format} is not shown on a terminal: write it with --out FILE (mode 0600), or pipe it ` +
          `(| kubectl apply -f -). Nothing was decrypted.`,
      );
    }
    // In GitHub Actions the blocks belong in $GITHUB_ENV; `>> "$GITHUB_ENV"` would also send the
    // ::add-mask:: lines there, where they mask nothing and break the file.
    if (format === 'github-env' && out === undefined) out = io.env.GITHUB_ENV || undefined;
    const loaded = await loadSecrets({ ...opts, fallbacks: fallbackOptions(values, io), runEnv: false });
    if (loaded.fallback) write(io.stderr, `stage-secrets: ${loaded.fallback}`);
    const secrets = loaded.values;
    const entries = [...secrets.entries()].map(([name, v]) => [name, v.text] as const);
    // mask commands only where a runner reads them: elsewhere they would just print every value
    const registerMasks = format === 'github-env' && runnerReadsMasks(io.env);
    const exported = exportAs(format, entries, registerMasks ? maskTexts(secrets) : [], { k8sName: values.name });
    const unmasked = registerMasks ? unmaskedSecrets(secrets) : [];
    if (unmasked.length > 0) write(io.stderr, `stage-secrets: ${unmaskedWarning(unmasked)}`);
    if (exported.dotenvOnly.length > 0) {
      write(
        io.stderr,
        `stage-secrets: ${exported.dotenvOnly.join(', ')} needed dotenv-only quoting: read this file with a dotenv parser, do not source it in a shell (use --format shell for that).`,
      );
    }
    if (out === undefined) {
      for (const line of exported.logLines) io.stdout.write(`${line}\n`);
      io.stdout.write(exported.text);
      write(
        io.stderr,
        `stage-secrets: printed ${entries.length} secrets of stage ${opts.stage} to stdout (${format}); treat this output as secret.`,
      );
      return 0;
    }
    const file = path.resolve(io.cwd, out);
    // the file first: a path that cannot be written fails before any mask line shows a value
    writeSecretFile(file, exported.text, format === 'github-env', io.cwd);
    for (const line of exported.logLines) io.stdout.write(`${line}\n`);
    write(
      io.stderr,
      `stage-secrets: ${format === 'github-env' ? 'appended' : 'wrote'} ${entries.length} secrets of stage ${opts.stage} to ${out} (mode 0600, ${format}).`,
    );
    return 0;
  },
});
