import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { cookieName, judgeRequest, newConsoleTokens } from '../../../src/console/guard.js';

const PORT = 4800;
const tokens = newConsoleTokens();
const cookie = `${cookieName(PORT)}=${tokens.token}`;
const write = {
  host: `127.0.0.1:${PORT}`,
  cookie,
  origin: `http://127.0.0.1:${PORT}`,
  'content-type': 'application/json; charset=utf-8',
  'x-csrf-token': tokens.csrf,
};

function req(method: string, url: string, headers: Record<string, string | string[]>): IncomingMessage {
  return { method, url, headers } as unknown as IncomingMessage;
}

describe('judgeRequest', () => {
  it('makes fresh random tokens, the login and CSRF tokens different', () => {
    const other = newConsoleTokens();
    expect(other.token).not.toBe(tokens.token);
    expect(tokens.token).not.toBe(tokens.csrf);
    expect(tokens.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('logs in only at / with the exact token', () => {
    const host = `127.0.0.1:${PORT}`;
    expect(judgeRequest(req('GET', `/?token=${tokens.token}`, { host }), PORT, tokens)).toEqual({
      kind: 'login',
      path: '/',
    });
    expect(judgeRequest(req('GET', `/api/app?token=${tokens.token}`, { host }), PORT, tokens).kind).toBe('refuse');
    expect(judgeRequest(req('POST', `/?token=${tokens.token}`, { host }), PORT, tokens).kind).toBe('refuse');
    expect(judgeRequest(req('GET', `/?token=${tokens.csrf}`, { host }), PORT, tokens).kind).toBe('refuse');
  });

  it('serves reads with the cookie, on the loopback names only, without a query', () => {
    for (const host of [`127.0.0.1:${PORT}`, `localhost:${PORT}`]) {
      expect(judgeRequest(req('GET', '/api/app', { host, cookie }), PORT, tokens)).toEqual({
        kind: 'serve',
        write: false,
      });
    }
    const host = `127.0.0.1:${PORT}`;
    expect(judgeRequest(req('GET', '/api/app?x=1', { host, cookie }), PORT, tokens).kind).toBe('refuse');
    expect(judgeRequest(req('GET', '/api/app', { host: `[::1]:${PORT}`, cookie }), PORT, tokens).kind).toBe('refuse');
    expect(judgeRequest(req('GET', '/api/app', { host, cookie: `${cookie}; ${cookie}` }), PORT, tokens).kind).toBe(
      'refuse',
    );
    expect(judgeRequest(req('GET', '/api/app', { host, cookie: `x${cookie}` }), PORT, tokens).kind).toBe('refuse');
  });

  it('serves a write only when every check holds', () => {
    expect(judgeRequest(req('POST', '/api/stages/dev/set', write), PORT, tokens)).toEqual({
      kind: 'serve',
      write: true,
    });
    const same = { ...write, 'sec-fetch-site': 'same-origin' };
    expect(judgeRequest(req('POST', '/api/stages/dev/set', same), PORT, tokens).kind).toBe('serve');
    const broken: Array<Record<string, string | string[]>> = [
      { ...write, origin: `http://localhost:${PORT}` },
      { ...write, origin: ['a', 'b'] },
      { ...write, 'sec-fetch-site': 'none' },
      { ...write, 'content-type': 'text/plain' },
      { ...write, 'x-csrf-token': tokens.token },
      { ...write, host: `localhost:${PORT}` },
    ];
    for (const headers of broken) {
      expect(judgeRequest(req('POST', '/api/stages/dev/set', headers), PORT, tokens).kind).toBe('refuse');
    }
  });
});
