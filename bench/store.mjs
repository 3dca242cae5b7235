// `npm run bench:store`: the runtime store (S3) against the local S3 test server on 127.0.0.1, with the
// real @aws-sdk/client-s3. Times SecretClient.updateSecret and a fresh readSecret (useCache: false) in
// one process, then releases 20 processes at once on one name and counts what landed and what retried.
// Options: --runs N (timed calls, default 50)  --rounds N (20-process rounds, default 3)  --procs N (20)
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { machine } from './lib/machine.mjs';
import { CLI, NODE, REPO } from './lib/paths.mjs';
import { fmtMs, median, nowMs, table } from './lib/stats.mjs';
import { makeApp } from './lib/stages.mjs';

const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    procs: { type: 'string', default: '20' },
  },
});
const RUNS = Number(opt.runs);
const ROUNDS = Number(opt.rounds);
const PROCS = Number(opt.procs);
const out = (text = '') => process.stdout.write(`${text}\n`);
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-bench-store-'));
// the S3 test server is TypeScript: compile it once for this run
const serverJs = path.join(root, 's3-server.mjs');
await build({
  entryPoints: [path.join(REPO, 'test/support/s3-server.ts')],
  outfile: serverJs,
  platform: 'node',
  format: 'esm',
  logLevel: 'warning',
});
const { startS3Server } = await import(pathToFileURL(serverJs).href);
const s3 = await startS3Server();
s3.createBucket('bench-store');
try {
  const app = makeApp(root, 'bench-app');
  const env = {
    ...app.env,
    STAGE_SECRETS_STORE: 's3://bench-store/rt',
    AWS_ENDPOINT_URL_S3: s3.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'not-a-real-secret',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const cli = (args, input) =>
    new Promise((resolve, reject) => {
      const child = spawn(NODE, [CLI, ...args], { cwd: app.dir, env, stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (c) => (err += c));
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')}: ${err}`))));
      child.stdin.end(input ?? '');
    });
  await cli(['init', '--stage', 'dev', '--local']);
  for (const name of ['TOKEN', 'SHARED', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'])
    await cli(['set', '--stage', 'dev', name], `${name.toLowerCase()}-initial`);

  const { SecretClient } = await import(pathToFileURL(path.join(REPO, 'dist/src/client/index.js')).href);
  const client = new SecretClient({ stage: 'dev', cwd: app.dir, env });
  for (let i = 0; i < 5; i++) await client.updateSecret({ key: 'TOKEN', value: `warm-${i}` });
  const updates = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = nowMs();
    await client.updateSecret({ key: 'TOKEN', value: `bench-token-${i}` });
    updates.push(nowMs() - t0);
  }
  for (const name of ['A', 'B', 'C', 'D']) await client.updateSecret({ key: name, value: `${name}-store` });
  const reads = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = nowMs();
    await client.readSecret('TOKEN', { useCache: false });
    reads.push(nowMs() - t0);
  }
  const cached = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = nowMs();
    await client.readSecret('TOKEN');
    cached.push(nowMs() - t0);
  }

  // contention: PROCS processes, each loaded and waiting, released together on one name
  const child = path.join(REPO, 'test/support/store-client-child.mjs');
  const clientPath = path.join(REPO, 'dist/src/client/index.js');
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const procs = Array.from({ length: PROCS }, (_, i) => {
      const p = spawn(NODE, [child, clientPath, 'update', 'SHARED', `round-${r}-proc-${i}`], {
        cwd: app.dir,
        env: { ...env, STAGE: 'dev', WAIT_FOR_GO: '1' },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      let text = '';
      const ready = new Promise((resolve) =>
        p.stdout.on('data', (c) => {
          text += c;
          if (text.startsWith('ready\n')) resolve();
        }),
      );
      const done = new Promise((resolve) =>
        p.on('close', () => resolve(JSON.parse(text.replace(/^ready\n/, '').trim()))),
      );
      return { p, ready, done };
    });
    await Promise.all(procs.map((x) => x.ready));
    s3.resetRequests();
    const t0 = nowMs();
    for (const x of procs) x.p.stdin.write('go\n');
    const outcomes = await Promise.all(procs.map((x) => x.done));
    const wall = nowMs() - t0;
    const puts = s3.requests.filter((q) => q.operation === 'PutObject');
    rounds.push({
      landed: outcomes.filter((o) => o.ok).length,
      locked: outcomes.filter((o) => !o.ok && o.code === 'LOCKED').length,
      other: outcomes.filter((o) => !o.ok && o.code !== 'LOCKED').length,
      puts: puts.length,
      conflicts: puts.filter((q) => q.status === 412).length,
      unconditional: puts.filter((q) => !q.ifMatch && q.ifNoneMatch !== '*').length,
      wall,
    });
  }

  const m = machine();
  out(
    `runtime store bench, ${new Date().toISOString().slice(0, 10)}, ${m.cpu ?? ''} ${m.cores ?? ''} cores, Node ${process.version}; local S3 test server on 127.0.0.1`,
  );
  out();
  out(
    table(
      ['operation (one process, warm client)', 'median', 'p90', 'runs'],
      [
        ['updateSecret (GET, seal, conditional PUT)', fmtMs(median(updates)), fmtMs(pct(updates, 0.9)), RUNS],
        ['readSecret useCache:false (LIST, GET changed, open 10)', fmtMs(median(reads)), fmtMs(pct(reads, 0.9)), RUNS],
        ['readSecret from the cache', fmtMs(median(cached)), fmtMs(pct(cached, 0.9)), RUNS],
      ],
    ),
  );
  out();
  out(
    table(
      [
        `${PROCS} processes, one name, released at once`,
        'landed',
        'LOCKED',
        'other errors',
        'PUTs',
        '412 (retried)',
        'unconditional PUTs',
        'wall',
      ],
      rounds.map((x, i) => [
        `round ${i + 1}`,
        x.landed,
        x.locked,
        x.other,
        x.puts,
        x.conflicts,
        x.unconditional,
        fmtMs(x.wall),
      ]),
    ),
  );
} finally {
  await s3.close();
  fs.rmSync(root, { recursive: true, force: true });
}
