// Small statistics and timing helpers for the benchmark.
import { spawnSync } from 'node:child_process';

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Runs a command to completion and returns its wall time in ms; throws when it fails. */
export function timeSpawn(cmd, args, options = {}) {
  const start = nowMs();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * 1024 * 1024, ...options });
  const ms = nowMs() - start;
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(
      `${[cmd, ...args].join(' ').slice(0, 200)} exited with ${r.status ?? r.signal}: ${String(r.stderr ?? '').slice(0, 500)}`,
    );
  }
  return ms;
}

/**
 * Interleaves the variants (round-robin, so drift from other load on the machine hits all alike),
 * after `warmup` untimed rounds; returns the median wall time of each, in ms.
 */
export function interleaved(variants, runs, warmup = 2) {
  const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < warmup + runs; r++) {
    for (const [name, fn] of Object.entries(variants)) {
      const ms = fn();
      if (r >= warmup) times[name].push(ms);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

export function fmtMs(ms) {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

/** A markdown table from a header row and rows of cells. */
export function table(header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(all[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...all.slice(1).map(line)].join('\n');
}
