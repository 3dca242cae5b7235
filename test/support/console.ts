import * as http from 'node:http';
import { type LiveCli, startCli, type Workspace } from './cli.js';

/** A `stage-secrets console` process and the one URL it printed. */
export interface LiveConsole {
  cli: LiveCli;
  /** the printed URL, the token in its fragment */
  url: string;
  origin: string;
  port: number;
  token: string;
  /** the header the console's page sends with every API request */
  auth: { Authorization: string };
  stop(): Promise<void>;
}

/** Starts the console of a workspace as the real CLI process (never opening a browser unless asked). */
export async function startConsole(
  ws: Workspace,
  extraArgs: string[] = ['--no-open'],
  env: NodeJS.ProcessEnv = ws.env,
): Promise<LiveConsole> {
  const cli = startCli(['console', ...extraArgs], { cwd: ws.dir, env, timeoutMs: 300_000 });
  const started = cli.waitFor('\n');
  const exited = cli.done.then((r) => {
    throw new Error(`the console exited (${r.code}) before printing its URL: ${r.stderr}`);
  });
  await Promise.race([started, exited]);
  const url = cli.stdout().toString('utf8').trim();
  const parsed = new URL(url);
  const token = /^#token=(.*)$/.exec(parsed.hash)?.[1] ?? '';
  const port = Number(parsed.port);
  return {
    cli,
    url,
    origin: parsed.origin,
    port,
    token,
    auth: { Authorization: `Bearer ${token}` },
    stop: async () => {
      cli.kill('SIGTERM');
      await cli.done;
    },
  };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request with exactly the headers given (Host included): what fetch does not let a test set. */
export function rawRequest(
  port: number,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string; address?: string },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: options.address ?? '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: { Host: `127.0.0.1:${port}`, ...options.headers },
        setHost: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
