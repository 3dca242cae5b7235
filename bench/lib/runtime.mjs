// Cold start of a runtime-mode function (custom.stageSecrets.mode: runtime), without the KMS round trip:
// a fresh Node process per sample imports the handler the way Lambda would and calls it once, with the
// generated wrapper (open N packaged secrets, set process.env, then load the original) and without it.
// KMS is replaced by a stand-in @aws-sdk/client-kms in the task root that hands back the stage key at
// once (the wrapper resolves the SDK from the task root first); loading the real SDK is timed apart.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { NODE, REPO } from './paths.mjs';
import { interleaved, median } from './stats.mjs';

const dist = (p) => import(pathToFileURL(path.join(REPO, 'dist/src', p)).href);

const FAKE_SDK = (keyB64) => `'use strict';
// bench stand-in for the AWS SDK: Decrypt answers with the stage key, no network
class DecryptCommand { constructor(input) { this.input = input; } }
class EncryptCommand { constructor(input) { this.input = input; } }
class KMSClient { constructor() {} async send() { return { Plaintext: Buffer.from(${JSON.stringify(keyB64)}, 'base64') }; } }
module.exports = { KMSClient, DecryptCommand, EncryptCommand };
`;

const HANDLER = `'use strict';
exports.main = async () => ({ names: Object.keys(process.env).length });
`;

// One sample: wall time from before the import to after the first call returned. Node's crypto and https
// are loaded first in both variants: the AWS SDK the wrapper loads brings them anyway (its load is timed
// apart, in a fresh process), and so would most handlers; the wrapper's own cost is what is left.
const MEASURE = `import 'node:crypto';
import 'node:https';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import * as path from 'node:path';
const [target, exportName] = process.argv.slice(2);
const c0 = process.cpuUsage();
const t0 = performance.now();
const file = path.resolve(process.env.LAMBDA_TASK_ROOT, target);
const mod = file.endsWith('.mjs') ? await import(pathToFileURL(file).href) : createRequire(file)(file);
await mod[exportName]({}, { callbackWaitsForEmptyEventLoop: true });
const wall = performance.now() - t0;
const { user, system } = process.cpuUsage(c0);
process.stdout.write(JSON.stringify([wall, (user + system) / 1000]));
`;

