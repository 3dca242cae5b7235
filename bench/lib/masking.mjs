// Masking throughput: the runner's Masker in-process, and `run` end to end on a child's output.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI, NODE, REPO } from './paths.mjs';
import { median, nowMs } from './stats.mjs';
import { secretValue } from './values.mjs';

const PRODUCER = path.join(REPO, 'bench/producer.mjs');
export const MASK_MB = 100;
export const EVERY = 50; // one secret value in every 50th line (about one per 3.5 KB)
const CHUNK = 64 * 1024; // what a pipe read hands the runner

/** The producer's exact output, in memory (the same bytes the end-to-end runs stream). */
function producerOutput(n, mb) {
  const r = spawnSync(NODE, [PRODUCER, String(n), String(mb), String(EVERY)], { maxBuffer: (mb + 8) << 20 });
  if (r.status !== 0) throw new Error(`producer failed: ${r.stderr}`);
  return { bytes: r.stdout, report: JSON.parse(String(r.stderr)) };
}

/**
 * Pushes `mb` MB through a Masker in 64 KB chunks. Checks the output: every planted value became
 * `***` (each shrinks the output by its length minus 3) and no value is left.
 */
export async function maskerThroughput(n, runs, mb = MASK_MB) {
  const { Masker } = await import(pathToFileURL(path.join(REPO, 'dist/src/runner/masker.js')).href);
  const values = Array.from({ length: n }, (_, i) => secretValue(i));
  // 8 MB of real producer output, cycled: every chunk boundary falls somewhere new relative to the lines.
  const sample = producerOutput(n, 8);
  const input = sample.bytes;
  const valuesPerByte = sample.report.values / input.length;
  const cycles = Math.max(1, Math.round((mb << 20) / input.length));
  const total = cycles * input.length;
  const times = [];
  let built = 0;
  for (let r = 0; r < runs + 1; r++) {
    const t0 = nowMs();
    const masker = new Masker(values);
    if (r === 0) built = nowMs() - t0;
    let inBytes = 0;
    let outBytes = 0;
    let off = 0;
    const start = nowMs();
    while (inBytes < total) {
      const size = Math.min(CHUNK, total - inBytes, input.length - off);
      outBytes += masker.push(input.subarray(off, off + size)).length;
      inBytes += size;
      off = off + size === input.length ? 0 : off + size;
    }
    outBytes += masker.end().length;
    const ms = nowMs() - start;
    if (r > 0) times.push(ms);
    const expectedShrink = cycles * sample.report.values * (24 - 3);
    if (inBytes - outBytes !== expectedShrink) {
      throw new Error(`masker output has ${inBytes - outBytes} bytes less than its input; expected ${expectedShrink}`);
    }
  }
  const ms = median(times);
  const mbIn = total / (1 << 20);
  return {
    n,
    mb: mbIn,
    ms,
    mbps: mbIn / (ms / 1000),
    buildMs: built,
    valuesPerMB: Math.round(valuesPerByte * (1 << 20)),
  };
}

/**
 * Like maskerThroughput, with password-like values (each holds / @ & and a non-ASCII letter, so every
 * value has several printed forms) masked with the texts `run` masks for them (maskTexts: JSON escapes,
 * util.inspect, percent-encodings). The log plants each value in turn as it is, encodeURIComponent'd
 * and as Python's json.dumps prints it. Checks that every planted form became `***`.
 */
