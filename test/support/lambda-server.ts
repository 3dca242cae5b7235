import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small local AWS Lambda control plane for `deploy function` tests: the REST/JSON wire protocol the
 * real @aws-sdk/client-lambda speaks (osls's `deploy function` uses it; AWS_ENDPOINT_URL_LAMBDA points it
 * here), on 127.0.0.1. GetFunction, UpdateFunctionCode (ZipFile) and UpdateFunctionConfiguration of
 * functions the test created; any other call is answered 400 and recorded, so a test sees it.
 */

export interface LambdaFunctionState {
  FunctionName: string;
  Handler: string;
  Runtime: string;
  Role: string;
  PackageType: 'Zip';
  State: 'Active';
  LastUpdateStatus: 'Successful';
  CodeSha256: string;
  Environment: { Variables: Record<string, string> };
  /** the last deployed code (not part of AWS's answer) */
  zip?: Buffer;
}

export interface LambdaRequestLog {
  operation: 'GetFunction' | 'UpdateFunctionCode' | 'UpdateFunctionConfiguration' | 'Other';
  method: string;
  path: string;
  functionName?: string;
  /** the JSON body, ZipFile left out (see the function's `zip`) */
  body?: Record<string, unknown>;
  status: number;
}

export interface LambdaServer {
  url: string;
  createFunction(
    config: Pick<LambdaFunctionState, 'FunctionName' | 'Handler'> & { Environment?: Record<string, string> },
  ): void;
  getFunction(name: string): LambdaFunctionState | undefined;
  requests: LambdaRequestLog[];
  /** called when a request has arrived, before it is answered (the caller waits meanwhile) */
  onRequest?: (request: LambdaRequestLog) => void;
  close(): Promise<void>;
}

const ROUTE = /^\/2015-03-31\/functions\/([^/]+)(\/code|\/configuration)?$/;

function configOf(fn: LambdaFunctionState): Omit<LambdaFunctionState, 'zip'> {
  const { zip: _zip, ...config } = fn;
  return config;
}

export async function startLambdaServer(): Promise<LambdaServer> {
  const functions = new Map<string, LambdaFunctionState>();
  const requests: LambdaRequestLog[] = [];
  const server: LambdaServer = {
    url: '',
    requests,
    createFunction(config) {
      functions.set(config.FunctionName, {
        FunctionName: config.FunctionName,
        Handler: config.Handler,
        Runtime: 'nodejs20.x',
        Role: 'arn:aws:iam::111122223333:role/test-lambda-role',
        PackageType: 'Zip',
        State: 'Active',
        LastUpdateStatus: 'Successful',
        CodeSha256: 'none',
        Environment: { Variables: config.Environment ?? {} },
      });
    },
    getFunction: (name) => functions.get(name),
    close: () => new Promise((resolve) => http_.close(() => resolve())),
  };

  const http_ = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const match = ROUTE.exec(url.pathname);
      const name = match ? decodeURIComponent(match[1]!) : undefined;
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
      const operation: LambdaRequestLog['operation'] = !match
        ? 'Other'
        : req.method === 'GET' && !match[2]
          ? 'GetFunction'
          : req.method === 'PUT' && match[2] === '/code'
            ? 'UpdateFunctionCode'
            : req.method === 'PUT' && match[2] === '/configuration'
              ? 'UpdateFunctionConfiguration'
              : 'Other';
      const { ZipFile: zipFile, ...logged } = body ?? {};
      const entry: LambdaRequestLog = {
        operation,
        method: req.method ?? '',
        path: url.pathname,
        functionName: name,
        body: body && logged,
        status: 200,
      };
      requests.push(entry);
      server.onRequest?.(entry);
      const answer = (status: number, payload: unknown, errorType?: string) => {
        entry.status = status;
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          'x-amzn-requestid': 'test-request',
        };
        if (errorType) headers['x-amzn-errortype'] = errorType;
        res.writeHead(status, headers).end(JSON.stringify(payload));
      };
      const fn = name === undefined ? undefined : functions.get(name);
      if (operation === 'Other')
        return answer(
          400,
          { message: `the test Lambda server does not serve ${req.method} ${url.pathname}` },
          'InvalidRequestContentException',
        );
      if (!fn)
        return answer(404, { Type: 'User', message: `Function not found: ${name}` }, 'ResourceNotFoundException');
      if (operation === 'GetFunction')
        return answer(200, {
          Configuration: configOf(fn),
          Code: { RepositoryType: 'S3', Location: 'https://example.invalid/code.zip' },
        });
      if (operation === 'UpdateFunctionCode') {
        fn.zip = Buffer.from(String(zipFile ?? ''), 'base64');
        fn.CodeSha256 = createHash('sha256').update(fn.zip).digest('base64');
        return answer(200, configOf(fn));
      }
      if (typeof logged.Handler === 'string') fn.Handler = logged.Handler;
      const environment = logged.Environment as { Variables?: Record<string, string> } | undefined;
      if (environment) fn.Environment = { Variables: environment.Variables ?? {} };
      return answer(200, configOf(fn));
    });
  });
  await new Promise<void>((resolve) => http_.listen(0, '127.0.0.1', () => resolve()));
  server.url = `http://127.0.0.1:${(http_.address() as AddressInfo).port}`;
  return server;
}
