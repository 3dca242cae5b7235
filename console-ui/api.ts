// Talks to the console server: same origin, JSON, the console's token in the Authorization header of
// every request. Values go up in a request body and never come back.

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

/** The API address of a stage (a URL path, not a file: "path" in the code is a file's). */
export const stageApiUrl = (stage: string): string => `/api/stages/${encodeURIComponent(stage)}`;
