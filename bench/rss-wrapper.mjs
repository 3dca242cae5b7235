// Runs the CLI in this very process and, at exit, writes the process's peak resident memory (KiB)
// to the file named first: Node's spawn gives no rusage of a child, a process knows its own.
// On Linux it reads VmHWM, the high-water mark of this program's own memory: getrusage's maxRSS
// also counts what the parent had when it forked us (the bench process holds large buffers).
// usage: node rss-wrapper.mjs OUT.json CLI.js ARGS...   (CLI.js "-": nothing, for a bare node baseline)
import * as fs from 'node:fs';
import { pathToFileURL } from 'node:url';

const [out, script, ...args] = process.argv.slice(2);

function peakRssKiB() {
  try {
    const m = /^VmHWM:\s*(\d+)\s*kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // no /proc: fall back to getrusage
  }
  return process.resourceUsage().maxRSS;
}

process.on('exit', () => fs.writeFileSync(out, JSON.stringify({ maxRssKiB: peakRssKiB() })));
if (script !== '-') {
  process.argv = [process.argv[0], script, ...args];
  await import(pathToFileURL(script).href);
}
