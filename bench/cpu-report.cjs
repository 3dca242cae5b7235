// Preloaded (node --require) into the framework's process by the plugin benchmark: at exit, writes
// the process's CPU time (user + system, ms) to $STAGE_SECRETS_BENCH_CPU_OUT.
const fs = require('node:fs');

const out = process.env.STAGE_SECRETS_BENCH_CPU_OUT;
if (out) {
  process.on('exit', () => {
    const { user, system } = process.cpuUsage();
    fs.writeFileSync(out, JSON.stringify({ cpuMs: (user + system) / 1000 }));
  });
}
