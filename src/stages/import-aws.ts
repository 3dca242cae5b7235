import { StageSecretsError } from '../core/errors.js';
import { keyNameProblem } from '../core/names.js';
import type { SecretType } from '../core/values.js';
import type { NewSecret } from './secrets.js';

/** Where `import --from` reads: every parameter under an SSM path, or one Secrets Manager secret. */
export type AwsSource = { kind: 'ssm'; path: string } | { kind: 'secretsmanager'; id: string };

/** `ssm:/PATH/` or `secretsmanager:ID` (a name or an ARN). */
export function parseAwsSource(text: string): AwsSource {
  if (text.startsWith('ssm:')) {
    const path = text.slice('ssm:'.length);
    if (!/^\/[A-Za-z0-9_.\-/]*$/.test(path) || path.includes('//')) {
      throw new StageSecretsError(
        'USAGE',
        '--from ssm: takes a parameter path that starts with / (letters, digits, _ . - and /), e.g. --from ssm:/legacy/app/',
      );
    }
    return { kind: 'ssm', path: path.length > 1 ? path.replace(/\/+$/, '') : path };
  }
  if (text.startsWith('secretsmanager:')) {
    const id = text.slice('secretsmanager:'.length);
    if (!/^[A-Za-z0-9/_+=.@:-]{1,2048}$/.test(id)) {
      throw new StageSecretsError(
        'USAGE',
        '--from secretsmanager: takes a secret name or ARN, e.g. --from secretsmanager:prod/app',
      );
    }
    return { kind: 'secretsmanager', id };
  }
  throw new StageSecretsError('USAGE', '--from takes ssm:/PATH/ or secretsmanager:ID.');
}

export function describeSource(source: AwsSource): string {
  return source.kind === 'ssm' ? `ssm:${source.path}` : `secretsmanager:${source.id}`;
}

/**
 * The secret name for a parameter below the imported path, or a key of a JSON secret: every run of
 * characters other than letters and digits becomes one `_`, the ends are trimmed, letters upper-cased.
 * `/legacy/app/db-url` imported from `ssm:/legacy/app/` is DB_URL; `stripe/webhook.secret` is STRIPE_WEBHOOK_SECRET.
 */
export function secretNameFor(relative: string): string {
  return relative
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
}

/** One value found at the source, before it is checked: where it came from, and what it becomes. */
export interface FoundValue {
  /** the parameter's name, or `ID#key` for a key of a JSON secret; never a value */
  from: string;
  name: string;
  type: SecretType;
  /** absent in a dry run of SSM, where no value is read */
  value?: string;
}

export interface ImportPlan {
  found: FoundValue[];
  /** each refused source, one line, never a value; a plan with problems writes nothing */
  problems: string[];
}

/** SSM parameters (full names) under `path` as secrets: a String, StringList or SecureString is a string. */
export function planFromParameters(path: string, parameters: Array<{ name: string; value?: string }>): ImportPlan {
  const prefix = path === '/' ? '/' : `${path}/`;
  return checkPlan(
    parameters.map((p) => ({
      from: p.name,
      name: secretNameFor(p.name.startsWith(prefix) ? p.name.slice(prefix.length) : p.name),
      type: 'string' as const,
      ...(p.value !== undefined ? { value: p.value } : {}),
    })),
  );
}

function typeAndText(value: unknown): { type: SecretType; value: string } {
  if (typeof value === 'string') return { type: 'string', value };
  if (typeof value === 'number') return { type: 'number', value: String(value) };
  return { type: 'json', value: JSON.stringify(value) };
}

/**
 * A Secrets Manager secret as secrets: with `as`, the whole string as one secret (json when it parses as
 * a JSON object or array); else a JSON object, one secret per key, typed by its value (a string is a
 * string, a number a number, anything else json).
 */
export function planFromSecret(id: string, text: string, as: string | undefined): ImportPlan {
  if (as !== undefined) {
    let type: SecretType = 'string';
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed === 'object' && parsed !== null) type = 'json';
    } catch {
      // not JSON: the text as it is
    }
    return checkPlan([{ from: id, name: as, type, value: text }]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new StageSecretsError(
      'USAGE',
      `Secrets Manager secret ${id} is not a JSON object of key/value pairs, so it has no names to import by: import it as one secret with --as NAME.`,
    );
  }
  return checkPlan(
    Object.entries(parsed as Record<string, unknown>).map(([key, value]) => ({
      from: `${id}#${key}`,
      name: secretNameFor(key),
      ...typeAndText(value),
    })),
  );
}

/** Invalid or reserved names, two sources on one name and empty values, each a line; no value in any. */
function checkPlan(found: FoundValue[]): ImportPlan {
  const problems: string[] = [];
  const byName = new Map<string, string[]>();
  for (const f of found) byName.set(f.name, [...(byName.get(f.name) ?? []), f.from]);
  for (const f of found) {
    const problem = f.name === '' ? 'no letter or digit to name it by' : keyNameProblem(f.name);
    if (problem) problems.push(`${f.from}: ${problem}`);
    if (f.value === '') problems.push(`${f.from} (${f.name}): empty value; stage-secrets keeps no empty secrets`);
  }
  for (const [name, froms] of byName) {
    if (froms.length > 1 && name !== '') problems.push(`${froms.join(' and ')}: all map to ${name}`);
  }
  return { found, problems };
}

/** The plan's values as a write: only called for a plan without problems, with values read. */
export function secretsOf(plan: ImportPlan): NewSecret[] {
  return plan.found.map((f) => {
    if (f.value === undefined) throw new StageSecretsError('IO', `${f.from}: no value was read.`);
    return { name: f.name, type: f.type, value: f.value };
  });
}
