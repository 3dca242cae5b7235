import * as path from 'node:path';
import { StageSecretsError } from '../../core/errors.js';
import { consoleAssets } from '../../console/assets.js';
import { CONSOLE_HOST } from '../../console/guard.js';
import { openBrowser } from '../../console/open-browser.js';
import { startConsoleServer } from '../../console/server.js';
import { findSecretsDir } from '../../stages/locate.js';
import { defineCommand, STAGE_OPTIONS, write } from '../command.js';

const BIND_OPTIONS = /^--(host|bind|address|listen|hostname)(=|$)/;

function portOf(text: string | undefined): number {
  if (text === undefined) return 0;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new StageSecretsError('USAGE', '--port needs a port number from 1 to 65535 (or 0 for a free one).');
  }
  return port;
}

/** Until Ctrl-C (SIGINT) or SIGTERM. */
function untilStopped(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export const command = defineCommand({
  name: 'console',
  summary: 'a local settings page over the stage files (127.0.0.1 only, never shows values)',
  usage: 'stage-secrets console [--port N] [--no-open] [--dir DIR]',
  description: `A local settings page over the app's stage files, for the people who add secrets: the app's
names x stages, and per stage its names, types, dates and approvals; add a secret (plaintext,
number or JSON), replace a value, delete with a confirmation, approve pending names when a key of
the stage is here. It never shows a value: values go from the page into the stage file, sealed
like set does (the same checks, locks and errors). After a change it shows the files that changed
and the git commands to commit them; it never commits or pushes.

It serves on ${CONSOLE_HOST} only and prints one URL with a random token (after #token=): keep it
to yourself (whoever has it can change secrets until the console stops). The token stays in the
browser tab that opened the URL; it is never a cookie. Ctrl-C stops it.`,
  options: {
    port: { type: 'string', short: 'p', value: 'N', help: `port on ${CONSOLE_HOST} (default: a free one)` },
    'no-open': { type: 'boolean', help: 'print the URL only; do not open the browser' },
    dir: STAGE_OPTIONS.dir,
  },
  refuse(argv) {
    const bind = argv.find((arg) => BIND_OPTIONS.test(arg));
    if (bind) {
      throw new StageSecretsError(
        'USAGE',
        `the console serves on ${CONSOLE_HOST} only (${bind.split('=')[0]} is refused): its page changes secrets. ` +
          `To use it from another machine, forward the port: ssh -L PORT:${CONSOLE_HOST}:PORT HOST.`,
      );
    }
  },
  async run({ values }, io) {
    const port = portOf(values.port);
    if (values.dir === '') throw new StageSecretsError('USAGE', '--dir needs a folder path.');
    // the stage matters only where a folder cannot be listed: any stage name does
    const found = findSecretsDir({ stage: 'dev', dir: values.dir, cwd: io.cwd, env: io.env });
    if ('searched' in found) {
      throw new StageSecretsError(
        'NOT_FOUND',
        `no secrets/ folder with a stage file ${found.searched}. Run the console in the app's folder, pass ` +
          '--dir, or create a stage first: npx --no-install stage-secrets init --stage dev',
      );
    }
    const assets = consoleAssets();
    const ctx = { secretsDir: found.dir, cwd: path.resolve(io.cwd), env: io.env };
    const server = await startConsoleServer({
      ctx,
      assets,
      port,
      onInternalError: (what) => write(io.stderr, `stage-secrets console: internal error (${what})`),
    });
    const stopped = untilStopped();
    write(io.stdout, server.url);
    write(
      io.stderr,
      `stage-secrets console for ${path.relative(ctx.cwd, ctx.secretsDir) || '.'}, on ${CONSOLE_HOST} only. ` +
        'Keep the URL to yourself: its token lets the holder change secrets. Ctrl-C stops the console.',
    );
    if (!values['no-open']) openBrowser(server.url);
    const signal = await stopped;
    await server.close();
    write(io.stderr, `stage-secrets console stopped (${signal}).`);
    return 0;
  },
});
