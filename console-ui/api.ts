// Talks to the console server: same origin, JSON, the page's CSRF token on every write. Values go up
// in a request body and never come back.

export type ApprovalStatus = 'pending' | 'unverified' | 'approved' | 'invalid' | 'open';
export type CellState = ApprovalStatus | 'missing';
export type SecretType = 'string' | 'number' | 'json';

export interface StageColumn {
  stage: string;
  checkedWith?: string;
  problem?: string;
}

export interface AppMatrix {
  secretsDir: string;
  stages: StageColumn[];
  rows: Array<{ name: string; cells: Record<string, CellState>; neededBy?: Need[] }>;
}

export interface Need {
  who: string;
  where?: string;
}

export interface SecretInfo {
  name: string;
  type: SecretType;
  updated: string;
  approval: ApprovalStatus;
  neededBy?: Need[];
  /** set --expires / --owner */
  expires?: string;
  owner?: string;
}

export interface StagePage {
  stage: string;
  secrets: SecretInfo[];
  checkedWith?: string;
  problem?: string;
  needsKnown: boolean;
}

export interface WriteOutcome {
  message: string;
  notes: string[];
  changes: { files: string[]; git: string[]; inGit: boolean };
}

export class ApiError extends Error {}

function csrfToken(): string {
  return document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
}

async function answer<T>(res: Response): Promise<T> {
  if (res.status === 403) {
    throw new ApiError(
      'The console refused the request. If it was restarted, open the URL it printed again; else reload the page.',
    );
  }
  const body = (await res.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
  if (!res.ok) throw new ApiError(body?.error?.message ?? `the console answered ${res.status}`);
  return body as T;
}

export async function getJson<T>(path: string): Promise<T> {
  return answer<T>(await fetch(path, { credentials: 'same-origin', cache: 'no-store' }));
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken() },
    body: JSON.stringify(body),
  });
  return answer<T>(res);
}

export const stagePath = (stage: string): string => `/api/stages/${encodeURIComponent(stage)}`;
