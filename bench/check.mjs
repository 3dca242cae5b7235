// `npm run bench:check`: wall time of `stage-secrets check` (a whole process, no key) over every fixture
// service of the repository copied into one app with two stages; the target is under a second.
// Options: --runs N (default 10)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { CLI, NODE, REPO } from './lib/paths.mjs';
import { fmtMs, median, nowMs } from './lib/stats.mjs';

const { values: opt } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-secrets-bench-check-'));
const env = { ...process.env, HOME: root, XDG_CONFIG_HOME: path.join(root, 'config') };
for (const key of Object.keys(env)) if (key.startsWith('STAGE_SECRETS_')) delete env[key];
const cli = (args, input) => {
  const r = spawnSync(NODE, [CLI, ...args], { cwd: path.join(root, 'app'), env, input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`stage-secrets ${args.join(' ')}: ${r.stderr}`);
};
try {
  const app = path.join(root, 'app');
  fs.mkdirSync(path.join(app, '.git'), { recursive: true });
  let found = 0;
  for (const fixture of fs.readdirSync(path.join(REPO, 'fixtures')).sort()) {
    fs.cpSync(path.join(REPO, 'fixtures', fixture), path.join(app, fixture), { recursive: true });
    // one app: every service uses the root's secrets/
    for (const f of fs.readdirSync(path.join(app, fixture), { recursive: true })) {
      if (/(^|\/)serverless\.yml$/.test(f)) {
        const file = path.join(app, fixture, f);
        fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^ {4}dir: .*\n/m, ''));
      }
    }
    fs.rmSync(path.join(app, fixture, 'other-app', 'secrets'), { recursive: true, force: true });
  }
  const names = ['API_KEY', 'DB_PASSWORD', 'QUEUE_URL', 'RELEASE_LABEL', 'SHARED_TOKEN', 'A_ONLY_SECRET'];
  for (const stage of ['dev', 'prod']) {
    cli(['init', '--stage', stage, '--app', 'bench']);
    cli(['import', '--stage', stage, '-'], names.map((n, i) => `${n}=v${i}`).join('\n'));
  }
  const times = [];
  for (let i = 0; i < Number(opt.runs); i++) {
    const start = nowMs();
    // exit 1 is an answer too (some fixture lists a name the stages lack): only a crash is an error
    const r = spawnSync(NODE, [CLI, 'check', '--format', 'json'], { cwd: app, env, encoding: 'utf8' });
    times.push(nowMs() - start);
    if (r.status !== 0 && r.status !== 1) throw new Error(`check exited with ${r.status ?? r.signal}: ${r.stderr}`);
    if (i === 0) {
      const report = JSON.parse(r.stdout);
      found = report.services.length;
      process.stdout.write(`${report.rows.length} names, ${report.unreadable.length} files not scanned\n`);
    }
  }
  const ms = median(times);
  process.stdout.write(
    `check over ${found} services of fixtures/ (2 stages): median ${fmtMs(ms)} of ${times.length} runs; ` +
      `target under 1 s: ${ms < 1000 ? 'met' : 'NOT met'}\n`,
  );
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
