import { dirname, relative, resolve as resolvePath } from 'node:path';
import { git } from '../../stages/git.js';
import { gitIgnoredNote, gitTracking } from '../git-tracking.js';
import { initStage } from '../../stages/init.js';
import { resolveApp } from '../app.js';
import { identityOptions, identityOptionsHelp, identitySpecsFrom } from '../identity-options.js';
import { parse, stageOptions, STAGE_OPTIONS, STAGE_OPTIONS_HELP, write, type Command } from '../command.js';

const options = { ...STAGE_OPTIONS, ...identityOptions() } as const;

export const command: Command = {
  name: 'init',
  help: `Usage: stage-secrets init --stage S [--kms KEY_ID [--region R]] [--local]

Creates secrets/<S>.json with a new X25519 keypair. The folder is the app's: the nearest secrets/
holding a stage file, from this folder upward (not past the git root), else ./secrets here (or --dir).
The app name is recorded in the file, and every later command takes it from there. For an app's first
stage it is --app, else the serverless config's service (serverless.yml/.json read as text;
serverless.js/.ts or service: \${...} resolved with the project's own serverless print), else the
package.json name, else the folder name. A later stage joins the app its folder already records.
The private key is wrapped by each identity given (a new local key when none is):
${identityOptionsHelp()}
Several may be given, e.g. KMS for CI plus a break-glass local key.

${STAGE_OPTIONS_HELP}`,
  async run(argv, io) {
    const { values } = parse('init', argv, options, false);
    if (values.help) {
      write(io.stdout, this.help);
      return 0;
    }
    const opts = stageOptions('init', values, io);
    const specs = identitySpecsFrom('init', values);
    if (specs.length === 0) specs.push({ type: 'local' });
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
};
