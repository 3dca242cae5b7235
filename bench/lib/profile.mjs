// Share of a CPU profile (node --cpu-prof) spent with given code on the stack.
import * as fs from 'node:fs';

/**
 * Returns the profile's total sampled time and the time of samples whose stack holds a frame for
 * which `match(callFrame)` is true (each sample counted once), in ms.
 */
export function profileShare(file, match) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const hit = new Map();
  const matches = (id) => {
    if (hit.has(id)) return hit.get(id);
    const n = nodes.get(id);
    const p = parent.get(id);
    const result = match(n.callFrame) || (p !== undefined && matches(p));
    hit.set(id, result);
    return result;
  };
  let total = 0;
  let inside = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    if (matches(id)) inside += dt;
  });
  return { totalMs: total / 1000, insideMs: inside / 1000 };
}
