import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isStageSecretsError, StageSecretsError } from '../core/errors.js';
import type { ConsoleAssets } from './assets.js';
import { CONSOLE_HOST, consoleUrl, judgeRequest, newConsoleToken } from './guard.js';
import { readJsonBody, refuse, send, sendJson } from './http.js';
import type { ConsoleContext } from './matrix.js';
import { renderShell } from './page.js';
import { appPage, approve, removeSecret, setSecret, stagePage } from './routes.js';

export interface ConsoleServerOptions {
  ctx: ConsoleContext;
  assets: ConsoleAssets;
  /** 0: a free port the system picks */
  port: number;
  /** only 127.0.0.1 is accepted: anything else is refused before listening */
  host?: string;
  /** where internal errors are reported (their kind only, never a message that could hold data) */
  onInternalError?: (what: string) => void;
}

export interface RunningConsole {
  /** the one URL to open, with the token in its fragment */
  url: string;
  port: number;
  close(): Promise<void>;
}

const STATUS_OF_CODE: Partial<Record<string, number>> = {
  USAGE: 400,
  INVALID_NAME: 400,
  INVALID_VALUE: 400,
  NOT_FOUND: 404,
};

type Write = (ctx: ConsoleContext, stage: string, body: Record<string, unknown>) => Promise<unknown>;
const WRITES: Record<string, Write> = { set: setSecret, remove: removeSecret, approve };

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  opts: ConsoleServerOptions,
  write: boolean,
): Promise<void> {
  const pathname = new URL(req.url ?? '/', 'http://console').pathname;
  const parts = pathname.split('/').slice(1);
  if (!write) {
    if (pathname === '/') return send(res, 200, 'text/html; charset=utf-8', renderShell());
    if (pathname === '/assets/app.js') return send(res, 200, 'text/javascript; charset=utf-8', opts.assets.js);
    if (pathname === '/assets/app.css') return send(res, 200, 'text/css; charset=utf-8', opts.assets.css);
    if (pathname === '/favicon.ico') return send(res, 204, 'text/plain', '');
    if (pathname === '/api/app') return sendJson(res, 200, await appPage(opts.ctx));
    if (parts.length === 3 && parts[0] === 'api' && parts[1] === 'stages') {
      return sendJson(res, 200, await stagePage(opts.ctx, decodeURIComponent(parts[2]!)));
    }
    return refuse(res);
  }
  const known = parts.length === 4 && parts[0] === 'api' && parts[1] === 'stages' && Object.hasOwn(WRITES, parts[3]!);
  const action = known ? WRITES[parts[3]!] : undefined;
  if (!action) return refuse(res);
  const body = await readJsonBody(req);
  sendJson(res, 200, await action(opts.ctx, decodeURIComponent(parts[2]!), body));
}

/**
 * Starts the console's HTTP server on 127.0.0.1. Every request passes judgeRequest first (Host; the token
 * for the API; same-origin JSON for writes); refused ones get a bare 403. Errors of the stage layer are shown
 * with their message (they never hold a value); any other error only as "internal error".
 */
export async function startConsoleServer(opts: ConsoleServerOptions): Promise<RunningConsole> {
  const host = opts.host ?? CONSOLE_HOST;
  if (host !== CONSOLE_HOST) {
    throw new StageSecretsError(
      'USAGE',
      `the console serves on ${CONSOLE_HOST} only, not ${JSON.stringify(host)}: its page changes secrets. ` +
        `To reach it from another machine, forward the port over ssh (ssh -L PORT:${CONSOLE_HOST}:PORT).`,
    );
  }
  const token = newConsoleToken();
  let port = 0;
  const server = createServer((req, res) => {
    const verdict = judgeRequest(req, port, token);
    if (verdict.kind === 'refuse') {
      req.resume();
      return refuse(res);
    }
    route(req, res, opts, verdict.write).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (isStageSecretsError(err)) {
        const status = STATUS_OF_CODE[err.code] ?? 409;
        return sendJson(res, status, { error: { code: err.code, message: err.message } });
      }
      opts.onInternalError?.(
        `${req.method} ${new URL(req.url ?? '/', 'http://console').pathname}: ${(err as Error)?.name}`,
      );
      sendJson(res, 500, {
        error: { code: 'INTERNAL', message: 'internal error; see the terminal running the console.' },
      });
    });
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'is in use' : `cannot be used (${err.code ?? 'error'})`;
      reject(
        new StageSecretsError(
          'USAGE',
          `port ${opts.port} on ${CONSOLE_HOST} ${why}; pick another with --port N, or leave --port out for a ` +
            'free one.',
        ),
      );
    });
    server.listen(opts.port, CONSOLE_HOST, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: consoleUrl(port, token),
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
