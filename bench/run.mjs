// `npm run bench`: start-up, run, set, verify, masking, plugin and memory of stage-secrets on synthetic
// stages (local identity), medians over repeated runs, and whether the targets of the project are met.
// Options: --runs N (CLI timings, default 15)  --mask-runs N (5)  --plugin-runs N (5)  --quick (5/3/3)
//          --sizes 10,100,1000,10000  --skip startup,run,set,v3,masking,memory,plugin,pluginratio,runtime  --json FILE  --keep
// (from npm: npm run bench -- --quick)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { machine } from './lib/machine.mjs';
import { maskerFormsThroughput, maskerThroughput, MASK_MB, runnerThroughput } from './lib/masking.mjs';
import { CLI, NODE, REPO } from './lib/paths.mjs';
import { FUNCTIONS, pluginBench, pluginRatio, RATIO_FUNCTIONS, RATIO_SECRETS, SECRETS } from './lib/plugin.mjs';
import { agreementMicros } from './lib/floor.mjs';
import { runtimeColdStart } from './lib/runtime.mjs';
import { measureStartup } from './lib/startup.mjs';
import { checkStage, makeApp, makeStage, writeAsV2 } from './lib/stages.mjs';
import { fmtMs, interleaved, median, nowMs, table, timeSpawn } from './lib/stats.mjs';

const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    'mask-runs': { type: 'string', default: '5' },
    'plugin-runs': { type: 'string', default: '5' },
    sizes: { type: 'string', default: '10,100,1000,10000' },
    skip: { type: 'string', default: '' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
  },
});
if (opt.quick) Object.assign(opt, { runs: '5', 'mask-runs': '3', 'plugin-runs': '3' });
const RUNS = Number(opt.runs);
const SIZES = opt.sizes.split(',').map(Number);
const skip = new Set(opt.skip.split(',').filter(Boolean));
const MODES = { each: 'set one by one', batch: 'imported in one batch' };
const TARGET = {
  runOverBareMs: 150,
  maskMbps: 200,
  pluginPct: 5,
  linearRatio: 2,
  runtimeWrapperMs: 15,
  runtimeWrapper1000Ms: 30,
  pluginRatio: 1.1,
  v3SetMs: 20,
  v3RunMs: 60,
  upgradeMs: 1000,
};
const RUNTIME_SIZES = [10, 100, 1000];

const progress = (msg) => process.stderr.write(`[bench] ${msg}\n`);
const out = (text = '') => process.stdout.write(`${text}\n`);
const results = { machine: machine(), targets: [] };
const target = (name, pass, measured) => results.targets.push({ name, pass, measured });

