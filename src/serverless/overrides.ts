import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../core/log.js';
import type { MergeResult } from './merge.js';

/** A place in the service's config text that reads a variable a secret replaced. */
export interface StaleRead {
  /** provider.environment.X or functions.F.environment.X */
  variable: string;
  /** 1-based line numbers of the config file */
  lines: number[];
}

/** "provider.environment.A, functions.api.environment.B": the yaml variables secrets replaced, names only. */
export function replacedVariables(replaced: MergeResult['replaced']): string[] {
  return [
    ...replaced.provider.map((name) => `provider.environment.${name}`),
    ...Object.entries(replaced.functions).flatMap(([fn, names]) =>
      names.map((name) => `functions.${fn}.environment.${name}`),
    ),
  ];
}

const SELF_ENV_READ =
  /\$\{\s*self:\s*(provider\.environment|functions\.([A-Za-z0-9_-]+)\.environment)\.([A-Za-z_][A-Za-z0-9_]*)/g;

/** A line without its YAML (#) or JavaScript (//) comment: a comment reads nothing. */
function withoutComment(line: string): string {
  const at = line.search(/(^|\s)(#|\/\/)/);
  return at < 0 ? line : line.slice(0, at);
}

/**
 * Where the config text (serverless.yml as written, before variables are resolved) reads a replaced
 * variable through `${self:provider.environment.X}` or `${self:functions.F.environment.X}`: those places
 * get the value written in serverless.yml, while the functions get the secret.
 */
export function staleReads(configText: string, replaced: MergeResult['replaced']): StaleRead[] {
  const wanted = new Set(replacedVariables(replaced));
  const found = new Map<string, number[]>();
  const lines = configText.split('\n');
  lines.forEach((line, i) => {
    for (const match of withoutComment(line).matchAll(SELF_ENV_READ)) {
      const variable = `${match[1]}.${match[3]}`;
      if (!wanted.has(variable)) continue;
      const at = found.get(variable) ?? [];
      if (!at.includes(i + 1)) at.push(i + 1);
      found.set(variable, at);
    }
  });
  return [...found]
    .map(([variable, at]) => ({ variable, lines: at }))
    .sort((a, b) => a.variable.localeCompare(b.variable));
}

/** The warning for one stale read, naming the variable and lines, never a value. */
export function staleReadWarning(configFile: string, read: StaleRead): string {
  const name = read.variable.slice(read.variable.lastIndexOf('.') + 1);
  const where = `line${read.lines.length === 1 ? '' : 's'} ${read.lines.join(', ')}`;
  return (
    `${configFile} reads ${read.variable} through \${self:${read.variable}} (${where}), but a secret replaces it: ` +
    `those places keep the value written in ${configFile}, while the functions get the secret. ` +
    `Use \${secret:${name}} there if they should see the secret, or remove ${name} from the stage (or from this service with custom.stageSecrets.secrets).`
  );
}

/**
 * Logs the serverless.yml variables secrets replaced (names only), and warns about each place the config
 * file reads one of them through ${self:...}. Without a readable config file, no warning.
 */
export function logOverrides(replaced: MergeResult['replaced'], configFile: string | undefined, log: Logger): void {
  const names = replacedVariables(replaced);
  if (names.length) log.notice(`stage-secrets: secrets replace the serverless.yml values of ${names.join(', ')}`);
  let text: string;
  try {
    if (configFile === undefined) return;
    text = fs.readFileSync(configFile, 'utf8');
  } catch {
    return;
  }
  for (const read of staleReads(text, replaced)) log.warn(staleReadWarning(path.basename(configFile), read));
}
