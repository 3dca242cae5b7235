import { dirname, join, relative, resolve as resolvePath } from 'node:path';
import { StageSecretsError } from '../../core/errors.js';
import { appRootOf, findSecretsDir } from '../../stages/locate.js';
import { initDefaultSpec } from '../../identities/index.js';
import { git } from '../../git/git.js';
import { gitTracking } from '../../git/tracking.js';
import { gitIgnoredNote } from '../../stages/git-tracking.js';
import { initStage } from '../../stages/init.js';
import { resolveApp } from '../app.js';
import { identityOptions, identitySpecsFrom } from '../identity-options.js';
import { type CliIo, defineCommand, stageOptions, STAGE_OPTIONS, write } from '../command.js';

export const command = defineCommand({
  name: 'init',
  summary: 'create a stage file and its keypair',
  usage:
    'stage-secrets init --stage S [--kms KEY_ID [--region R]] [--local] [--age age1...] [--age-file FILE] [--here]',
  description: `Creates secrets/<S>.json with a new X25519 keypair. The folder is the app's: the nearest secrets/
holding a stage file, from this folder upward (not past the git root), else ./secrets here (or --dir).
In a git repository, an app's first init runs in the app's root: the nearest folder from here up to
the git root holding a serverless config or package.json, else the git root. From a folder below it,
init refuses and names the root (every command finds secrets/ from there); --here insists.
The app name is recorded in the file, and every later command takes it from there. For an app's first
stage it is --app, else the serverless config's service (serverless.yml/.json read as text;
serverless.js/.ts or service: \${...} resolved with the project's own serverless print), else the
package.json name, else the folder name. A later stage joins the app its folder already records.
The private key is wrapped by each identity given (a new local key when none is): the identity options
below. Several may be given, e.g. KMS for CI plus a break-glass local key.`,
  options: {
    ...identityOptions(),
    here: { type: 'boolean', help: 'make ./secrets in this folder anyway, for an app of its own' },
    ...STAGE_OPTIONS,
  },
  async run({ values }, io) {
    const opts = stageOptions('init', values, io);
    if (!values.here) refuseBelowAppRoot(opts.stage, opts.dir, io);
    const specs = identitySpecsFrom('init', values);
    if (specs.length === 0) specs.push(initDefaultSpec());
    const { file, notices, path, appFrom } = await initStage(opts, specs, () => resolveApp(io.cwd, opts.stage, io.env));
    write(
      io.stderr,
      `created ${path} for app ${file.app} (from ${appFrom}), stage ${file.stage}; identities: ${file.identities.map((r) => r.id).join(', ')}`,
    );
    for (const notice of notices) write(io.stderr, notice);
    if (git(['rev-parse', '--is-inside-work-tree'], io.cwd, io.env, true)?.trim() === 'true')
      write(io.stderr, 'to merge and diff stage files in git: npx --no-install stage-secrets git-setup');
    const tracking = gitTracking([resolvePath(io.cwd, path)], io.env);
    const ignored = tracking && gitIgnoredNote(tracking, io.cwd);
    if (ignored) write(io.stderr, ignored);
    else if (tracking) {
      const folder = `${relative(io.cwd, dirname(resolvePath(io.cwd, path))) || '.'}/`;
      write(io.stderr, `commit the whole folder, header and one file per secret: git add ${folder}`);
    }
    return 0;
  },
});

/** An app's first init below its root would make <subfolder>/secrets for an app named after the subfolder. */
function refuseBelowAppRoot(stage: string, dir: string | undefined, io: CliIo): void {
  if (!('searched' in findSecretsDir({ stage, dir, cwd: io.cwd, env: io.env }))) return; // --dir, or the app has one
  const root = appRootOf(io.cwd);
  const here = resolvePath(io.cwd);
  if (!root || root.dir === here) return;
  const cd = relative(here, root.dir);
  throw new StageSecretsError(
    'USAGE',
    `init would make ${join(here, 'secrets')} for an app of this folder, but the app's root is ${root.dir} (${root.why}), ` +
      `where every command looks for secrets/. Run it there: cd ${cd} && npx --no-install stage-secrets init --stage ${stage}. ` +
      'To make a separate app in this folder anyway, add --here (or choose the folder with --dir).',
  );
}
