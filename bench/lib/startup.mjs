// Start-up cost of the import graph: bare node against node loading one module (or the CLI's help).
import { CLI, NODE, REPO } from './paths.mjs';
import { interleaved, timeSpawn } from './stats.mjs';
import * as path from 'node:path';

export function measureStartup(runs) {
  const imp = (spec) => () =>
    timeSpawn(NODE, ['--input-type=module', '-e', `await import(${JSON.stringify(spec)})`], { cwd: REPO });
  const dist = (p) => path.join(REPO, 'dist/src', p);
  const variants = {
    'node -e 0 (bare)': () => timeSpawn(NODE, ['-e', '0'], { cwd: REPO }),
    "import 'zod' (v4 classic)": imp('zod'),
    "import 'zod/v3'": imp('zod/v3'),
    'import core/format.js': imp(dist('core/format.js')),
    'import stages/load.js': imp(dist('stages/load.js')),
    'stage-secrets --help': () => timeSpawn(NODE, [CLI, '--help'], { cwd: REPO }),
  };
  const medians = interleaved(variants, runs, 2);
  const bare = medians['node -e 0 (bare)'];
  return Object.entries(medians).map(([name, ms]) => ({ name, ms, extra: ms - bare }));
}
