import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StageSecretsError } from '../core/errors.js';

/** The console's front end: one script and one style sheet, served by the console itself. */
export interface ConsoleAssets {
  js: string;
  css: string;
}

// Set by the bundler (scripts/bundle-cli.mjs) from dist/console-ui/; the unbundled build reads those files.
declare const STAGE_SECRETS_CONSOLE_UI: ConsoleAssets | undefined;

function packageRoot(): string | undefined {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    try {
      if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'stage-secrets') return dir;
    } catch {
      // no package.json here: look further up
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

export function consoleAssets(): ConsoleAssets {
  if (typeof STAGE_SECRETS_CONSOLE_UI === 'object') return STAGE_SECRETS_CONSOLE_UI;
  const root = packageRoot();
  try {
    if (!root) throw new Error('no package root');
    const dir = path.join(root, 'dist', 'console-ui');
    return {
      js: fs.readFileSync(path.join(dir, 'app.js'), 'utf8'),
      css: fs.readFileSync(path.join(dir, 'app.css'), 'utf8'),
    };
  } catch {
    throw new StageSecretsError('IO', 'the console page is not built (dist/console-ui/); run: npm run build');
  }
}
