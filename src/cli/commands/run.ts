import * as os from 'node:os';
import * as path from 'node:path';
import { StageSecretsError } from '../../core/errors.js';
import { DEFAULT_FLUSH_MS } from '../../runner/child.js';
import { MIN_MASK_LENGTH } from '../../core/mask-texts.js';
import { runWithSecrets } from '../../runner/run.js';
import { describeSource, loadSecrets, repositoriesOf } from '../../stages/load.js';
import { tokenFolderInside } from '../../run-env/token.js';
import { isKeyVariable, keyTexts as kindKeyTexts } from '../../identities/index.js';
import { FALLBACKS_ENV, fallbacksToEnv } from '../../stages/locate.js';
import { defineCommand, fallbackOptions, FALLBACK_OPTION, stageOptions, STAGE_OPTIONS, write } from '../command.js';

export const command = defineCommand({
  name: 'run',
  summary: 'run a command with the stage secrets in its env, output masked',
  usage: 'stage-secrets run --stage S [--no-mask] [--files-dir DIR] [--fallback PATTERN=STAGE] -- CMD ARGS...',
  description: `Decrypts stage S once and runs CMD with every secret in its environment. The stage key comes from
the first of the stage's identities that works here:
  - a local key: the env var STAGE_SECRETS_KEY_<S> (stage upper-cased, other characters -> _; how CI
    holds it), else the key file ~/.config/stage-secrets/keys/<fingerprint>.key ($XDG_CONFIG_HOME);
  - AWS KMS: one kms:Decrypt with the usual AWS settings (AWS_REGION, AWS_PROFILE, a CI role).
The build refuses a stage with names no key holder approved (see npx --no-install stage-secrets approve --help).

A secret replaces an inherited variable of the same name. CMD also gets STAGE_SECRETS_STAGE (the
stage), STAGE_SECRETS_KEYS (the secret names, comma-separated), STAGE_SECRETS_FILE (the stage
file opened: the plugin, SST helper and client refuse the secrets unless they find that same file
from their own folder), and STAGE_SECRETS_RUN_TOKEN and STAGE_SECRETS_RUN_MAC (a MAC under a random
token in a 0600 file only run makes, outside the repository, removed when run ends: an env that a
committed .env forged is not taken for run's); with --fallback also STAGE_SECRETS_FALLBACKS. It gets no
STAGE_SECRETS_KEY_* variable (of any stage), and key texts (those variables, a key file read) are
masked in its output like
values. CMD runs without a shell (use -- sh -c '...'), reads the runner's standard
input, and needs no terminal. On GitHub Actions (GITHUB_ACTIONS=true) run first prints an
::add-mask:: line for each text it masks, so later steps' logs are masked too.

Every secret value in CMD's stdout and stderr is replaced by *** as it streams, also when a value is
split across writes. Values shorter than ${MIN_MASK_LENGTH} characters are not masked (they would garble the
log); run names such secrets on stderr. A JSON value is masked in its compact form and each of its
string leaves of ${MIN_MASK_LENGTH}+ characters; each line of a multi-line value and the password of a URL value
are masked too. Each is also masked in the forms tools print it: JSON-escaped (as JavaScript, Python,
PHP, Go, Java and .NET write it), as util.inspect and Python's repr() and ascii() show it, shell-quoted
(bash -x, \${V@Q}, printf %q, shlex.quote) and percent-encoded (encodeURIComponent, form and URL
user/password encoding, Python's quote).

Output is held back only while its last characters could be the start of a value (usually none; at
most a value's length). A pause never writes them in clear: they follow as soon as CMD's next bytes
rule the value out, or become *** when they complete it, so text that does not end like the start of
a value (a prompt, a progress line ending in \\r) shows at once. When CMD's output ends inside a
possible value, that tail is written as *** if it has ${MIN_MASK_LENGTH}+ characters or half of the value.

Exit code: CMD's own, or 128+N when CMD was killed by signal N. SIGINT, SIGTERM and SIGHUP are
passed on to CMD, and run waits for it to end. Before CMD starts: 1 usage, 2 integrity, 3 key access.
`,
  options: {
    'no-mask': { type: 'boolean', help: "do not mask; CMD writes straight to the runner's stdout and stderr" },
    'files-dir': {
      type: 'string',
      value: 'DIR',
      help: `also write each secret to DIR/<KEY> (files 0600, DIR 0700), removed when
CMD ends, whatever the reason. DIR must be new or an empty folder.`,
      complete: 'dir',
    },
    'mask-flush-ms': {
      type: 'string',
      value: 'N',
      help: `after CMD pauses this long, a complete value that could still continue into a
longer one is written as *** (default ${DEFAULT_FLUSH_MS})`,
    },
    verbose: { type: 'boolean', help: 'print one status line (stage, count, identity) to stderr; no values' },
    ...FALLBACK_OPTION,
    ...STAGE_OPTIONS,
  },
  footer:
    '\nExample: npx --no-install stage-secrets run --stage prod -- npx --no-install serverless deploy --stage prod',
  positionals: 'command',
  async run({ values, positionals: child }, io) {
    const opts = stageOptions('run', values, io);
    if (child.length === 0) {
      throw new StageSecretsError(
        'USAGE',
        `run needs a command: npx --no-install stage-secrets run --stage ${opts.stage} -- CMD ARGS...`,
      );
    }
    let flushMs = DEFAULT_FLUSH_MS;
    if (values['mask-flush-ms'] !== undefined) {
      flushMs = Number(values['mask-flush-ms']);
      if (!Number.isInteger(flushMs) || flushMs < 0 || flushMs > 60_000) {
        throw new StageSecretsError('USAGE', '--mask-flush-ms takes a whole number of milliseconds from 0 to 60000.');
      }
    }
    if (values['files-dir'] === '') throw new StageSecretsError('USAGE', '--files-dir needs a folder path.');
    // run makes the run env, so it always reads the stage file itself
    const fallbacks = fallbackOptions(values, io);
    const loaded = await loadSecrets({ ...opts, fallbacks, runEnv: false });
    if (loaded.fallback) write(io.stderr, `stage-secrets: ${loaded.fallback}`);
    const tmpInRepo = tokenFolderInside(repositoriesOf(io.cwd, path.dirname(loaded.file)));
    if (tmpInRepo) {
      write(
        io.stderr,
        `stage-secrets: warning: TMPDIR (${os.tmpdir()}) is inside ${tmpInRepo}, where a committed file could be, ` +
          'so the plugin, SST helper and client under this run will not take its environment; ' +
          'set TMPDIR outside the repository.',
      );
    }
    // what runs under run resolves preview stages the same way
    const contract: NodeJS.ProcessEnv = {};
    if (values.fallback?.length) contract[FALLBACKS_ENV] = fallbacksToEnv(fallbacks);
    // the child gets no key variable, but may find a key (a key file it can read): mask every key run saw
    const keyTexts = kindKeyTexts(loaded.stageFile.identities, io.env);
    const inherited = Object.fromEntries(Object.entries(io.env).filter(([name]) => !isKeyVariable(name)));
    return runWithSecrets({
      stage: loaded.stage,
      stageFile: loaded.file,
      secrets: loaded.values,
      source: describeSource(loaded.source),
      command: child[0]!,
      args: child.slice(1),
      cwd: io.cwd,
      env: { ...inherited, ...contract },
      keyTexts,
      mask: !values['no-mask'],
      filesDir: values['files-dir'],
      flushMs,
      verbose: values.verbose,
      stdout: io.stdout,
      stderr: io.stderr,
    });
  },
});
