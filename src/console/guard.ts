import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The loopback address the console binds to; it never listens anywhere else. */
export const CONSOLE_HOST = '127.0.0.1';

/** Per-run secrets of one console: the login token (URL, then cookie) and the CSRF token (page, then header). */
export interface ConsoleTokens {
  token: string;
  csrf: string;
}

export function newConsoleTokens(): ConsoleTokens {
  return { token: randomBytes(32).toString('base64url'), csrf: randomBytes(32).toString('base64url') };
}

/** Cookies are shared by every port of a host: one name per port keeps two consoles apart. */
export function cookieName(port: number): string {
  return `stage_secrets_console_${port}`;
}

/**
 * What to do with a request: `serve` it, `login` (the URL carries the right token: set the cookie and
 * redirect to the same path without it), or `refuse` (403, no detail).
 */
export type Verdict = { kind: 'serve'; write: boolean } | { kind: 'login'; path: string } | { kind: 'refuse' };

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

function cookie(req: IncomingMessage, name: string): string | undefined {
  const found = (header(req, 'cookie') ?? '')
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${name}=`));
  return found.length === 1 ? found[0]!.slice(name.length + 1) : undefined;
}

/** The Host names the console answers to: a DNS-rebinding page arrives with its own name in Host. */
export function allowedHosts(port: number): string[] {
  return [`${CONSOLE_HOST}:${port}`, `localhost:${port}`];
}

/**
 * Checks one request: Host is the loopback name and port; the token comes as a cookie (or, once, in
 * the URL); a write (POST) is same-origin (Origin, and Sec-Fetch-Site when the browser sends it), JSON,
 * and carries the CSRF token of the page. Everything else is refused.
 */
export function judgeRequest(req: IncomingMessage, port: number, tokens: ConsoleTokens): Verdict {
  const refuse: Verdict = { kind: 'refuse' };
  const host = header(req, 'host');
  if (host === undefined || !allowedHosts(port).includes(host)) return refuse;
  let url: URL;
  try {
    url = new URL(req.url ?? '/', `http://${host}`);
  } catch {
    return refuse;
  }
  const method = req.method ?? '';
  if (method === 'GET' && url.searchParams.has('token')) {
    if (!sameText(url.searchParams.get('token') ?? undefined, tokens.token) || url.pathname !== '/') return refuse;
    return { kind: 'login', path: '/' };
  }
  if (!sameText(cookie(req, cookieName(port)), tokens.token)) return refuse;
  if (method === 'GET' || method === 'HEAD') return url.search === '' ? { kind: 'serve', write: false } : refuse;
  if (method !== 'POST') return refuse;
  const origin = header(req, 'origin');
  if (origin !== `http://${host}`) return refuse;
  const site = header(req, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') return refuse;
  const type = (header(req, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') return refuse;
  if (!sameText(header(req, 'x-csrf-token'), tokens.csrf)) return refuse;
  return { kind: 'serve', write: true };
}
