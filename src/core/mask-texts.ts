import type { SecretValue } from '../core/values.js';

/**
 * Shortest value that is masked, in characters. Masking 1–3 character values would turn every
 * "on", "42" or "yes" in a build log into `***`; such secrets are named in a warning instead.
 */
export const MIN_MASK_LENGTH = 4;

function longEnough(text: string): boolean {
  // counted in code points, so a 2-emoji value is 2 characters, not 4
  let count = 0;
  for (const _ of text) if (++count >= MIN_MASK_LENGTH) return true;
  return false;
}

/** The text itself, its JSON-escaped form (how a logged object shows it) and each line of it. */
function addForms(text: string, into: Set<string>): void {
  if (!longEnough(text)) return;
  into.add(text);
  const escaped = JSON.stringify(text).slice(1, -1);
  if (escaped !== text) into.add(escaped);
  if (/[\r\n]/.test(text)) {
    for (const line of text.split(/\r?\n|\r/)) {
      const trimmed = line.trim();
      if (longEnough(trimmed)) into.add(trimmed);
    }
  }
}

function addStringLeaves(node: unknown, into: Set<string>): void {
  if (typeof node === 'string') addForms(node, into);
  else if (Array.isArray(node)) for (const item of node) addStringLeaves(item, into);
  else if (node !== null && typeof node === 'object') for (const item of Object.values(node)) addStringLeaves(item, into);
}

/** Names of the secrets whose value is too short to be masked. */
export function unmaskedSecrets(secrets: ReadonlyMap<string, SecretValue>): string[] {
  const names: string[] = [];
  for (const [name, value] of secrets) if (!longEnough(value.text)) names.push(name);
  return names;
}

/**
 * What to mask for a set of secrets: every value of at least MIN_MASK_LENGTH characters (JSON in
 * its compact form), its JSON-escaped form, each line of a multi-line value, and each string leaf
 * of a JSON value that is long enough on its own.
 */
export function maskTexts(secrets: ReadonlyMap<string, SecretValue>): string[] {
  const patterns = new Set<string>();
  for (const value of secrets.values()) {
    if (!longEnough(value.text)) continue;
    addForms(value.text, patterns);
    if (value.type === 'json') {
      try {
        addStringLeaves(JSON.parse(value.text) as unknown, patterns);
      } catch {
        // canonical JSON always parses; a value that does not is still masked whole
      }
    }
  }
  return [...patterns];
}
