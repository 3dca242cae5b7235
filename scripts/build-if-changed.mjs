// `npm test` and `npm run test:e2e` build first; `npm ci` (prepare) has just built the same sources. This
// builds only when what the build reads differs from what dist/ was built from (a hash of those files,
// kept in dist/.build-inputs), so a clean clone builds once and an edited tree always rebuilds.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const INPUTS = ['src', 'plugin', 'console-ui', 'scripts', 'package.json', 'package-lock.json', 'tsconfig.json'];
const STAMP = path.join(root, 'dist', '.build-inputs');

function files(entry) {
  const full = path.join(root, entry);
  if (!fs.existsSync(full)) return [];
  if (!fs.statSync(full).isDirectory()) return [entry];
  return fs
    .readdirSync(full, { withFileTypes: true })
    .flatMap((d) => (d.isDirectory() ? files(path.join(entry, d.name)) : d.isFile() ? [path.join(entry, d.name)] : []));
}

function inputsHash() {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap(files).sort()) {
    hash.update(`${file}\0`);
    hash.update(fs.readFileSync(path.join(root, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

const now = inputsHash();
const built = fs.existsSync(STAMP) ? fs.readFileSync(STAMP, 'utf8').trim() : '';
if (process.argv[2] === '--stamp') {
  // the last step of `npm run build`: what dist/ was built from
  fs.writeFileSync(STAMP, `${now}\n`);
} else if (built === now) {
  process.stdout.write('dist/ is built from these sources; not building again\n');
} else {
  execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
}
