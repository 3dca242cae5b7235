import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, readOnlyLocalKey, REPO_ROOT, type Workspace } from '../../test/support/cli.js';
import { provenRunEnv } from '../../test/support/run-env.js';

/*
 * The real SST v2 CLI synthesises an app whose sst.config.ts uses stage-secrets/sst, offline:
 * - `sst build` asks STS GetCallerIdentity for the account: a stub on 127.0.0.1 answers it;
 * - NODE_ENV=test is SST's own test mode, which skips looking up the bootstrap stacks in CloudFormation;
 * - SST_TELEMETRY_DISABLED=1 keeps SST from posting telemetry.
 * sst@2 comes from this suite's own install (e2e/sst/package.json, `npm run test:e2e` installs it), or from
 * SST_V2_NODE_MODULES. stage-secrets itself is the built repo (dist/), linked into the app as a dependency.
 */
const SST_MODULES = process.env.SST_V2_NODE_MODULES ?? path.join(REPO_ROOT, 'e2e/sst/node_modules');

const SST_CONFIG = `import type { SSTConfig } from "sst";
import { Function } from "sst/constructs";
import { secretEnv } from "stage-secrets/sst";

export default {
  config() {
    return { name: "shop", region: "us-east-1" };
  },
  async stacks(app) {
    app.addDefaultFunctionEnv(await secretEnv({ app }));
    app.stack(function Api({ stack }) {
      new Function(stack, "Orders", { handler: "src/orders.handler", environment: { LOG_LEVEL: "info" } });
    });
  },
} satisfies SSTConfig;
`;

let ws: Workspace;
let sts: http.Server;
let stsUrl: string;

function startStsStub(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (!body.includes('Action=GetCallerIdentity')) {
        res.writeHead(400).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
          '<Arn>arn:aws:iam::123456789012:user/ci</Arn><UserId>AIDACI</UserId><Account>123456789012</Account>' +
          '</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>',
      );
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function link(target: string, at: string): void {
  fs.mkdirSync(path.dirname(at), { recursive: true });
  fs.symlinkSync(target, at, 'dir');
}

interface BuildResult {
  code: number | null;
  output: string;
  /** Environment.Variables of the Orders function in the synthesised template */
  ordersEnv: Record<string, string> | undefined;
}

function sstBuild(env: NodeJS.ProcessEnv): Promise<BuildResult> {
  fs.rmSync(path.join(ws.dir, '.sst'), { recursive: true, force: true });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(SST_MODULES, 'sst/cli/sst.js'), 'build', '--stage', 'prod'], {
      cwd: ws.dir,
      env: {
        ...env,
        NODE_ENV: 'test',
        SST_TELEMETRY_DISABLED: '1',
        AWS_ACCESS_KEY_ID: 'AKIDTESTONLY',
        AWS_SECRET_ACCESS_KEY: 'test-only',
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL_STS: stsUrl,
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const file = path.join(ws.dir, '.sst/dist/prod-shop-Api.template.json');
      let ordersEnv: Record<string, string> | undefined;
      if (fs.existsSync(file)) {
        const template = JSON.parse(fs.readFileSync(file, 'utf8')) as {
          Resources: Record<
            string,
            { Type: string; Properties: { Handler?: string; Environment?: { Variables: Record<string, string> } } }
          >;
        };
        const orders = Object.entries(template.Resources).find(
          ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('Orders'),
        );
        ordersEnv = orders?.[1].Properties.Environment?.Variables;
      }
      resolve({ code, output, ordersEnv });
    });
  });
}

beforeAll(async () => {
  ws = makeWorkspace('shop');
  fs.writeFileSync(
    path.join(ws.dir, 'package.json'),
    JSON.stringify({
      name: 'shop',
      private: true,
      type: 'module',
      dependencies: { 'stage-secrets': '*' },
      devDependencies: { sst: '^2' },
    }),
  );
  fs.writeFileSync(path.join(ws.dir, 'sst.config.ts'), SST_CONFIG);
  fs.mkdirSync(path.join(ws.dir, 'src'));
  fs.writeFileSync(path.join(ws.dir, 'src/orders.ts'), 'export const handler = async () => ({ statusCode: 200 });\n');
  if (!fs.existsSync(path.join(SST_MODULES, 'sst/cli/sst.js'))) {
    throw new Error(`sst v2 is not installed in ${SST_MODULES}: npm ci --prefix e2e/sst (or set SST_V2_NODE_MODULES)`);
  }
  link(path.join(SST_MODULES, 'sst'), path.join(ws.dir, 'node_modules/sst'));
  link(REPO_ROOT, path.join(ws.dir, 'node_modules/stage-secrets'));
  expect((await ws.run(['init', '--stage', 'prod', '--local'])).code).toBe(0);
  for (const [key, value, type] of [
    ['DB_URL', 'postgres://prod-db/shop', 'string'],
    ['PAGE_SIZE', '50', 'number'],
    ['LIMITS', '{ "daily": 100 }', 'json'],
  ] as const) {
    const r = await ws.run(['set', '--stage', 'prod', key, '--type', type], { input: value });
    expect(r.code, r.stderr).toBe(0);
  }
  sts = await startStsStub();
  stsUrl = `http://127.0.0.1:${(sts.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise((resolve) => sts?.close(resolve));
  ws?.cleanup();
});

describe('stage-secrets/sst in a real SST v2 build', () => {
  it('puts the decrypted stage into every function env via addDefaultFunctionEnv', async () => {
    const keyOnlyInEnv = {
      ...ws.env,
      XDG_CONFIG_HOME: path.join(ws.dir, 'no-key-files'),
      STAGE_SECRETS_KEY_PROD: readOnlyLocalKey(ws),
    };
    const r = await sstBuild(keyOnlyInEnv);
    expect(r.code, r.output).toBe(0);
    expect(r.ordersEnv).toMatchObject({
      DB_URL: 'postgres://prod-db/shop',
      PAGE_SIZE: '50',
      LIMITS: '{"daily":100}',
      LOG_LEVEL: 'info',
    });
    expect(r.output).not.toContain('postgres://prod-db/shop');
  }, 120_000);

  it('under stage-secrets run, takes the runner env and needs no key', async () => {
    const inherited = { ...ws.env, XDG_CONFIG_HOME: path.join(ws.dir, 'no-key-files') };
    const runner = provenRunEnv(inherited, 'prod', fs.realpathSync(ws.stageFile('prod')), {
      DB_URL: 'postgres://from-runner/shop',
    });
    const r = await sstBuild(runner.env).finally(runner.remove);
    expect(r.code, r.output).toBe(0);
    expect(r.ordersEnv?.DB_URL).toBe('postgres://from-runner/shop');
    expect(r.ordersEnv).not.toHaveProperty('PAGE_SIZE');
  }, 120_000);

  it('fails the build with the key error when nobody can open the stage', async () => {
    const r = await sstBuild({ ...ws.env, XDG_CONFIG_HOME: path.join(ws.dir, 'no-key-files') });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('STAGE_SECRETS_KEY_PROD');
    expect(r.ordersEnv).toBeUndefined();
  }, 120_000);
});
