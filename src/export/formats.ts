import { randomBytes } from 'node:crypto';
import { parse as parseDotenv } from 'dotenv';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { StageSecretsError } from '../core/errors.js';
import { githubMaskLines } from '../core/ci-masks.js';
import { shownName } from '../core/names.js';
import { assertEnvSafe } from '../core/values.js';

export const EXPORT_FORMATS = ['dotenv', 'json', 'github-env', 'shell', 'yaml', 'k8s-secret'] as const;
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
export function exportAs(
  format: ExportFormat,
  entries: ExportEntries,
  masks: readonly string[] = [],
  options: { k8sName?: string } = {},
): Exported {
  switch (format) {
    case 'yaml':
      return { text: toYaml(entries), logLines: [], dotenvOnly: [] };
    case 'k8s-secret':
      return { text: toK8sSecret(entries, options.k8sName ?? ''), logLines: [], dotenvOnly: [] };
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

/** Formats whose output is a file for another tool (kubectl, a YAML config): never shown on a terminal. */
export const FILE_ONLY_FORMATS: readonly ExportFormat[] = ['yaml', 'k8s-secret'];

/** Options of the YAML writer: no line folding (a long value stays one scalar), block scalars for multi-line. */
const YAML_OPTIONS = { lineWidth: 0, minContentWidth: 0 } as const;

function assertReadsBack(text: string, expected: unknown, format: string): void {
  const parsed: unknown = parseYaml(text);
  if (JSON.stringify(parsed) !== JSON.stringify(expected)) {
    throw new StageSecretsError(
      'INVALID_VALUE',
      `cannot write these secrets as ${format} so that it reads back exactly; use --format json.`,
    );
  }
}

/** One mapping `NAME: value` of strings, in order; checked to parse back to exactly the values. */
export function toYaml(entries: ExportEntries): string {
  const object: Record<string, string> = {};
  for (const [name, value] of entries) object[name] = value;
  const text = entries.length === 0 ? '{}\n' : stringifyYaml(object, YAML_OPTIONS);
  assertReadsBack(text, object, 'yaml');
  return text;
}

/** A Kubernetes object name (Secret): an RFC 1123 subdomain, as the API server validates it. */
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `name` cannot name a Kubernetes Secret, or undefined when it can. */
export function k8sNameProblem(name: string): string | undefined {
  if (name === '') return "--format k8s-secret needs --name NAME (the Secret's name, e.g. my-app-prod)";
  if (name.length > 253 || !DNS_1123_SUBDOMAIN.test(name)) {
    return (
      `--name ${shownName(name)} is not a Kubernetes object name: use at most 253 lower-case ` +
      'letters, digits, - and . (a DNS-1123 subdomain), starting and ending with a letter or digit'
    );
  }
  return undefined;
}

/**
 * A `kubectl apply`-able Secret: one `data` key per secret, each value base64 of its UTF-8 text. An
 * OpenFaaS function that lists the Secret under `secrets:` reads each key as /var/openfaas/secrets/<NAME>.
 */
export function toK8sSecret(entries: ExportEntries, name: string): string {
  const problem = k8sNameProblem(name);
  if (problem) throw new StageSecretsError('USAGE', `${problem}.`);
  const data: Record<string, string> = {};
  for (const [key, value] of entries) data[key] = Buffer.from(value, 'utf8').toString('base64');
  const manifest = { apiVersion: 'v1', kind: 'Secret', metadata: { name }, type: 'Opaque', data };
  const text = stringifyYaml(manifest, YAML_OPTIONS);
  assertReadsBack(text, manifest, 'k8s-secret');
  return text;
}
