// The part of opening a stage that no implementation can skip: one X25519 agreement per ephemeral key.
// Measured in a fresh process (as `run` meets it: cold), with Node's crypto and nothing else around it.
import { spawnSync } from 'node:child_process';
import { NODE } from './paths.mjs';
import { median } from './stats.mjs';

const SCRIPT = `
const c = require('node:crypto');
const stage = c.generateKeyPairSync('x25519').privateKey;
const peers = Array.from({ length: 1000 }, () => c.generateKeyPairSync('x25519').publicKey);
const t = process.hrtime.bigint();
for (const publicKey of peers) c.diffieHellman({ privateKey: stage, publicKey });
process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));
`;

/** Median µs of one X25519 agreement over `runs` fresh processes of 1,000 agreements each. */
export function agreementMicros(runs = 5) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(NODE, ['-e', SCRIPT], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`agreement timing failed: ${r.stderr}`);
    times.push(Number(r.stdout));
  }
  return median(times); // ms per 1,000 = µs per agreement
}
