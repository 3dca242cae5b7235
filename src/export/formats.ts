import { randomBytes } from 'node:crypto';
import { parse as parseDotenv } from 'dotenv';
import { StageSecretsError } from '../core/errors.js';
import { githubMaskLines } from '../core/ci-masks.js';
import { assertEnvSafe } from '../core/values.js';

export const EXPORT_FORMATS = ['dotenv', 'json', 'github-env', 'shell'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export function isExportFormat(text: string): text is ExportFormat {
  return (EXPORT_FORMATS as readonly string[]).includes(text);
}

/** name → value text, in the order to write */
export type ExportEntries = ReadonlyArray<readonly [name: string, value: string]>;

export interface Exported {
  /** the file (or stdout) content */
  text: string;
  /** lines for the CI log before the content is used (GitHub `::add-mask::` commands) */
  logLines: string[];
  /** names written in a quoting that only dotenv parsers read (not safe to `source` in a shell) */
  dotenvOnly: string[];
}

/**
 * `masks`: the texts to register with the CI's log masking (github-env), which are `maskTexts` of the
 * secrets: the same rule as `run`'s masker, so a value too short to mask is not registered either
 * (GitHub would hide every "20" in the job's log).
 */
export function exportAs(format: ExportFormat, entries: ExportEntries, masks: readonly string[] = []): Exported {
  switch (format) {
    case 'json':
      return { text: toJson(entries), logLines: [], dotenvOnly: [] };
    case 'shell':
      return { text: toShell(entries), logLines: [], dotenvOnly: [] };
    case 'dotenv':
      return toDotenv(entries);
    case 'github-env':
      return { text: toGithubEnv(entries), logLines: githubMaskLines(masks), dotenvOnly: [] };
  }
}

export function toJson(entries: ExportEntries): string {
  const object: Record<string, string> = {};
  for (const [name, value] of entries) object[name] = value;
  return `${JSON.stringify(object, null, 2)}\n`;
}

/** POSIX single quotes: everything literal; a quote becomes '\'' (close, escaped quote, reopen). */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function toShell(entries: ExportEntries): string {
  return entries
    .map(([name, value]) => {
      assertEnvSafe(name, value, 'a shell variable');
      return `export ${name}=${shellQuote(value)}\n`;
    })
    .join('');
}

/**
 * One dotenv value, written so the `dotenv` package parses it back exactly. In order of preference:
 * - 'single quotes': literal, also safe to `source` in a shell; for values without ' or CR;
 * - "double quotes" with real newlines: for values with ' but without " $ ` \ or CR; also shell-safe;
 * - "double quotes" with \r and \n escapes: values without " and without a literal \n or \r text;
 * - `backquotes`: values without ` and CR;
 * - unquoted: one line without #, not starting with a quote or ending in spaces.
 * The last three are dotenv-only: a shell sourcing them would expand $ and run backquotes.
 */
function dotenvValue(name: string, value: string): { text: string; dotenvOnly: boolean } {
  const hasCr = value.includes('\r');
  if (!value.includes("'") && !hasCr) return { text: `'${value}'`, dotenvOnly: false };
  if (!/["$`\\\r]/.test(value)) return { text: `"${value}"`, dotenvOnly: false };
  if (!value.includes('"') && !/\\[nr]/.test(value)) {
    return { text: `"${value.replace(/\r/g, '\\r').replace(/\n/g, '\\n')}"`, dotenvOnly: true };
  }
  if (!value.includes('`') && !hasCr) return { text: `\`${value}\``, dotenvOnly: true };
  if (!/[#\r\n]/.test(value) && value.trim() === value && !/^['"`]/.test(value))
    return { text: value, dotenvOnly: true };
  throw new StageSecretsError(
    'INVALID_VALUE',
    `the value of ${name} cannot be written exactly as dotenv (it mixes all three quote characters, or a carriage return with " or a literal \\n); use --format json or --format shell.`,
  );
}

/**
 * A value that ends in a backslash closes its quotes with \' (or \" or \`), which dotenv's pattern
 * also reads as an escaped quote; this comment line holds each quote character followed by text, so
 * the value cannot be read as running on into the next entry.
 */
const BACKSLASH_GUARD = '#\'"`.\n';

export function toDotenv(entries: ExportEntries): Exported {
  let text = '';
  const dotenvOnly: string[] = [];
  for (const [name, value] of entries) {
    assertEnvSafe(name, value, 'a dotenv variable');
    const quoted = dotenvValue(name, value);
    if (quoted.dotenvOnly) dotenvOnly.push(name);
    text += `${name}=${quoted.text}\n`;
    if (value.endsWith('\\')) text += BACKSLASH_GUARD;
  }
  // Guarantee: the file reads back exactly, or nothing is written.
  const parsed = parseDotenv(text);
  const wrong = entries.filter(([name, value]) => parsed[name] !== value).map(([name]) => name);
  if (wrong.length > 0 || Object.keys(parsed).length !== entries.length) {
    throw new StageSecretsError(
      'INVALID_VALUE',
      `cannot write ${wrong.join(', ') || 'these secrets'} as dotenv so that it reads back exactly; use --format json or --format shell.`,
    );
  }
  return { text, logLines: [], dotenvOnly };
}

/** A heredoc delimiter that occurs in no value (random, so a value cannot be crafted to end the block). */
export function githubDelimiter(values: readonly string[]): string {
  for (;;) {
    const delimiter = `STAGE_SECRETS_EOF_${randomBytes(16).toString('hex')}`;
    if (!values.some((v) => v.includes(delimiter))) return delimiter;
  }
}

/** GitHub's env file in the multi-line form: NAME<<DELIM, the value, DELIM. Exact for any value. */
export function toGithubEnv(entries: ExportEntries, delimiter = githubDelimiter(entries.map(([, v]) => v))): string {
  return entries
    .map(([name, value]) => {
      assertEnvSafe(name, value, 'a GitHub env variable');
      return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
    })
    .join('');
}
