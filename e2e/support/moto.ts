/**
 * A throwaway AWS emulator for deploy tests: python3's moto server on a free 127.0.0.1 port, one per test
 * file, started with the interpreter itself (not a shim) so the pid kept is moto's, stopped by that pid.
 * No moto here is a failure that says how to get it, never a skip.
 */
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';

export interface Moto {
  port: number;
  /** http://127.0.0.1:PORT (osls and the AWS SDK v3: an IP gives path-style S3) */
  url: string;
  /** http://localhost:PORT (serverless v3 with serverless-localstack: moto reads 127 of an IP as a bucket) */
  localhostUrl: string;
  pid: number;
  /** dummy credentials, a region and the endpoint, for the AWS SDK v3 and the CLI */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

function pythonExecutable(): string {
  try {
    execFileSync('python3', ['-c', 'import moto'], { stdio: 'pipe' });
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? (err as Error).message);
    throw new Error(
      `the deploy tests need python3 with moto (the AWS emulator): \`python3 -c 'import moto'\` failed: ${stderr.trim()}. ` +
        'Install it with: python3 -m pip install "moto[server]"',
    );
  }
  return execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}): ${log()}`);
    try {
      const res = await fetch(`${url}/moto-api/`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`moto_server did not answer ${url}/moto-api/ within 30 s: ${log()}`);
}

export async function startMoto(): Promise<Moto> {
  const python = pythonExecutable();
  const port = await freePort();
  const child = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      process.kill(child.pid!, 'SIGTERM');
      setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
      }, 5000).unref();
    });
  try {
    await waitReady(url, child, () => stderr);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port,
    url,
    localhostUrl: `http://localhost:${port}`,
    pid: child.pid!,
    env: {
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: url,
    },
    stop,
  };
}

export interface CountingProxy {
  url: string;
  /** the X-Amz-Target operations seen, in order (e.g. TrentService.Decrypt) */
  targets: string[];
  /** the region each of those requests was signed for (its Authorization header's credential scope) */
  regions: string[];
  /** the ZipFile of each Lambda UpdateFunctionCode passed through (what `deploy function` uploads) */
  uploadedZips: Buffer[];
  close(): Promise<void>;
}

/** What a pass-through proxy may do with a request: answer it itself, or look at moto's answer. */
export interface ProxyHooks {
  /** sees each request as it arrives, before its body */
  received?(req: http.IncomingMessage): void;
  /** sees each request with its body first; answering `res` (returning true) keeps it from moto */
  intercept?(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): boolean;
  /** sees each request moto answered, with moto's answer */
  answered?(req: http.IncomingMessage, body: Buffer, answer: http.IncomingMessage): void;
}

/** An HTTP proxy on a free loopback port that passes every request on to moto, with `hooks` in between. */
export async function passThroughProxy(
  target: Moto,
  hooks: ProxyHooks = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    hooks.received?.(req);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (hooks.intercept?.(req, body, res)) return;
      const upstream = http.request(
        { host: '127.0.0.1', port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          hooks.answered?.(req, body, answer);
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * An intercept that answers AccessDeniedException, as IAM would, for an SSM GetParameters call naming any
 * parameter in `denied` (moto has no IAM); the set may change while the proxy runs.
 */
export function denyGetParameters(denied: ReadonlySet<string>): NonNullable<ProxyHooks['intercept']> {
  return (req, body, res) => {
    if (req.headers['x-amz-target'] !== 'AmazonSSM.GetParameters') return false;
    const names = (JSON.parse(body.toString('utf8')) as { Names: string[] }).Names;
    if (!names.some((n) => denied.has(n))) return false;
    res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(
      JSON.stringify({
        __type: 'AccessDeniedException',
        message: 'User is not authorized to perform ssm:GetParameters',
      }),
    );
    return true;
  };
}

/**
 * A pass-through HTTP proxy in front of moto that records each request's X-Amz-Target (KMS calls) with the
 * region it was signed for, and the code uploaded by Lambda UpdateFunctionCode (moto keeps such code nowhere
 * it can be fetched from).
 */
export async function countingProxy(target: Moto): Promise<CountingProxy> {
  const targets: string[] = [];
  const regions: string[] = [];
  const uploadedZips: Buffer[] = [];
  const proxy = await passThroughProxy(target, {
    received(req) {
      const op = req.headers['x-amz-target'];
      if (typeof op === 'string') {
        targets.push(op);
        regions.push(/Credential=[^/]+\/\d+\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '');
      }
    },
    intercept(req, body) {
      if (req.method === 'PUT' && /\/functions\/[^/]+\/code$/.test(req.url?.split('?')[0] ?? '')) {
        const zip = (JSON.parse(body.toString('utf8')) as { ZipFile?: string }).ZipFile;
        if (zip) uploadedZips.push(Buffer.from(zip, 'base64'));
      }
      return false;
    },
  });
  return { ...proxy, targets, regions, uploadedZips };
}

/** SDK client settings for moto: its endpoint, dummy keys, a region. */
export function motoClientConfig(moto: Moto, region = 'us-east-1') {
  return { region, endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
}

/** A KMS key made in moto, in a region, with an alias when given. */
export async function createKmsKey(moto: Moto, region: string, alias?: string): Promise<{ id: string; arn: string }> {
  const kms = new KMSClient(motoClientConfig(moto, region));
  try {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: `stage-secrets e2e ${region}` }));
    if (alias) await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: KeyMetadata!.KeyId! }));
    return { id: KeyMetadata!.KeyId!, arn: KeyMetadata!.Arn! };
  } finally {
    kms.destroy();
  }
}
