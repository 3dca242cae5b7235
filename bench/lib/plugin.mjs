// The Serverless plugin's share of `serverless package`: a generated service with 200 functions and
// 100 secrets, packaged with `plugins: [stage-secrets/plugin]` and without it, in turns.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NODE, REPO } from './paths.mjs';
import { makeApp, makeStage } from './stages.mjs';
import { profileShare } from './profile.mjs';
import { median, timeSpawn } from './stats.mjs';
import { secretName, secretValue } from './values.mjs';

export const FUNCTIONS = 200;
export const SECRETS = 100;
const VALUE_SIZE = 16; // 100 x (12-char name + 16-char value) stays under Lambda's 4 KB per function
const SERVICE = 'bench-svc';
const STAGE = 'bench';
const DIGEST_VAR = 'STAGE_SECRETS_DIGEST'; // src/core/deploy-digest.ts
const CPU_REPORT = path.join(REPO, 'bench/cpu-report.cjs');
// the package's compiled code (the service links it, the loader resolves the link to the repo)
const OWN_CODE = new RegExp(`^file://${REPO.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/dist/`);

/**
 * kind "plugin": the plugin sets the 100 secrets; "yaml": no plugin, the same 100 names and values written
 * in provider.environment (the same template, so the difference is the plugin's own cost); "none": no
 * plugin and no such variables.
 */
function serverlessYml(kind, nFunctions = FUNCTIONS, nSecrets = SECRETS) {
  const functions = Array.from({ length: nFunctions }, (_, i) => `  fn${i}:\n    handler: handler.main\n`).join('');
  const yamlEnv =
    kind === 'yaml'
      ? Array.from({ length: nSecrets }, (_, i) => `    ${secretName(i)}: '${secretValue(i, VALUE_SIZE)}'`)
      : [];
  return [
    `service: ${SERVICE}`,
    'provider:',
    '  name: aws',
    '  runtime: nodejs20.x',
    '  region: us-east-1',
    '  environment:',
    '    FROM_YAML: plain',
    ...yamlEnv,
    ...(kind === 'plugin' ? ['plugins:', '  - stage-secrets/plugin'] : []),
    'package:',
    '  patterns:',
    "    - '!node_modules/**'",
    'functions:',
    functions,
  ].join('\n');
}

function makeService(root, name, kind, nFunctions = FUNCTIONS, nSecrets = SECRETS) {
  const appInfo = makeApp(root, name);
  appInfo.app = SERVICE;
  fs.writeFileSync(path.join(appInfo.dir, 'serverless.yml'), serverlessYml(kind, nFunctions, nSecrets));
  fs.writeFileSync(path.join(appInfo.dir, 'handler.js'), 'exports.main = async () => ({ statusCode: 200 });\n');
  // Both services get the package in node_modules (the framework walks it when packaging), so the
  // two differ only in the plugins line.
  fs.mkdirSync(path.join(appInfo.dir, 'node_modules'));
  fs.symlinkSync(REPO, path.join(appInfo.dir, 'node_modules', 'stage-secrets'), 'dir');
  Object.assign(appInfo.env, {
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'y',
    AWS_REGION: 'us-east-1',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
  });
  return appInfo;
}

const BIN = path.join(REPO, 'node_modules/serverless/bin/serverless.js');
const frameworkVersion = () =>
  JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules/serverless/package.json'), 'utf8')).version;

function lambdaEnvs(svc) {
  const file = path.join(svc.dir, '.serverless/cloudformation-template-update-stack.json');
  return Object.values(JSON.parse(fs.readFileSync(file, 'utf8')).Resources)
    .filter((r) => r.Type === 'AWS::Lambda::Function')
    .map((l) => l.Properties.Environment?.Variables ?? {});
}

// issue 34's case: a small service, where the plugin's fixed cost (loading it, its checks) shows most
export const RATIO_FUNCTIONS = 10;
export const RATIO_SECRETS = 20;

/**
 * `serverless package` of a 10-function service with 20 secrets, with the plugin and the same service
 * without it (no plugins line, no such variables), in pairs whose order alternates; returns the medians,
 * their ratio and the median of the per-pair ratios (load on the machine hits both sides of a pair alike).
 */
export async function pluginRatio(root, runs) {
  fs.mkdirSync(path.join(root, '.git'), { recursive: true });
  const services = {
    plugin: makeService(root, 'with-plugin', 'plugin', RATIO_FUNCTIONS, RATIO_SECRETS),
    none: makeService(root, 'without-plugin', 'none', RATIO_FUNCTIONS, RATIO_SECRETS),
  };
  await makeStage(services.plugin, STAGE, RATIO_SECRETS, 'each', VALUE_SIZE);
  const pack = (svc) => () => {
    fs.rmSync(path.join(svc.dir, '.serverless'), { recursive: true, force: true });
    return timeSpawn(NODE, [BIN, 'package', '--stage', STAGE], { cwd: svc.dir, env: svc.env });
  };
  // warm-up round, and the check that the plugin did its work
  pack(services.plugin)();
  pack(services.none)();
  const names = Array.from({ length: RATIO_SECRETS }, (_, i) => secretName(i));
  const envs = lambdaEnvs(services.plugin);
  const complete = envs.filter((vars) => names.every((n, i) => vars[n] === secretValue(i, VALUE_SIZE)));
  if (envs.length !== RATIO_FUNCTIONS || complete.length !== RATIO_FUNCTIONS)
    throw new Error(
      `plugin ratio check: ${complete.length} of ${envs.length} functions carry all ${RATIO_SECRETS} secrets`,
    );
  if (lambdaEnvs(services.none).some((vars) => names.some((n) => n in vars)))
    throw new Error('plugin ratio check: the service without the plugin has secret variables');
  const times = { plugin: [], none: [] };
  const ratios = [];
  for (let r = 0; r < runs; r++) {
    const order = r % 2 ? ['none', 'plugin'] : ['plugin', 'none'];
    const pair = {};
    for (const kind of order) pair[kind] = pack(services[kind])();
    times.plugin.push(pair.plugin);
    times.none.push(pair.none);
    ratios.push(pair.plugin / pair.none);
  }
  const pluginMs = median(times.plugin);
  const noneMs = median(times.none);
  return {
    framework: `serverless ${frameworkVersion()}`,
    functions: RATIO_FUNCTIONS,
    secrets: RATIO_SECRETS,
    runs,
    pluginMs,
    noneMs,
    ratio: pluginMs / noneMs,
    pairedRatio: median(ratios),
    all: times,
  };
}

