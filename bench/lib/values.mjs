// Names and values of the synthetic secrets. No imports from the project, so a child process
// (the output producer) can recompute the same values cheaply.
import { createHash } from 'node:crypto';

/** SECRET_00042: short, so 100 of them fit Lambda's 4 KB env together with their values. */
export function secretName(i) {
  return `SECRET_${String(i).padStart(5, '0')}`;
}

/** Token-like values (base64url of a hash), deterministic; size <= 43. */
export function secretValue(i, size = 24) {
  return createHash('sha256').update(`stage-secrets bench value ${i}`).digest('base64url').slice(0, size);
}
