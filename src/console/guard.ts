import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The loopback address the console binds to; it never listens anywhere else. */
export const CONSOLE_HOST = '127.0.0.1';

/**
 * The per-run token. It travels in the printed URL's fragment (never sent to any server), the page keeps
 * it in sessionStorage (scoped by the browser to the console's origin, port included) and sends it in the
 * Authorization header of each API request. No cookie: a browser sends cookies of 127.0.0.1 to every port.
 */
export function newConsoleToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The URL to open: the token in the fragment, which the browser keeps to itself. */
export function consoleUrl(port: number, token: string): string {
  return `http://${CONSOLE_HOST}:${port}/#token=${token}`;
}

/** What to do with a request: `serve` it (a read, or a write of the API), or `refuse` it (403, no detail). */
export type Verdict = { kind: 'serve'; write: boolean } | { kind: 'refuse' };

/** The page's code and styles: no data, the same for everyone, so served without the token. */
const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/', '/assets/app.js', '/assets/app.css', '/favicon.ico']);

function sameText(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? undefined : value;
}

function bearer(req: IncomingMessage): string | undefined {
  const m = /^Bearer ([A-Za-z0-9_-]+)$/.exec(header(req, 'authorization') ?? '');
  return m?.[1];
}

/** The Host names the console answers to: a DNS-rebinding page arrives with its own name in Host. */
export function allowedHosts(port: number): string[] {
  return [`${CONSOLE_HOST}:${port}`, `localhost:${port}`];
}

/**
 * Checks one request: Host is the loopback name and port, no query string; the page itself (shell,
 * script, styles) is served to anyone who gets that far, as it holds no data; the API needs the token
 * in the Authorization header, which only the console's own page can add (a cross-origin request with
 * it needs a CORS preflight, which is refused) and which no browser sends by itself. A write (POST) is
 * also same-origin (Origin, and Sec-Fetch-Site when the browser sends it) and JSON.
 */
export function judgeRequest(req: IncomingMessage, port: number, token: string): Verdict {
  const refuse: Verdict = { kind: 'refuse' };
  const host = header(req, 'host');
  if (host === undefined || !allowedHosts(port).includes(host)) return refuse;
  let url: URL;
  try {
    url = new URL(req.url ?? '/', `http://${host}`);
  } catch {
    return refuse;
  }
  if (url.search !== '') return refuse;
  const method = req.method ?? '';
  const read = method === 'GET' || method === 'HEAD';
  if (read && PUBLIC_PATHS.has(url.pathname)) return { kind: 'serve', write: false };
  if (!sameText(bearer(req), token)) return refuse;
  const site = header(req, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') return refuse;
  if (read) return { kind: 'serve', write: false };
  if (method !== 'POST') return refuse;
  if (header(req, 'origin') !== `http://${host}`) return refuse;
  const type = (header(req, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') return refuse;
  return { kind: 'serve', write: true };
}
