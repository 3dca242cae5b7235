// The shapes list gives, kept free of Node modules: the console's page (console-ui/) takes them through
// src/console/api.ts.
import type { SecretType } from '../core/values.js';

/**
 * What is known about a name's approval. Without the key: `pending` (no tag) or `unverified` (a tag
 * nobody checked: a writer can write a well-formed fake one). With the key: `approved` (the tag
 * verifies), `invalid` (it does not: made up, copied, or from an earlier approval epoch), `open` (no
 * tag needed: the stage's open policy verifies), or `pending`.
 */
export type ApprovalStatus = 'pending' | 'unverified' | 'approved' | 'invalid' | 'open';

export interface SecretInfo {
  name: string;
  type: SecretType;
  updated: string;
  /** carries an approval tag, checked or not (see `approval` for what is known of it) */
  approved: boolean;
  approval: ApprovalStatus;
  /** sealed to another key than the stage's (set before a rotate, merged after): present only when true */
  sealedToOtherKey?: true;
  /** with a runtime store: the store holds a newer value (stage-secrets pull folds it in) */
  storeNewer?: boolean;
  /** when it expires and who answers for it (set --expires / --owner), when given */
  expires?: string;
  owner?: string;
  /** a reference (set --ref): the build reads its value from SSM or Secrets Manager; present only when true */
  ref?: true;
  /** a reference's target, only when asked for (list --show-refs) and the stage key is at hand */
  target?: string;
}