const started = nowMs();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-bench-'));
try {
  const app = makeApp(root, 'bench-app');
  const stageName = (mode, n) => `${mode === 'each' ? 'e' : 'b'}${n}`;
  const needStages = !['run', 'set', 'v3', 'masking', 'memory'].every((s) => skip.has(s));
  if (needStages) {
    for (const n of SIZES) {
      for (const mode of Object.keys(MODES)) {
        const t0 = nowMs();
        await makeStage(app, stageName(mode, n), n, mode);
        await checkStage(app, stageName(mode, n), n);
        progress(
          `stage ${stageName(mode, n)}: ${n} secrets ${MODES[mode]}, generated and checked in ${fmtMs(nowMs() - t0)}`,
        );
      }
    }
  }
  const cli = (args) => () => timeSpawn(NODE, [CLI, ...args], { cwd: app.dir, env: app.env });
  const bare = () => timeSpawn(NODE, ['-e', '0'], { cwd: app.dir, env: app.env });

  if (!skip.has('startup')) {
    progress('start-up: import cost');
    results.startup = measureStartup(RUNS);
  }

  if (!skip.has('run')) {
    progress(`run: ${SIZES.length * 2} stages + bare node, ${RUNS} interleaved rounds`);
    const variants = { bare };
    for (const n of SIZES)
      for (const mode of Object.keys(MODES))
        variants[`${mode}:${n}`] = cli(['run', '--stage', stageName(mode, n), '--', NODE, '-e', '0']);
    const m = interleaved(variants, RUNS, 2);
    results.run = { bareMs: m.bare, rows: [] };
    for (const mode of Object.keys(MODES)) {
      let prev;
      for (const n of SIZES) {
        const ms = m[`${mode}:${n}`];
        const row = { mode, n, ms, overMs: ms - m.bare, ratio: ms / m.bare, perSecretUs: ((ms - m.bare) / n) * 1000 };
        if (prev) row.marginalUs = ((ms - prev.ms) / (n - prev.n)) * 1000;
        results.run.rows.push(row);
        prev = row;
      }
    }
    results.run.agreementUs = agreementMicros();
  }

  if (!skip.has('set') && SIZES.includes(1000)) {
    progress(`set and verify at 1,000 secrets, ${RUNS} interleaved rounds`);
    const m = interleaved(
      {
        bare,
        set: cli(['set', '--stage', stageName('each', 1000), 'BENCH_ADDED', 'bench-added-value']),
        verifyEach: cli(['verify', '--stage', stageName('each', 1000)]),
        verifyBatch: cli(['verify', '--stage', stageName('batch', 1000)]),
      },
      RUNS,
      2,
    );
    results.setVerify = m;
  }

  if (!skip.has('v3') && SIZES.includes(10) && SIZES.includes(1000)) {
    progress(`v3 layout: set and run at 10 vs 1,000 secrets, ${RUNS} interleaved rounds; upgrade of 1,000`);
    const m = interleaved(
      {
        set10: cli(['set', '--stage', stageName('each', 10), 'BENCH_SET', 'bench-set-value']),
        set1000: cli(['set', '--stage', stageName('each', 1000), 'BENCH_SET', 'bench-set-value']),
        run10: cli(['run', '--stage', stageName('each', 10), '--', NODE, '-e', '0']),
        run1000: cli(['run', '--stage', stageName('each', 1000), '--', NODE, '-e', '0']),
        runBatch10: cli(['run', '--stage', stageName('batch', 10), '--', NODE, '-e', '0']),
        runBatch1000: cli(['run', '--stage', stageName('batch', 1000), '--', NODE, '-e', '0']),
      },
      RUNS,
      2,
    );
    // upgrade: the same 1,000-secret stage written back as a version-2 file before each timed run
    const upgrades = [];
    await makeStage(app, 'u1000', 1000, 'batch');
    for (let i = 0; i < Math.max(5, Math.ceil(RUNS / 3)); i++) {
      writeAsV2(app, 'u1000');
      upgrades.push(timeSpawn(NODE, [CLI, 'upgrade', '--stage', 'u1000'], { cwd: app.dir, env: app.env }));
    }
    results.v3 = { ...m, upgrade1000: median(upgrades) };
  }

  if (!skip.has('masking')) {
    results.masking = { masker: [], forms: [], runner: [] };
    for (const n of [10, 1000]) {
      progress(`masking: Masker in-process, ${n} secrets, ${MASK_MB} MB`);
      results.masking.masker.push(await maskerThroughput(n, Number(opt['mask-runs'])));
      progress(`masking: run end to end, ${n} secrets, ${MASK_MB} MB`);
      const stage = `m${n}`;
      if (!fs.existsSync(path.join(app.dir, 'secrets', `${stage}.json`))) await makeStage(app, stage, n, 'each');
      results.masking.runner.push(runnerThroughput(app, stage, n, Number(opt['mask-runs'])));
    }
    progress(`masking: Masker in-process, 1000 password-like secrets with their printed forms, ${MASK_MB} MB`);
    results.masking.forms.push(await maskerFormsThroughput(1000, Number(opt['mask-runs'])));
  }

  if (!skip.has('memory') && SIZES.includes(10000)) {
    progress('memory: peak RSS of run at 10,000 secrets');
    const wrapper = path.join(REPO, 'bench/rss-wrapper.mjs');
    const peakMiB = (args) => {
      const file = path.join(root, 'rss.json');
      const r = spawnSync(NODE, [wrapper, file, ...args], {
        cwd: app.dir,
        env: app.env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
      return JSON.parse(fs.readFileSync(file, 'utf8')).maxRssKiB / 1024;
    };
    // a quiet child, and one that writes to stdout and stderr (so both maskers are built)
    const children = { quiet: [NODE, '-e', '0'], output: [NODE, '-e', "console.log('out'); console.error('err')"] };
    const mem = { bare: [] };
    for (let i = 0; i < 3; i++) {
      mem.bare.push(peakMiB(['-']));
      for (const mode of Object.keys(MODES)) {
        for (const [kind, child] of Object.entries(children)) {
          (mem[`${mode}:${kind}`] ??= []).push(
            peakMiB([CLI, 'run', '--stage', stageName(mode, 10000), '--', ...child]),
          );
        }
      }
    }
    results.memory = Object.fromEntries(Object.entries(mem).map(([k, v]) => [k, median(v)]));
  }

  const pluginBuilt =
    fs.existsSync(path.join(REPO, 'dist/plugin/index.js')) &&
    fs.existsSync(path.join(REPO, 'node_modules/serverless/bin/serverless.js'));
  if (!skip.has('plugin') && !pluginBuilt)
    progress('plugin: skipped (no dist/plugin/index.js or node_modules/serverless)');
  if (!skip.has('plugin') && pluginBuilt) {
    progress(
      `plugin: serverless package, ${FUNCTIONS} functions, ${SECRETS} secrets, ${opt['plugin-runs']} runs each way`,
    );
    results.plugin = await pluginBench(path.join(root, 'plugin'), Number(opt['plugin-runs']));
  }
  if (!skip.has('pluginratio') && pluginBuilt) {
    progress(
      `plugin ratio: serverless package, ${RATIO_FUNCTIONS} functions, ${RATIO_SECRETS} secrets, with and without the plugin, ${opt['plugin-runs']} pairs`,
    );
    results.pluginRatio = await pluginRatio(path.join(root, 'plugin-ratio'), Number(opt['plugin-runs']));
  }
  if (!skip.has('runtime')) {
    progress(
      `runtime mode: cold start with and without the wrapper at ${RUNTIME_SIZES.join(', ')} secrets, ${RUNS} interleaved rounds`,
    );
    results.runtime = await runtimeColdStart(path.join(root, 'runtime'), RUNTIME_SIZES, RUNS);
  }
} finally {
  if (!opt.keep) fs.rmSync(root, { recursive: true, force: true });
  else progress(`kept ${root}`);
}
results.totalSeconds = (nowMs() - started) / 1000;

// ---- report ----
function leastSquares(points) {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const ssr = points.reduce((a, [x, y]) => a + (y - intercept - slope * x) ** 2, 0);
  const sst = points.reduce((a, [, y]) => a + (y - my) ** 2, 0);
  return { slope, intercept, r2: sst === 0 ? 1 : 1 - ssr / sst };
}

const mc = results.machine;
out('## stage-secrets benchmark');
out();
out(`${mc.date}; ${mc.cpu}, ${mc.cores} cores, ${mc.memoryGiB} GiB; Node ${mc.node}; ${mc.platform}.`);
out(`Medians of ${RUNS} interleaved runs (after 2 warm-up rounds) unless said otherwise; local identity.`);

if (results.startup) {
  out();
  out('### Start-up (import cost)');
  out(
    table(
      ['process', 'wall time', 'over bare node'],
      results.startup.map((r) => [r.name, fmtMs(r.ms), r.name.includes('bare') ? '' : `+${fmtMs(r.extra)}`]),
    ),
  );
}

if (results.run) {
  out();
  out(`### \`run --stage S -- node -e 0\` (bare \`node -e 0\`: ${fmtMs(results.run.bareMs)})`);
  out(
    table(
      ['secrets', 'stage made', 'run', 'ratio to bare', 'over bare', 'over bare / secrets', 'marginal per secret'],
      results.run.rows.map((r) => [
        r.n.toLocaleString('en'),
        MODES[r.mode],
        fmtMs(r.ms),
        `${r.ratio.toFixed(2)}x`,
        `+${fmtMs(r.overMs)}`,
        `${r.perSecretUs.toFixed(1)} µs`,
        r.marginalUs === undefined ? '' : `${r.marginalUs.toFixed(1)} µs`,
      ]),
    ),
  );
  for (const mode of Object.keys(MODES)) {
    const rows = results.run.rows.filter((r) => r.mode === mode);
    if (rows.length >= 2) {
      const fit = leastSquares(rows.map((r) => [r.n, r.overMs]));
      out(
        `Fit, ${MODES[mode]}: over bare ≈ ${fmtMs(fit.intercept)} + ${(fit.slope * 1000).toFixed(1)} µs × secrets (R² ${fit.r2.toFixed(3)}).`,
      );
    }
  }
  const smallest = results.run.rows.find((r) => r.mode === 'each' && r.n === SIZES[0]);
  if (smallest && results.run.agreementUs) {
    const us = results.run.agreementUs;
    const floor = smallest.overMs + ((1000 - smallest.n) * us) / 1000;
    out(
      `Floor at 1,000 secrets set one by one: +${fmtMs(smallest.overMs)} (the run at ${smallest.n}) + ${(1000 - smallest.n).toLocaleString('en')} × ${us.toFixed(1)} µs ` +
        `(one X25519 agreement per further secret, Node's crypto alone) = +${fmtMs(floor)}, before any AES-GCM, key import or HKDF.`,
    );
  }
  for (const mode of Object.keys(MODES)) {
    const r1000 = results.run.rows.find((r) => r.mode === mode && r.n === 1000);
    if (r1000)
      target(
        `run with 1,000 secrets (${MODES[mode]}) within ${TARGET.runOverBareMs} ms of bare node`,
        r1000.overMs <= TARGET.runOverBareMs,
        `+${fmtMs(r1000.overMs)}`,
      );
    // linear: the marginal cost per secret from 1,000 to 10,000 at most 2x that from 100 to 1,000
    const step = (from, to) =>
      results.run.rows.find(
        (r) => r.mode === mode && r.n === to && r.marginalUs !== undefined && SIZES[SIZES.indexOf(to) - 1] === from,
      );
    const low = step(100, 1000);
    const high = step(1000, 10000);
    if (low && high) {
      const ratio = high.marginalUs / Math.max(low.marginalUs, 1e-9);
      target(
        `cost grows linearly (${MODES[mode]}): marginal cost per secret 1,000→10,000 at most ${TARGET.linearRatio}x that of 100→1,000`,
        ratio <= TARGET.linearRatio,
        `${high.marginalUs.toFixed(1)} µs vs ${low.marginalUs.toFixed(1)} µs (${ratio.toFixed(2)}x)`,
      );
    }
  }
}

if (results.setVerify) {
  const m = results.setVerify;
  out();
  out(`### set and verify at 1,000 secrets (bare \`node -e 0\`: ${fmtMs(m.bare)})`);
  out(
    table(
      ['command', 'wall time', 'over bare'],
      [
        ['set one secret into a stage of 1,000', fmtMs(m.set), `+${fmtMs(m.set - m.bare)}`],
        ['verify 1,000 (set one by one)', fmtMs(m.verifyEach), `+${fmtMs(m.verifyEach - m.bare)}`],
        ['verify 1,000 (imported in one batch)', fmtMs(m.verifyBatch), `+${fmtMs(m.verifyBatch - m.bare)}`],
      ],
    ),
  );
}

if (results.v3) {
  const m = results.v3;
  out();
  out('### Stage layout v3 (one file per secret): set and run, 10 vs 1,000 secrets; upgrade');
  out(
    table(
      ['command', '10 secrets', '1,000 secrets', 'difference'],
      [
        ['set one secret', fmtMs(m.set10), fmtMs(m.set1000), `+${fmtMs(m.set1000 - m.set10)}`],
        ['run -- node -e 0 (set one by one)', fmtMs(m.run10), fmtMs(m.run1000), `+${fmtMs(m.run1000 - m.run10)}`],
        [
          'run -- node -e 0 (imported in one batch)',
          fmtMs(m.runBatch10),
          fmtMs(m.runBatch1000),
          `+${fmtMs(m.runBatch1000 - m.runBatch10)}`,
        ],
        ['upgrade a version-2 stage', '', fmtMs(m.upgrade1000), ''],
      ],
    ),
  );
  target(
    `v3: set on 1,000 secrets within ${TARGET.v3SetMs} ms of set on 10`,
    m.set1000 - m.set10 <= TARGET.v3SetMs,
    `+${fmtMs(m.set1000 - m.set10)}`,
  );
  for (const [mode, d] of [
    ['imported in one batch', m.runBatch1000 - m.runBatch10],
    ['set one by one', m.run1000 - m.run10],
  ]) {
    target(
      `v3: run on 1,000 secrets (${mode}) within ${TARGET.v3RunMs} ms of run on 10`,
      d <= TARGET.v3RunMs,
      `+${fmtMs(d)}`,
    );
  }
  target(
    `v3: upgrade of 1,000 secrets under ${TARGET.upgradeMs} ms`,
    m.upgrade1000 < TARGET.upgradeMs,
    fmtMs(m.upgrade1000),
  );
}

if (results.masking) {
  out();
  out(`### Masking, ${MASK_MB} MB of log lines, one secret value per ~3.5 KB (medians of ${opt['mask-runs']})`);
  const rows = [];
  for (const r of results.masking.masker)
    rows.push([
      'Masker alone (in-process, 64 KB chunks)',
      r.n,
      `${r.mbps.toFixed(0)} MB/s`,
      `${fmtMs(r.ms)}; built in ${fmtMs(r.buildMs)}`,
    ]);
  for (const r of results.masking.forms) {
    rows.push([
      `Masker alone, password-like values, ${r.patterns} texts (maskTexts)`,
      r.n,
      `${r.mbps.toFixed(0)} MB/s`,
      `${fmtMs(r.ms)}; texts in ${fmtMs(r.textsMs)}, built in ${fmtMs(r.buildMs)}`,
    ]);
  }
  for (const r of results.masking.runner) {
    rows.push([
      'run: child → pipe → masker → /dev/null',
      r.n,
      `${r.mbps.toFixed(0)} MB/s`,
      `whole run ${fmtMs(r.maskedMs)} (${r.wholeMbps.toFixed(0)} MB/s), of which ${fmtMs(r.startMs)} the same run without output`,
    ]);
  }
  out(table(['what', 'secrets', 'throughput', 'time'], rows));
  out('run: MB / (time of the run with the output − time of the same run with none): start-up and decryption apart.');
  const e2e = results.masking.runner.find((r) => r.n === 1000);
  const inproc = results.masking.masker.find((r) => r.n === 1000);
  if (e2e)
    target(
      `masking >= ${TARGET.maskMbps} MB/s with 1,000 secrets (run: child → masker → output)`,
      e2e.mbps >= TARGET.maskMbps,
      `${e2e.mbps.toFixed(0)} MB/s`,
    );
  else if (inproc)
    target(
      `masking >= ${TARGET.maskMbps} MB/s with 1,000 secrets (Masker only; run not available)`,
      inproc.mbps >= TARGET.maskMbps,
      `${inproc.mbps.toFixed(0)} MB/s`,
    );
}

if (results.memory) {
  const m = results.memory;
  out();
  out('### Peak memory (peak RSS of the stage-secrets process itself, median of 3)');
  const rows = [['bare `node -e 0`', `${m.bare.toFixed(0)} MB`]];
  for (const mode of Object.keys(MODES)) {
    rows.push([`run, 10,000 secrets ${MODES[mode]}, child \`node -e 0\``, `${m[`${mode}:quiet`].toFixed(0)} MB`]);
    rows.push([
      `run, 10,000 secrets ${MODES[mode]}, child writes to stdout and stderr`,
      `${m[`${mode}:output`].toFixed(0)} MB`,
    ]);
  }
  out(table(['process', 'peak RSS'], rows));
}

if (results.runtime) {
  const r = results.runtime;
  out();
  out('### Runtime mode: cold start of a function, KMS round trip excluded');
  out(
    table(
      ['secrets packaged', 'handler alone', 'with the wrapper', 'added by the wrapper', 'added, CPU time'],
      r.rows.map((row) => [
        row.n.toLocaleString('en'),
        fmtMs(row.bareMs),
        fmtMs(row.wrappedMs),
        `+${fmtMs(row.addedMs)}`,
        `+${fmtMs(row.addedCpuMs)}`,
      ]),
    ),
  );
  out(
    `Import and first call in a fresh process (Node's crypto and https loaded first in both), a stand-in SDK answering Decrypt at once. ` +
      `Loading the real @aws-sdk/client-kms and making a client, which the wrapper does once per cold start: ${fmtMs(r.sdkLoadMs)} (fresh process, crypto and https included).`,
  );
  const at100 = r.rows.find((row) => row.n === 100);
  if (at100)
    target(
      `runtime-mode wrapper adds under ${TARGET.runtimeWrapperMs} ms to a cold start at 100 secrets (KMS round trip and SDK load excluded)`,
      at100.addedMs < TARGET.runtimeWrapperMs,
      `+${fmtMs(at100.addedMs)}`,
    );
  const at1000 = r.rows.find((row) => row.n === 1000);
  if (at1000)
    target(
      `runtime-mode wrapper adds at most ${TARGET.runtimeWrapper1000Ms} ms to a cold start at 1,000 secrets (KMS round trip and SDK load excluded)`,
      at1000.addedMs <= TARGET.runtimeWrapper1000Ms,
      `+${fmtMs(at1000.addedMs)}`,
    );
}

if (results.plugin) {
  const p = results.plugin;
  out();
  out(
    `### Serverless plugin: \`${p.framework} package\`, ${FUNCTIONS} functions, ${SECRETS} secrets (medians of ${opt['plugin-runs']}, in turns)`,
  );
  out(
    table(
      ['service', 'package wall time', 'CPU time'],
      [
        ['no plugin, no such variables', fmtMs(p.noneMs), fmtMs(p.cpu.none)],
        [
          `no plugin, the same ${SECRETS} variables written in provider.environment`,
          fmtMs(p.yamlMs),
          fmtMs(p.cpu.yaml),
        ],
        [`plugin, ${SECRETS} secrets from the stage file`, fmtMs(p.pluginMs), fmtMs(p.cpu.plugin)],
        [
          'added by the plugin (plugin − same variables in yaml)',
          `${p.addedMs >= 0 ? '+' : ''}${fmtMs(p.addedMs)} (${p.addedPct.toFixed(1)}%)`,
          `${p.cpu.plugin - p.cpu.yaml >= 0 ? '+' : ''}${fmtMs(p.cpu.plugin - p.cpu.yaml)} (${p.addedCpuPct.toFixed(1)}%)`,
        ],
        [
          `the plugin's own code inside package (CPU profile, median of ${p.own.runs})`,
          `${fmtMs(p.own.ms)} (${p.own.pct.toFixed(1)}%)`,
          '',
        ],
      ],
    ),
  );
  out('Own code: profile samples with the plugin (loading it, decrypting, merging, checking limits) on the stack.');
  out('The difference of whole runs is shown too; on a shared machine it swings by ±15% from run to run.');
  target(
    `plugin adds < ${TARGET.pluginPct}% to package time (its own code, CPU profile)`,
    p.own.pct < TARGET.pluginPct,
    `${p.own.pct.toFixed(1)}% (${fmtMs(p.own.ms)})`,
  );
}

if (results.pluginRatio) {
  const p = results.pluginRatio;
  out();
  out(
    `### Serverless plugin, a small service: \`${p.framework} package\`, ${p.functions} functions, ${p.secrets} secrets (${p.runs} pairs, order alternating)`,
  );
  out(
    table(
      ['service', 'package wall time (median)'],
      [
        ['without the plugin', fmtMs(p.noneMs)],
        [`with the plugin, ${p.secrets} secrets from the stage`, fmtMs(p.pluginMs)],
        ['ratio of the medians', `${p.ratio.toFixed(2)}x`],
        ['median of the per-pair ratios', `${p.pairedRatio.toFixed(2)}x`],
      ],
    ),
  );
  target(
    `plugin: serverless package of ${p.functions} functions / ${p.secrets} secrets at most ${TARGET.pluginRatio.toFixed(2)}x the same service without it (median of paired ratios)`,
    p.pairedRatio <= TARGET.pluginRatio,
    `${p.pairedRatio.toFixed(2)}x`,
  );
}

out();
out('### Targets');
out(
  table(
    ['target', 'measured', 'result'],
    results.targets.map((t) => [t.name, t.measured, t.pass ? 'PASS' : 'FAIL']),
  ),
);
out();
out(`Total bench time ${results.totalSeconds.toFixed(0)} s.`);
if (opt.json) fs.writeFileSync(opt.json, `${JSON.stringify(results, null, 2)}\n`);