export async function maskerFormsThroughput(n, runs, mb = MASK_MB) {
  const { Masker } = await import(pathToFileURL(path.join(REPO, 'dist/src/runner/masker.js')).href);
  const { maskTexts } = await import(pathToFileURL(path.join(REPO, 'dist/src/core/mask-texts.js')).href);
  const password = (i) => {
    const v = secretValue(i);
    return `${v.slice(0, 6)}/${v.slice(6, 12)}@${v.slice(12, 18)}&ä${v.slice(18)}`;
  };
  const secrets = new Map(Array.from({ length: n }, (_, i) => [`S${i}`, { type: 'string', text: password(i) }]));
  const t0 = nowMs();
  const patterns = maskTexts(secrets);
  const textsMs = nowMs() - t0;
  const printed = [
    (v) => v,
    (v) => encodeURIComponent(v),
    (v) =>
      JSON.stringify(v)
        .slice(1, -1)
        .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  ];
  const index = new Map(Array.from({ length: n }, (_, i) => [secretValue(i), i]));
  let planted = 0;
  let shrink = 0;
  const sample = producerOutput(n, 8);
  const text = sample.bytes.toString('latin1').replace(/token=([A-Za-z0-9_-]{24})/g, (_, token) => {
    const form = printed[planted++ % printed.length](password(index.get(token)));
    shrink += Buffer.byteLength(form) - 3;
    return `token=${form}`;
  });
  const input = Buffer.from(text, 'utf8');
  const cycles = Math.max(1, Math.round((mb << 20) / input.length));
  const total = cycles * input.length;
  const times = [];
  let built = 0;
  for (let r = 0; r < runs + 1; r++) {
    const b0 = nowMs();
    const masker = new Masker(patterns);
    if (r === 0) built = nowMs() - b0;
    let outBytes = 0;
    const start = nowMs();
    for (let c = 0; c < cycles; c++) {
      for (let off = 0; off < input.length; off += CHUNK)
        outBytes += masker.push(input.subarray(off, off + CHUNK)).length;
    }
    outBytes += masker.end().length;
    const ms = nowMs() - start;
    if (r > 0) times.push(ms);
    if (total - outBytes !== cycles * shrink) {
      throw new Error(`masker output has ${total - outBytes} bytes less than its input; expected ${cycles * shrink}`);
    }
  }
  const ms = median(times);
  const mbIn = total / (1 << 20);
  return { n, patterns: patterns.length, mb: mbIn, ms, mbps: mbIn / (ms / 1000), buildMs: built, textsMs };
}

/**
 * `run --stage S -- node producer.mjs` with the runner's stdout on /dev/null. Throughput is marginal:
 * MB / (time with MB of output - time with none), the same stage and start-up in both, so it is the
 * rate at which run moves output through its masker, apart from starting and decrypting the stage.
 * One extra run with stdout captured checks that every value was masked and none got through.
 */
export function runnerThroughput(appInfo, stage, n, runs, mb = MASK_MB) {
  const producer = (size) => [PRODUCER, String(n), String(size), String(EVERY)];
  const devnull = fs.openSync('/dev/null', 'w');
  const opts = { cwd: appInfo.dir, env: appInfo.env };
  const runArgs = (size) => [CLI, 'run', '--stage', stage, '--', NODE, ...producer(size)];
  const variants = {
    masked: runArgs(mb),
    masked0: runArgs(0),
  };
  try {
    // correctness, once: the captured output holds no value and the expected number of ***
    const check = spawnSync(NODE, variants.masked, { ...opts, maxBuffer: (mb + 8) << 20 });
    if (check.status !== 0) throw new Error(`run failed (${check.status}): ${String(check.stderr).slice(0, 400)}`);
    const report = JSON.parse(String(check.stderr).trim().split('\n').pop());
    const text = check.stdout.toString('latin1');
    const stars = text.split('***').length - 1;
    if (stars !== report.values) throw new Error(`run masked ${stars} values; the producer wrote ${report.values}`);
    for (let i = 0; i < n; i++)
      if (text.includes(secretValue(i))) throw new Error('a secret value got through the masker');
    const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
    for (let r = 0; r < runs + 1; r++) {
      for (const [name, args] of Object.entries(variants)) {
        const t0 = nowMs();
        const res = spawnSync(NODE, args, { ...opts, stdio: ['ignore', devnull, 'pipe'] });
        const ms = nowMs() - t0;
        if (res.status !== 0) throw new Error(`${name} failed (${res.status}): ${String(res.stderr).slice(0, 400)}`);
        if (r > 0) times[name].push(ms);
      }
    }
    const mbActual = report.bytes / (1 << 20);
    const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
    return {
      n,
      mb: mbActual,
      maskedMs: m.masked,
      startMs: m.masked0,
      mbps: mbActual / ((m.masked - m.masked0) / 1000),
      wholeMbps: mbActual / (m.masked / 1000),
    };
  } finally {
    fs.closeSync(devnull);
  }
}
