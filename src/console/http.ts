import type { IncomingMessage, ServerResponse } from 'node:http';
import { StageSecretsError } from '../core/errors.js';

/** Scripts and styles from the console itself only; no frames, no other host, no inline code. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers of every response; no Access-Control-* header ever (no CORS). */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': type, ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

/** The one answer to every request the console will not serve: no reason given. */
export function refuse(res: ServerResponse): void {
  // the connection closes too: an unread request body must not be taken for the next request
  send(res, 403, 'text/plain; charset=utf-8', 'Forbidden\n', { Connection: 'close' });
}

/** Large enough for a 10,000-character value written with JSON escapes, small enough to read into memory. */
const MAX_BODY_BYTES = 256 * 1024;

/**
 * The JSON object of a request body. The messages never quote the body: it holds a secret value, and
 * JSON.parse's own message can repeat part of its input.
 */
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new StageSecretsError('USAGE', 'the request is too large.');
    chunks.push(chunk);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new StageSecretsError('USAGE', 'the request body is not JSON; reload the page.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new StageSecretsError('USAGE', 'the request body is not a JSON object; reload the page.');
  }
  return parsed as Record<string, unknown>;
}
