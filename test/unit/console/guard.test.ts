import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { consoleUrl, judgeRequest, newConsoleToken } from '../../../src/console/guard.js';

const PORT = 4800;
const token = newConsoleToken();
const authorization = `Bearer ${token}`;
const host = `127.0.0.1:${PORT}`;
const write = {
  host,
  authorization,
  origin: `http://127.0.0.1:${PORT}`,
  'content-type': 'application/json; charset=utf-8',
};

function req(method: string, url: string, headers: Record<string, string | string[]>): IncomingMessage {
  return { method, url, headers } as unknown as IncomingMessage;
}

const judge = (method: string, url: string, headers: Record<string, string | string[]>) =>
  judgeRequest(req(method, url, headers), PORT, token).kind;

describe('judgeRequest', () => {
  it('makes a fresh random token and puts it in the URL fragment, which browsers never send', () => {
    expect(newConsoleToken()).not.toBe(token);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(consoleUrl(PORT, token)).toBe(`http://127.0.0.1:${PORT}/#token=${token}`);
  });

  it('serves the page itself (no data) without the token, on the loopback names only, without a query', () => {
    for (const path of ['/', '/assets/app.js', '/assets/app.css', '/favicon.ico']) {
      expect(judge('GET', path, { host })).toBe('serve');
      expect(judge('HEAD', path, { host: `localhost:${PORT}` })).toBe('serve');
      expect(judge('GET', path, { host: `evil.example:${PORT}` })).toBe('refuse');
      expect(judge('POST', path, { host })).toBe('refuse');
    }
    expect(judge('GET', `/?token=${token}`, { host })).toBe('refuse');
  });

  it('serves API reads only with the token in the Authorization header; a cookie carries nothing', () => {
    for (const h of [host, `localhost:${PORT}`]) {
      expect(judgeRequest(req('GET', '/api/app', { host: h, authorization }), PORT, token)).toEqual({
        kind: 'serve',
        write: false,
      });
    }
    expect(judge('GET', '/api/app', { host, authorization, 'sec-fetch-site': 'same-origin' })).toBe('serve');
    const refused: Array<[string, Record<string, string | string[]>]> = [
      ['/api/app', { host }],
      ['/api/app', { host, cookie: `stage_secrets_console_${PORT}=${token}` }],
      ['/api/app', { host, authorization: token }],
      ['/api/app', { host, authorization: `Bearer ${token}x` }],
      ['/api/app', { host, authorization: [authorization, authorization] }],
      ['/api/app', { host, authorization, 'sec-fetch-site': 'same-site' }],
      ['/api/app', { host, authorization, 'sec-fetch-site': 'cross-site' }],
      ['/api/app?x=1', { host, authorization }],
      [`/api/app?token=${token}`, { host }],
      ['/api/app', { host: `[::1]:${PORT}`, authorization }],
      ['/api/app', { host: `127.0.0.1:${PORT + 1}`, authorization }],
    ];
    for (const [url, headers] of refused) expect(judge('GET', url, headers), JSON.stringify(headers)).toBe('refuse');
  });

  it('serves a write only when every check holds', () => {
    expect(judgeRequest(req('POST', '/api/stages/dev/set', write), PORT, token)).toEqual({
      kind: 'serve',
      write: true,
    });
    expect(judge('POST', '/api/stages/dev/set', { ...write, 'sec-fetch-site': 'same-origin' })).toBe('serve');
    const broken: Array<Record<string, string | string[]>> = [
      { ...write, origin: `http://localhost:${PORT}` },
      { ...write, origin: `http://127.0.0.1:${PORT + 1}` },
      { ...write, origin: ['a', 'b'] },
      { ...write, 'sec-fetch-site': 'none' },
      { ...write, 'sec-fetch-site': 'same-site' },
      { ...write, 'content-type': 'text/plain' },
      { ...write, authorization: 'Bearer x' },
      { host, origin: write.origin, 'content-type': 'application/json', cookie: `c=${token}` },
      { ...write, host: `localhost:${PORT}` },
    ];
    for (const headers of broken) {
      expect(judge('POST', '/api/stages/dev/set', headers), JSON.stringify(headers)).toBe('refuse');
    }
    for (const method of ['PUT', 'DELETE', 'OPTIONS'])
      expect(judge(method, '/api/stages/dev/set', write)).toBe('refuse');
  });
});
