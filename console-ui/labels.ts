import type { ApprovalStatus, CellState, SecretType } from './api.js';

export const TYPE_LABEL: Record<SecretType, string> = { string: 'Plaintext', number: 'Number', json: 'JSON' };

export const STATE_LABEL: Record<CellState, string> = {
  approved: 'Approved',
  open: 'Open policy',
  unverified: 'Present (approval not checked)',
  pending: 'Pending approval',
  invalid: 'Approval does not verify',
  missing: 'Missing',
};

/** Short text for the matrix cells; the long one goes in the title and the legend. */
export const STATE_SHORT: Record<CellState, string> = {
  approved: 'approved',
  open: 'present',
  unverified: 'present',
  pending: 'pending',
  invalid: 'invalid tag',
  missing: 'missing',
};

export const STATE_TONE: Record<CellState, 'ok' | 'warn' | 'bad' | 'none'> = {
  approved: 'ok',
  open: 'ok',
  unverified: 'ok',
  pending: 'warn',
  invalid: 'bad',
  missing: 'none',
};

export function needsApproval(status: ApprovalStatus): boolean {
  return status === 'pending' || status === 'invalid';
}

export function shortDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(0, 16).replace('T', ' ');
}
