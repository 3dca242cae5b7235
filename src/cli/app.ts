import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { StageSecretsError } from '../core/errors.js';
import { APP_PROBE_VAR } from '../core/run-env.js';
import { SERVERLESS_CONFIGS } from '../core/serverless-configs.js';
import type { ExpectedApp } from '../stages/options.js';

const SERVICE_NAME = /^[A-Za-z0-9][\w.-]*$/;
/** How Serverless v4 refuses to run without a licence key or a dashboard login. */
const LICENCE_GATE = /licen[cs]e|log ?in\b|access key|SERVERLESS_ACCESS_KEY/i;

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The literal `service` of a serverless.yml, read without a YAML parser: `service: x` or `service:\n  name: x`. */
export function serviceFromServerlessYml(text: string): string | undefined {
  const inline = /^service:[ \t]*['"]?([A-Za-z0-9][\w.-]*)['"]?[ \t]*(?:#.*)?$/m.exec(text);
  if (inline) return inline[1];
  const nested = /^service:[ \t]*(?:#.*)?\r?\n[ \t]+name:[ \t]*['"]?([A-Za-z0-9][\w.-]*)['"]?[ \t]*(?:#.*)?$/m.exec(
    text,
  );
  return nested?.[1];
}

function serviceFromServerlessJson(text: string): string | undefined {
  try {
    const service = (JSON.parse(text) as { service?: unknown }).service;
    const name = typeof service === 'object' && service !== null ? (service as { name?: unknown }).name : service;
    return typeof name === 'string' && SERVICE_NAME.test(name) ? name : undefined;
  } catch {
    return undefined;
  }
}

/** The project's own serverless framework (serverless v3 or osls), from node_modules/.bin at or above `cwd`. */
export function findFramework(cwd: string): string | undefined {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    for (const name of ['serverless', 'osls']) {
      const bin = path.join(dir, 'node_modules', '.bin', name);
      if (fs.existsSync(bin)) return fs.realpathSync(bin);
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * `serverless print --path service` with the project's framework: the service name as the framework
 * resolves it (serverless.js/.ts, `service: ${...}`). Offline; the plugin resolves no secret meanwhile.
 */
function printService(bin: string, cwd: string, stage: string, env: NodeJS.ProcessEnv): Promise<string> {
  const printEnv: NodeJS.ProcessEnv = {
    ...env,
    [APP_PROBE_VAR]: '1',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
  };
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [bin, 'print', '--path', 'service', '--format', 'json', '--stage', stage],
      { cwd, env: printEnv, encoding: 'utf8', timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          const lines = `${stderr}\n${stdout}`.split('\n').map((l) => l.trim());
          const at = lines.indexOf('Error:');
          const why = (at >= 0 ? lines.slice(at + 1) : lines).find((l) => l.length > 0) ?? err.message;
          reject(new Error(why));
          return;
        }
        try {
          const printed = JSON.parse(stdout.trim()) as unknown;
          const name = typeof printed === 'object' && printed !== null ? (printed as { name?: unknown }).name : printed;
          if (typeof name === 'string' && SERVICE_NAME.test(name)) resolve(name);
          else reject(new Error('the framework printed no usable service name'));
        } catch {
          reject(new Error('the framework printed no JSON service name'));
        }
      },
    );
  });
}

/**
 * The app of a new secrets folder: --app, else the serverless config's `service` (a literal in
 * serverless.yml/.json is read directly; otherwise the project's framework resolves it), else
 * package.json `name`, else the folder name. A serverless config whose service cannot be resolved is
 * refused rather than replaced by the package.json name: the plugin would then see a different app.
 */
export async function resolveApp(
  cwd: string,
  stage: string,
  env: NodeJS.ProcessEnv,
  explicit?: string,
): Promise<ExpectedApp> {
  if (explicit) return { name: explicit, from: '--app' };
  const config = SERVERLESS_CONFIGS.find((name) => fs.existsSync(path.join(cwd, name)));
  if (config) {
    const text = readText(path.join(cwd, config)) ?? '';
    const literal = config.endsWith('.json')
      ? serviceFromServerlessJson(text)
      : /\.ya?ml$/.test(config)
        ? serviceFromServerlessYml(text)
        : undefined;
    if (literal) return { name: literal, from: `service in ${config}` };
    const bin = findFramework(cwd);
    if (!bin) {
      throw new StageSecretsError(
        'USAGE',
        `cannot tell the app name: ${config} does not give the service as plain text, and no serverless framework is installed here (node_modules/.bin/serverless or osls) to resolve it. Pass --app NAME (the service name).`,
      );
    }
    try {
      return {
        name: await printService(bin, cwd, stage, env),
        from: `service in ${config} (resolved by serverless print)`,
      };
    } catch (err) {
      const why = (err as Error).message;
      // v4's CLI checks a licence or login online before any command, print included (notes/serverless-v4.md)
      const gated = LICENCE_GATE.test(why)
        ? ' This framework asks for a licence or a login before it runs any command; stage-secrets does not need it to know the app.'
        : '';
      throw new StageSecretsError(
        'USAGE',
        `cannot tell the app name: serverless print could not resolve the service of ${config} (${why}).${gated} Pass --app NAME (the service name).`,
      );
    }
  }
  const pkg = readText(path.join(cwd, 'package.json'));
  if (pkg) {
    try {
      const name = (JSON.parse(pkg) as { name?: unknown }).name;
      if (typeof name === 'string' && name.length > 0) return { name, from: 'name in package.json' };
    } catch {
      // an unreadable package.json does not name the app; fall through to the folder name
    }
  }
  return { name: path.basename(path.resolve(cwd)), from: 'folder name' };
}
