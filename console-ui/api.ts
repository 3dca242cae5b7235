// Talks to the console server: same origin, JSON, the page's CSRF token on every write. Values go up
// in a request body and never come back.

// The answers' types are the server's own (src/console/api.ts), never a copy.
export type {
  AppMatrix,
  ApprovalStatus,
  CellState,
  Need,
  SecretInfo,
  StageSecret,
  SecretType,
  StageColumn,
  StagePage,
  WriteOutcome,
} from '../src/console/api.js';

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
