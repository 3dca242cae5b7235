/**
 * JavaScript and TypeScript parsing for the contract scan: acorn parses JavaScript (with exact lines);
 * TypeScript and JSX go through esbuild's transform first, and its source map gives the lines back.
 * Both load only when a scan runs: `run` and the build's decrypt path never load them.
 */
import * as path from 'node:path';
import { createRequire, SourceMap } from 'node:module';
import { pathToFileURL } from 'node:url';
import { StageSecretsError } from '../core/errors.js';

type Acorn = typeof import('acorn');
type AcornWalk = typeof import('acorn-walk');
type Esbuild = typeof import('esbuild');

export interface ParserTools {
  acorn: Acorn;
  walk: AcornWalk;
  esbuild: Esbuild;
}

let tools: Promise<ParserTools> | undefined;

/**
 * esbuild beside this module, else the project's own (the folder the command runs in): the GitHub
 * Action's bundle carries acorn but cannot carry esbuild's native binary, and a project that installed
 * stage-secrets has esbuild among its dependencies.
 */
async function importEsbuild(): Promise<Esbuild> {
  try {
    return await import('esbuild');
  } catch {
    try {
      const resolved = createRequire(path.join(process.cwd(), 'package.json')).resolve('esbuild');
      return (await import(pathToFileURL(resolved).href)) as Esbuild;
    } catch {
      throw new StageSecretsError(
        'IO',
        'the contract check needs esbuild (a dependency of stage-secrets) and found none here or in the project: ' +
          "install the project's dependencies first (npm ci).",
      );
    }
  }
}

/** acorn, acorn-walk and esbuild, imported on first use. */
export function parserTools(): Promise<ParserTools> {
  tools ??= Promise.all([import('acorn'), import('acorn-walk'), importEsbuild()]).then(([acorn, walk, esbuild]) => ({
    acorn,
    walk,
    esbuild,
  }));
  return tools;
}

export type AstNode = import('acorn').Node & Record<string, unknown>;

export interface ParsedModule {
  ast: AstNode;
  /** the source line (1-based) of a node of `ast` */
  lineOf(node: AstNode): number;
}

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx']);
const LOADERS: Record<string, 'ts' | 'tsx' | 'jsx'> = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx' };

function acornParse(acorn: Acorn, code: string): AstNode {
  const base = {
    ecmaVersion: 'latest',
    locations: true,
    allowHashBang: true,
    allowAwaitOutsideFunction: true,
    allowReturnOutsideFunction: true,
    allowImportExportEverywhere: true,
  } as const;
  try {
    return acorn.parse(code, { ...base, sourceType: 'module' }) as unknown as AstNode;
  } catch (moduleError) {
    // sloppy-mode CommonJS (with, octal escapes...) parses as a script only
    try {
      return acorn.parse(code, { ...base, sourceType: 'script' }) as unknown as AstNode;
    } catch {
      throw moduleError;
    }
  }
}

function startLine(node: AstNode): number {
  return (node.loc as { start: { line: number } } | undefined)?.start.line ?? 0;
}

/** Parses one file's text. Throws an Error whose message says where the syntax broke. */
export async function parseModule(file: string, text: string): Promise<ParsedModule> {
  const { acorn, esbuild } = await parserTools();
  const ext = path.extname(file).toLowerCase();
  if (!TYPESCRIPT.has(ext)) {
    try {
      const ast = acornParse(acorn, text);
      return { ast, lineOf: startLine };
    } catch (err) {
      if (ext !== '.jsx' && !/<[A-Za-z>]/.test(text)) throw err;
      // JSX in a .js file: esbuild turns it into calls first
    }
  }
  const out = await esbuild.transform(text, {
    loader: LOADERS[ext] ?? 'jsx',
    sourcemap: 'external',
    sourcefile: path.basename(file),
    logLevel: 'silent',
  });
  const ast = acornParse(acorn, out.code);
  const map = new SourceMap(JSON.parse(out.map) as ConstructorParameters<typeof SourceMap>[0]);
  return {
    ast,
    lineOf(node) {
      const loc = node.loc as { start: { line: number; column: number } } | undefined;
      if (!loc) return 0;
      const entry = map.findEntry(loc.start.line - 1, loc.start.column) as { originalLine?: number };
      return entry.originalLine === undefined ? 0 : entry.originalLine + 1;
    },
  };
}

/** The first line of an esbuild or acorn failure, without the file's text. */
export function parseFailure(err: unknown): string {
  const errors = (err as { errors?: Array<{ text: string; location?: { line: number } | null }> }).errors;
  if (Array.isArray(errors) && errors[0]) {
    const first = errors[0];
    return first.location ? `${first.text} (line ${first.location.line})` : first.text;
  }
  return ((err as Error)?.message ?? String(err)).split('\n')[0]!;
}
