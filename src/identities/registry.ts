// The identity kinds, one line each. Everything else reads them from here (see types.ts, IdentityKind).
// scripts/bundle-runtime.mjs keeps only the lines of kinds whose lambdaRuntime is true.
import { ageKind } from './age.js';
import { awsKmsKind } from './aws-kms.js';
import { localKind } from './local.js';
import type { IdentityKind } from './types.js';

// biome-ignore format: one line per kind
export const IDENTITY_KINDS: readonly IdentityKind[] = [
  localKind,
  awsKmsKind,
  ageKind,
];