export async function pluginBench(root, runs) {
  const bin = BIN;
  const version = frameworkVersion();
  fs.mkdirSync(path.join(root, '.git'), { recursive: true }); // the repo root, where the plugin stops looking for seed.yml
  const services = {
    plugin: makeService(root, 'with-plugin', 'plugin'),
    yaml: makeService(root, 'yaml-env', 'yaml'),
    none: makeService(root, 'no-env', 'none'),
  };
  await makeStage(services.plugin, STAGE, SECRETS, 'each', VALUE_SIZE);

  const cpuFile = path.join(root, 'cpu.json');
  const cpu = { plugin: [], yaml: [], none: [] };
  const pack = (svc) => () => {
    fs.rmSync(path.join(svc.dir, '.serverless'), { recursive: true, force: true });
    const env = { ...svc.env, STAGE_SECRETS_BENCH_CPU_OUT: cpuFile };
    return timeSpawn(NODE, ['--require', CPU_REPORT, bin, 'package', '--stage', STAGE], { cwd: svc.dir, env });
  };
  const cpuMs = () => JSON.parse(fs.readFileSync(cpuFile, 'utf8')).cpuMs;
  const template = (svc) =>
    JSON.parse(fs.readFileSync(path.join(svc.dir, '.serverless/cloudformation-template-update-stack.json'), 'utf8'));
  const envs = (svc) =>
    Object.values(template(svc).Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((l) => l.Properties.Environment?.Variables ?? {});

  // once (also the warm-up): the plugin put every secret into every function, as the yaml variant has them
  for (const svc of Object.values(services)) pack(svc)();
  const withSecrets = envs(services.plugin);
  const names = Array.from({ length: SECRETS }, (_, i) => secretName(i));
  const complete = withSecrets.filter((vars) => names.every((n, i) => vars[n] === secretValue(i, VALUE_SIZE)));
  if (withSecrets.length !== FUNCTIONS || complete.length !== FUNCTIONS) {
    throw new Error(
      `plugin check: ${complete.length} of ${withSecrets.length} functions carry all ${SECRETS} secrets; expected ${FUNCTIONS}`,
    );
  }
  // the plugin also records, per function, a digest of the entries it used (for `status`): not a secret
  const withoutDigest = withSecrets.map(({ [DIGEST_VAR]: _digest, ...vars }) => vars);
  if (JSON.stringify(envs(services.yaml)) !== JSON.stringify(withoutDigest))
    throw new Error('the yaml variant does not give the same function env as the plugin');

  const times = { plugin: [], yaml: [], none: [] };
  const kinds = Object.keys(times);
  for (let r = 0; r < runs; r++) {
    // rotate which goes first, so a slow phase of the machine hits all alike
    for (let k = 0; k < kinds.length; k++) {
      const kind = kinds[(r + k) % kinds.length];
      times[kind].push(pack(services[kind])());
      cpu[kind].push(cpuMs());
    }
  }
  // The plugin's own time, from CPU profiles of the plugin variant: samples with the plugin's code
  // (or the framework loading it) on the stack. Much steadier than a difference of two 3 s runs.
  const profiles = [];
  for (let r = 0; r < Math.max(3, Math.min(runs, 5)); r++) {
    const dir = fs.mkdtempSync(path.join(root, 'prof-'));
    const svc = services.plugin;
    fs.rmSync(path.join(svc.dir, '.serverless'), { recursive: true, force: true });
    timeSpawn(NODE, ['--cpu-prof', '--cpu-prof-dir', dir, bin, 'package', '--stage', STAGE], {
      cwd: svc.dir,
      env: svc.env,
    });
    const [file] = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
    profiles.push(
      profileShare(path.join(dir, file), (f) => OWN_CODE.test(f.url) || f.functionName === 'requireServicePlugin'),
    );
  }
  const own = {
    ms: median(profiles.map((p) => p.insideMs)),
    pct: median(profiles.map((p) => (p.insideMs / p.totalMs) * 100)),
    runs: profiles.length,
  };
  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  const c = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, median(v)]));
  return {
    framework: `serverless ${version}`,
    pluginMs: m.plugin,
    yamlMs: m.yaml,
    noneMs: m.none,
    addedMs: m.plugin - m.yaml,
    addedPct: ((m.plugin - m.yaml) / m.yaml) * 100,
    cpu: c,
    addedCpuPct: ((c.plugin - c.yaml) / c.yaml) * 100,
    own,
    all: times,
  };
}
