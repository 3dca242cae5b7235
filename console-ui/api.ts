// Talks to the console server: same origin, JSON, the console's token in the Authorization header of
// every request. Values go up in a request body and never come back.

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
  changes: { files: string[]; untracked: string[]; ignored: string[]; git: string[]; inGit: boolean };
}

export class ApiError extends Error {}

const TOKEN_KEY = 'stage-secrets-console-token';

/**
 * Takes the token from the printed URL's fragment (#token=...) into sessionStorage, which the browser
 * keeps per origin (port included) and per tab, and drops it from the address bar. Not a cookie: those
 * go to every port of 127.0.0.1.
 */
export function takeTokenFromAddress(): void {
  const m = /^#token=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (!m) return;
  sessionStorage.setItem(TOKEN_KEY, m[1]!);
  history.replaceState(null, '', '/');
}

function authorization(): Record<string, string> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    throw new ApiError(
      'This tab has no console token: open the URL the console printed (it ends in #token=...), or start the ' +
        'console again.',
    );
  }
  return { Authorization: `Bearer ${token}` };
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
  const headers = authorization();
  return answer<T>(await fetch(path, { credentials: 'omit', cache: 'no-store', headers }));
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(path, {
    method: 'POST',
    credentials: 'omit',
    cache: 'no-store',
    headers: { 'Content-Type': 'application/json', ...authorization() },
    body: JSON.stringify(body),
  });
  return answer<T>(res);
}

export const stagePath = (stage: string): string => `/api/stages/${encodeURIComponent(stage)}`;
