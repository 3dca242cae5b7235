import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The layering table: every folder of the code, what it is, and what it may import. Arrows point down only.
 * docs/contributing.md shows this table (renderLayersTable); test/unit/support/layers.test.ts holds the
 * code to it and checks that the doc shows it as it is here.
 */
export interface Layer {
  /** a folder (ends in /) or a file, relative to the repository */
  path: string;
  what: string;
  /** folders (ending in /) or files it may import from, besides its own folder */
  imports: readonly string[];
}

const CORE = 'src/core/';

export const LAYERS: readonly Layer[] = [
  {
    path: 'src/cli/',
    what: "the bin: one spec per command in `commands/`, listed in `registry.ts`; parsing, help and completion from the specs (`check --functions` shows the plugin's own selection, `received-names.ts`)",
    imports: [
      'src/console/',
      'src/serverless/received-names.ts',
      'src/contract/',
      'src/runner/',
      'src/export/',
      'src/stages/',
      'src/git/',
      'src/run-env/',
      'src/runtime-store/',
      'src/identities/',
      'src/store/',
      'src/aws/',
      CORE,
    ],
  },
  {
    path: 'src/action/',
    what: 'the GitHub Action (bundled into `action/index.mjs`)',
    imports: ['src/contract/', 'src/stages/', 'src/git/', 'src/store/', 'src/aws/', CORE],
  },
  {
    path: 'action/',
    what: "the Action's committed bundle (`npm run build:action`)",
    imports: [],
  },
  {
    path: 'src/console/',
    what: "the local console's server; `api.ts` is its HTTP API as the page sees it",
    imports: ['src/contract/', 'src/stages/', 'src/git/', CORE],
  },
  {
    path: 'console-ui/',
    what: "the console's page (Preact, bundled for the browser)",
    imports: ['src/console/api.ts'],
  },
  {
    path: 'plugin/',
    what: 'the Serverless plugin glue',
    imports: ['src/serverless/', CORE],
  },
  {
    path: 'src/serverless/',
    what: "the Serverless plugin's work: variables, packaging, runtime mode, the package check",
    imports: [
      'src/contract/',
      'src/stages/',
      'src/git/',
      'src/identities/',
      'src/runtime-store/',
      'src/store/',
      'src/aws/references.ts',
      CORE,
    ],
  },
  {
    path: 'src/sst/',
    what: 'the SST helper',
    imports: ['src/stages/', CORE],
  },
  {
    path: 'src/client/',
    what: 'the runtime client',
    imports: ['src/stages/', CORE],
  },
  {
    path: 'src/runtime/',
    what: "runtime mode's Lambda side, bundled into one file the plugin copies into each package",
    imports: ['src/stages/open-file.ts', 'src/identities/', 'src/aws/references.ts', CORE],
  },
  {
    path: 'src/index.ts',
    what: 'the library API (`stage-secrets`)',
    imports: ['src/stages/', CORE],
  },
  {
    path: 'src/contract/',
    what: 'checks without a key: what code needs, names x stages, what is deployed (status)',
    imports: ['src/stages/', 'src/git/', 'src/aws/', CORE],
  },
  {
    path: 'src/runner/',
    what: "used by the CLI only: the child's env, masking, secret files, signals",
    imports: ['src/run-env/', 'src/store/', CORE],
  },
  {
    path: 'src/export/',
    what: 'used by the CLI only: export formats, secret files',
    imports: ['src/store/', CORE],
  },
  {
    path: 'src/stages/',
    what: 'use cases over one read path (`stage.ts`); init, set/rm, list, verify, rotate, rewrap, upgrade, review',
    imports: ['src/git/', 'src/run-env/', 'src/identities/', 'src/runtime-store/', 'src/store/', 'src/aws/', CORE],
  },
  {
    path: 'src/git/',
    what: "git itself: running it, the repository root, blobs, what it tracks and ignores, a stage file's and a secret name's past, the secrets folders of a revision",
    imports: [CORE],
  },
  {
    path: 'src/run-env/',
    what: "run's token file: the key of the MAC that marks an env as run's (0600, outside the repository)",
    imports: [CORE],
  },
  {
    path: 'src/identities/',
    what: 'identity kinds, one module each, listed in `registry.ts`',
    imports: [CORE],
  },
  {
    path: 'src/store/',
    what: 'stage files on disk: read with a size cap, lock, atomic write',
    imports: [CORE],
  },
  {
    path: 'src/runtime-store/',
    what: 'runtime-store backends (`s3://`, `ssm://`, `secretsmanager://`), one module each, listed in `backends.ts`, chosen by URL scheme',
    imports: [CORE],
  },
  {
    path: 'src/aws/',
    what: "AWS services that are neither a kind's nor a backend's: SSM and Secrets Manager (import, publish, references: `references.ts`), CloudFormation and Lambda (status)",
    imports: [CORE],
  },
  {
    path: CORE,
    what: 'file format (zod), sealing (Node crypto), names, values, the run-env contract, errors, exit codes',
    imports: [],
  },
];

/** The roots whose files the table covers. */
export const CODE_ROOTS = ['src', 'plugin', 'console-ui', 'action'] as const;

const within = (file: string, target: string) => (target.endsWith('/') ? file.startsWith(target) : file === target);

/** The row a file belongs to (the longest path that holds it). */
export function layerOf(file: string): Layer | undefined {
  return LAYERS.filter((l) => within(file, l.path)).sort((a, b) => b.path.length - a.path.length)[0];
}

export interface Import {
  /** the importing file, relative to the repository */
  from: string;
  /** the imported file, relative to the repository */
  to: string;
}

/** Why an import breaks the table, or undefined when the table allows it. */
export function violation({ from, to }: Import): string | undefined {
  const source = layerOf(from);
  if (!source) return `${from} is in no row of the layering table`;
  if (within(to, source.path)) return undefined;
  if (source.imports.some((allowed) => within(to, allowed))) return undefined;
  return `${from} imports ${to}: ${source.path} may import ${source.imports.join(', ') || 'nothing'}`;
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

/** The relative imports of a source text, as repository paths (.js written for a .ts file is the .ts file). */
export function importsOf(from: string, text: string, exists: (file: string) => boolean): Import[] {
  const out: Import[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(from), m[1]!));
    const candidates = [target, target.replace(/\.js$/, '.ts'), target.replace(/\.js$/, '.tsx')];
    out.push({ from, to: candidates.find(exists) ?? target });
  }
  return out;
}

/** Every code file under the roots, relative to the repository. */
export function codeFiles(root: string): string[] {
  return CODE_ROOTS.flatMap((dir) =>
    fs
      .readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
      .map((f) => `${dir}/${f.split(path.sep).join('/')}`)
      .filter((f) => /\.(ts|tsx|mts|mjs)$/.test(f) && !f.endsWith('.d.ts')),
  );
}

/** The table as docs/contributing.md shows it. */
export function renderLayersTable(): string {
  const code = (p: string) => `\`${p}\``;
  return [
    '| folder | what | may import |',
    '|---|---|---|',
    ...LAYERS.map((l) => `| ${code(l.path)} | ${l.what} | ${l.imports.map(code).join(', ') || 'nothing'} |`),
  ].join('\n');
}
