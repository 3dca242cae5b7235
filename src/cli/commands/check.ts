import { StageSecretsError } from '../../core/errors.js';
import { assertStageName } from '../../core/names.js';
import { CHECK_FORMATS, checkApp, renderCheck, type CheckFormat } from '../../contract/index.js';
import { checkFunctions } from '../check-functions.js';
import * as path from 'node:path';
import { git } from '../../git/git.js';
import { findSecretsDir } from '../../stages/locate.js';
import { secretsFoldersInWorkTree } from '../../git/secrets-folders.js';
import { gitUntrackedNote, secretsFolderFiles } from '../../stages/git-tracking.js';
import { type CliIo, defineCommand, STAGE_OPTIONS, write } from '../command.js';

export const command = defineCommand({
  name: 'check',
  summary: 'check without a key that every stage has the names the code needs',
  usage: `stage-secrets check [--stage S ...] [--format text|markdown|json] [--dir DIR] [--warn-days N]
stage-secrets check --functions [--stage S ...] [--format text|json] [--dir DIR]`,
  description: `Checks, without any key, that every stage has the secrets the app's code needs. It finds the app's
services (every serverless.yml, .yaml, .json, .js, .cjs, .mjs, .ts below the repository root whose
secrets folder is this one), and for each function the names it needs:
  - its secrets: list (or the service's custom.stageSecrets.secrets),
  - \${secret:NAME} variables without a fallback in the config,
  - custom.stageSecrets.required (and optional, which never fails the check),
  - names its handler's own module graph reads: process.env.NAME, process.env["NAME"], destructuring
    of process.env, readSecret("NAME"), names read off secretEnv() (a parser reads the code; only
    names that are secrets in some stage or declared count, and a name the yaml environment sets is
    served without the secret).
It prints the matrix names x stages (present, PENDING approval, MISSING) and, for each missing name,
who needs it (service, function, file:line). Config files are read as written, never run; files it
cannot read or parse are listed. In a git repository, stage files git does not track are named (on
stderr): a clone or CI build has none of them.
Every other secrets folder of the repository (a secrets/ holding a stage file below a service, or any
folder holding a stage header) is checked too, against the services that use it, and every file in a
secrets folder that is neither a stage header nor an entry is listed.`,
  options: {
    stage: {
      type: 'string',
      short: 's',
      multiple: true,
      value: 'S',
      help: 'a stage to check (repeatable); default every stage of the secrets folder',
      complete: 'stage',
    },
    format: {
      type: 'string',
      value: 'F',
      help: `text (default), markdown (fits a GitHub step summary: >> "$GITHUB_STEP_SUMMARY"),
or json`,
      complete: CHECK_FORMATS,
    },
    dir: STAGE_OPTIONS.dir,
    functions: {
      type: 'boolean',
      help: `instead: per stage, service and function, the names the plugin gives it (env and
runtime mode alike): every secret of the stage, its secrets: list, the service's
custom.stageSecrets.secrets, secrets: auto (the names its code reads), or none when
opted out (sls_set_secret_envs, setEnvs, SLS_SET_SECRET_ENVS); exit 1 when a list
names a secret a stage lacks`,
    },
    'warn-days': {
      type: 'string',
      value: 'N',
      help: `a secret whose expiry (set --expires) is within N days is "expiring", a warning
(default 14); past it, "expired", which fails like a missing name`,
    },
  },
  footer: `Exit codes: 0 every required name is in every checked stage (of every secrets folder) and not expired;
1 a required name is missing or expired (or bad usage).`,
  async run({ values }, io) {
    const format = (values.format ?? 'text') as CheckFormat;
    if (!CHECK_FORMATS.includes(format)) {
      throw new StageSecretsError(
        'USAGE',
        `--format must be one of ${CHECK_FORMATS.join(', ')}. See: npx --no-install stage-secrets check --help`,
      );
    }
    if (values.dir === '') throw new StageSecretsError('USAGE', '--dir needs a folder path.');
    for (const stage of values.stage ?? []) assertStageName(stage);
    if (values.functions) {
      if (format === 'markdown') throw new StageSecretsError('USAGE', 'check --functions prints text or json.');
      return checkFunctions(values, io);
    }
    const warnText = values['warn-days'];
    const warnDays = warnText === undefined ? undefined : Number(warnText);
    if (warnDays !== undefined && (!Number.isInteger(warnDays) || warnDays < 0 || warnDays > 3650)) {
      throw new StageSecretsError('USAGE', '--warn-days is a whole number of days from 0 to 3650.');
    }
    const report = await checkApp({ dir: values.dir, cwd: io.cwd, env: io.env, stages: values.stage, warnDays });
    const expiring = report.rows.flatMap((r) =>
      Object.entries(r.cells)
        .filter(([, c]) => c === 'expiring')
        .map(([stage]) => `${r.name} in stage ${stage}`),
    );
    if (expiring.length) {
      write(
        io.stderr,
        `expiring within ${warnDays ?? 14} days: ${expiring.join(', ')}; set new values with --expires before then.`,
      );
    }
    const untracked = untrackedInFolder(values.dir, values.stage, io);
    if (untracked) write(io.stderr, untracked);
    io.stdout.write(renderCheck(report, format));
    return report.ok ? 0 : 1;
  },
});

/**
 * The stage files of the checked stages (all by default) that git does not track: in the folder found from
 * here and, as check covers them, every other secrets folder of the repository.
 */
function untrackedInFolder(dir: string | undefined, stages: string[] | undefined, io: CliIo): string | undefined {
  const found = findSecretsDir({ stage: 'any', dir, cwd: io.cwd, env: io.env });
  const folders = new Set<string>('dir' in found ? [path.resolve(found.dir)] : []);
  const root = git(['rev-parse', '--show-toplevel'], io.cwd, io.env, true)?.trim();
  if (root) for (const f of secretsFoldersInWorkTree(root, io.env) ?? []) folders.add(path.join(root, f.folder));
  const files = [...folders].flatMap((folder) =>
    secretsFolderFiles(folder).filter((file) => {
      if (!stages?.length) return true;
      const stage = path.dirname(file) === folder ? path.basename(file, '.json') : path.basename(path.dirname(file));
      return stages.includes(stage);
    }),
  );
  return gitUntrackedNote(files, io.cwd, io.env);
}
