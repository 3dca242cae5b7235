import { initDefaultSpec } from '../../identities/index.js';
import { git } from '../../stages/git.js';
import { initStage } from '../../stages/init.js';
import { resolveApp } from '../app.js';
import { identityOptions, identitySpecsFrom } from '../identity-options.js';
import { defineCommand, stageOptions, STAGE_OPTIONS, write } from '../command.js';

export const command = defineCommand({
  name: 'init',
  summary: 'create a stage file and its keypair',
  usage: 'stage-secrets init --stage S [--kms KEY_ID [--region R]] [--local]',
  description: `Creates secrets/<S>.json with a new X25519 keypair. The folder is the app's: the nearest secrets/
holding a stage file, from this folder upward (not past the git root), else ./secrets here (or --dir).
The app name is recorded in the file, and every later command takes it from there. For an app's first
stage it is --app, else the serverless config's service (serverless.yml/.json read as text;
serverless.js/.ts or service: \${...} resolved with the project's own serverless print), else the
package.json name, else the folder name. A later stage joins the app its folder already records.
The private key is wrapped by each identity given (a new local key when none is): the identity options
below. Several may be given, e.g. KMS for CI plus a break-glass local key.`,
  options: { ...identityOptions(), ...STAGE_OPTIONS },
  async run({ values }, io) {
    const opts = stageOptions('init', values, io);
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
    return 0;
  },
});