function sample(taskRoot, target, exportName) {
  const r = spawnSync(NODE, [path.join(taskRoot, 'measure.mjs'), target, exportName], {
    cwd: taskRoot,
    env: { PATH: process.env.PATH, LAMBDA_TASK_ROOT: taskRoot, AWS_REGION: 'us-east-1' },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`runtime bench sample failed: ${r.stderr.slice(0, 500)}`);
  const [wall, cpu] = JSON.parse(r.stdout);
  cpuTimes.get(key(taskRoot, target))?.push(cpu) ?? cpuTimes.set(key(taskRoot, target), [cpu]);
  return wall;
}

// CPU time of the same samples (user + system of the process between the two marks): less moved by other
// load on the machine than wall time.
const cpuTimes = new Map();
const key = (taskRoot, target) => `${taskRoot}\0${target}`;

/** A task root as the framework's packager makes it in runtime mode, with n sealed secrets. */
export async function makeTaskRoot(root, n) {
  const { generateStageKeyPair, Sealer } = await dist('core/crypto.js');
  const { valueAad } = await dist('stages/sealing.js');
  const { Approvals } = await dist('core/approval.js');
  const { withBundleTag } = await dist('core/runtime-bundle.js');
  const { nativeWrapper, RUNTIME_FILE, SEALED_FILE } = await dist('serverless/runtime-wrapper.js');
  const keys = generateStageKeyPair();
  const file = { app: 'bench', stage: 'prod', publicKey: keys.publicKey.toString('base64') };
  const approvals = new Approvals(keys.privateKey, file);
  const sealer = new Sealer(keys.publicKey);
  const secrets = {};
  for (let i = 0; i < n; i++) {
    const name = `SECRET_${String(i).padStart(4, '0')}`;
    // as the plugin copies an entry from the stage file: with its time (packages before 2026-12 had none)
    secrets[name] = {
      type: 'string',
      updated: '2026-01-01T00:00:00.000Z',
      ...sealer.seal(valueAad(file, name, 'string'), `value-${i}-${'x'.repeat(40)}`),
      approved: approvals.nameTag(name),
    };
  }
  const untagged = {
    format: 'stage-secrets-runtime/1',
    version: 2,
    ...file,
    deployStage: 'prod',
    function: 'main',
    identities: [
      {
        type: 'aws-kms',
        id: 'aws-kms:alias/bench',
        created: '2026-01-01T00:00:00Z',
        keyId: 'alias/bench',
        keyArn: 'arn:aws:kms:us-east-1:111122223333:key/bench',
        ciphertext: 'YmVuY2g=',
      },
    ],
    secrets,
  };
  // as the plugin writes it when its build opened the stage with the key: with the bundle approval tag
  const bundle = withBundleTag(untagged, approvals, false);
  const dir = path.join(root, `task-${n}`);
  const fnDir = path.join(dir, '.stage-secrets-runtime', 'main');
  fs.mkdirSync(fnDir, { recursive: true });
  fs.mkdirSync(path.join(dir, 'node_modules', '@aws-sdk', 'client-kms'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'node_modules', '@aws-sdk', 'client-kms', 'index.js'),
    FAKE_SDK(keys.privateKey.toString('base64')),
  );
  fs.writeFileSync(path.join(dir, 'handler.js'), HANDLER);
  fs.writeFileSync(path.join(dir, 'measure.mjs'), MEASURE);
  fs.copyFileSync(path.join(REPO, 'dist/runtime/stage-secrets-runtime.cjs'), path.join(fnDir, RUNTIME_FILE));
  fs.writeFileSync(path.join(fnDir, SEALED_FILE), JSON.stringify(bundle));
  fs.writeFileSync(
    path.join(fnDir, 'wrapper.mjs'),
    nativeWrapper({
      function: 'main',
      originalHandler: 'handler.main',
      moduleSpecifier: '../../handler.js',
      exportPath: 'main',
      moduleKind: 'commonjs',
    }),
  );
  return dir;
}

/** The real SDK's load (require + client construction), which the wrapper pays once per cold start. */
function sdkLoad(root, runs) {
  const script = path.join(root, 'sdk-load.cjs');
  fs.writeFileSync(
    script,
    `const t0 = performance.now(); const { KMSClient } = require('@aws-sdk/client-kms'); new KMSClient({ region: 'us-east-1' }); process.stdout.write(String(performance.now() - t0));`,
  );
  const times = [];
  for (let i = 0; i < runs + 2; i++) {
    const r = spawnSync(NODE, [script], {
      env: { PATH: process.env.PATH, NODE_PATH: path.join(REPO, 'node_modules') },
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(r.stderr);
    if (i >= 2) times.push(Number(r.stdout));
  }
  return median(times);
}

export async function runtimeColdStart(root, sizes, runs) {
  fs.mkdirSync(root, { recursive: true });
  const rows = [];
  for (const n of sizes) {
    const task = await makeTaskRoot(root, n);
    const m = interleaved(
      {
        bare: () => sample(task, 'handler.js', 'main'),
        wrapped: () => sample(task, '.stage-secrets-runtime/main/wrapper.mjs', 'handler'),
      },
      runs,
      2,
    );
    const cpu = (target) => median(cpuTimes.get(key(task, target)).slice(2));
    const bareCpu = cpu('handler.js');
    const wrappedCpu = cpu('.stage-secrets-runtime/main/wrapper.mjs');
    rows.push({
      n,
      bareMs: m.bare,
      wrappedMs: m.wrapped,
      addedMs: m.wrapped - m.bare,
      bareCpuMs: bareCpu,
      wrappedCpuMs: wrappedCpu,
      addedCpuMs: wrappedCpu - bareCpu,
    });
  }
  return { rows, sdkLoadMs: sdkLoad(root, runs) };
}
