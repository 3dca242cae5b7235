import * as fs from 'node:fs';
import * as path from 'node:path';

import type { ExpectedApp } from '../stages/options.js';

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The `service` of a serverless.yml, read without a YAML parser: `service: x` or `service:\n  name: x`. */
function serviceFromServerlessYml(text: string): string | undefined {
  const inline = /^service:[ \t]*['"]?([A-Za-z0-9][\w.-]*)['"]?[ \t]*(?:#.*)?$/m.exec(text);
  if (inline) return inline[1];
  const nested = /^service:[ \t]*(?:#.*)?\r?\n[ \t]+name:[ \t]*['"]?([A-Za-z0-9][\w.-]*)['"]?/m.exec(text);
  return nested?.[1];
}

/** App name: --app, else serverless.yml `service`, else package.json `name`, else the folder name. */
export function resolveApp(cwd: string, explicit?: string): ExpectedApp {
  if (explicit) return { name: explicit, source: '--app' };
  for (const name of ['serverless.yml', 'serverless.yaml']) {
    const text = readText(path.join(cwd, name));
    const service = text && serviceFromServerlessYml(text);
    if (service) return { name: service, source: `service in ${name}` };
  }
  const pkg = readText(path.join(cwd, 'package.json'));
  if (pkg) {
    try {
      const name = (JSON.parse(pkg) as { name?: unknown }).name;
      if (typeof name === 'string' && name.length > 0) return { name, source: 'name in package.json' };
    } catch {
      // an unreadable package.json does not name the app; fall through to the folder name
    }
  }
  return { name: path.basename(path.resolve(cwd)), source: 'folder name' };
}
