import { StageSecretsError } from './errors.js';

export const SECRET_TYPES = ['string', 'number', 'json'] as const;
export type SecretType = (typeof SECRET_TYPES)[number];
export const MAX_VALUE_LENGTH = 10_000;

/** A decrypted secret: its type and its canonical text (what goes into env). */
export interface SecretValue {
  type: SecretType;
  text: string;
  /** a reference entry: `text` is the canonical target (`ssm:/org/x`, `secretsmanager:ID#KEY`), not a value;
   * `type` is the type of the value the target yields. The build resolves it (src/aws/references.ts). */
  ref?: true;
}

/** What readSecret-style callers get: the value as its type says. */
export type TypedValue = string | number | unknown;

const NUMBER_TEXT = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

export function isSecretType(t: string): t is SecretType {
  return (SECRET_TYPES as readonly string[]).includes(t);
}

/**
 * Checks a value as typed by the user and returns its canonical text: numbers as written when they
 * are plain decimal literals, JSON re-serialised compact. Error messages never quote the value.
 */
export function normalizeValue(name: string, type: SecretType, raw: string): string {
  if (raw.length > MAX_VALUE_LENGTH) {
    throw new StageSecretsError(
      'INVALID_VALUE',
      `value of ${name} has ${raw.length} characters; the limit is ${MAX_VALUE_LENGTH}. Store large data elsewhere and keep a reference as the secret.`,
    );
  }
  if (raw.length === 0) {
    throw new StageSecretsError(
      'INVALID_VALUE',
      `value of ${name} is empty; give a value or remove the secret with rm.`,
    );
  }
  if (type === 'number') {
    const text = raw.trim();
    if (!NUMBER_TEXT.test(text) || !Number.isFinite(Number(text))) {
      throw new StageSecretsError('INVALID_VALUE', `value of ${name} is not a finite decimal number (--type number).`);
    }
    return text;
  }
  if (type === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new StageSecretsError(
        'INVALID_VALUE',
        `value of ${name} is not valid JSON (--type json); check quoting and commas.`,
      );
    }
    const text = JSON.stringify(parsed);
    if (text.length > MAX_VALUE_LENGTH) {
      throw new StageSecretsError('INVALID_VALUE', `value of ${name} is longer than ${MAX_VALUE_LENGTH} characters.`);
    }
    return text;
  }
  if (raw.includes('\0')) {
    throw new StageSecretsError(
      'INVALID_VALUE',
      `value of ${name} contains a NUL character, which no environment variable can hold: run, export and ` +
        'the plugin would refuse the stage. Remove it, or store the value base64-encoded.',
    );
  }
  return raw;
}

/** Turns canonical text back into the typed value (number, string, parsed JSON). */
export function toTyped(value: SecretValue): TypedValue {
  if (value.type === 'number') return Number(value.text);
  if (value.type === 'json') return JSON.parse(value.text) as unknown;
  return value.text;
}

/** Refuses a value an environment variable cannot carry (the OS cuts it at a NUL byte). */
export function assertEnvSafe(name: string, text: string, where: string): void {
  if (text.includes('\0')) {
    throw new StageSecretsError(
      'INVALID_VALUE',
      `the value of ${name} contains a NUL character, which ${where} cannot hold; set it again without it (or use --format json).`,
    );
  }
}
