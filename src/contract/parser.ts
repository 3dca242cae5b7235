/**
 * JavaScript and TypeScript parsing for the contract scan: acorn, and for TypeScript and JSX acorn with
 * the @sveltejs/acorn-typescript plugin (types are parsed, never run or transformed, so every node keeps
 * its own line). Pure JavaScript that ships inside this package and inside the GitHub Action's bundle:
 * the scan never loads a parser (or anything else) from the project it reads. They load only when a scan
 * runs: `run` and the build's decrypt path never load them.
 */
import * as path from 'node:path';

type Acorn = typeof import('acorn');
type AcornWalk = typeof import('acorn-walk');

export interface ParserTools {
  acorn: Acorn;
  walk: AcornWalk;
  /** acorn-walk's base visitors, plus one for every node type they do not know (TypeScript's): its child nodes */
  base: AcornWalk['base'];
  typescript: { plain: typeof import('acorn').Parser; jsx: typeof import('acorn').Parser };
}

let tools: Promise<ParserTools> | undefined;

type Walker = (node: unknown, state: unknown, override?: string) => void;

const NOT_CHILDREN = new Set(['type', 'loc', 'start', 'end', 'range']);

const isNode = (v: unknown): v is { type: string } =>
  typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';

/** Visits the child nodes of a node type acorn-walk does not know (TSAsExpression, TSNonNullExpression...). */
function childrenOf(node: Record<string, unknown>, state: unknown, c: Walker): void {
  for (const [key, value] of Object.entries(node)) {
    if (NOT_CHILDREN.has(key)) continue;
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) c(item, state);
    } else if (isNode(value)) c(value, state);
  }
}

/** acorn, acorn-walk and the TypeScript plugin, imported on first use. */
export function parserTools(): Promise<ParserTools> {
  tools ??= Promise.all([import('acorn'), import('acorn-walk'), import('@sveltejs/acorn-typescript')]).then(
    ([acorn, walk, ts]) => {
      // known types are own properties (fast); only a miss reaches the prototype, which answers childrenOf
      const fallback = new Proxy({}, { get: () => childrenOf });
      const base = Object.setPrototypeOf({ ...walk.base }, fallback) as AcornWalk['base'];
      return {
        acorn,
        walk,
        base,
        typescript: {
          plain: acorn.Parser.extend(ts.tsPlugin()),
          jsx: acorn.Parser.extend(ts.tsPlugin({ jsx: true })),
        },
      };
    },
  );
  return tools;
}

export type AstNode = import('acorn').Node & Record<string, unknown>;

/** TypeScript's `x as T`, `x!`, `<T>x`, `x satisfies T` are `x` (and `(x)`, `x?.`). */
const EXPRESSION_WRAPPERS = new Set([
  'TSAsExpression',
  'TSSatisfiesExpression',
  'TSNonNullExpression',
  'TSTypeAssertion',
  'ParenthesizedExpression',
  'ChainExpression',
]);

/** The expression inside any such wrappers. */
export function unwrapExpression(node: AstNode): AstNode {
  let n = node;
  while (EXPRESSION_WRAPPERS.has(n.type)) n = n.expression as AstNode;
  return n;
}

export interface ParsedModule {
  ast: AstNode;
  /** the source line (1-based) of a node of `ast` */
  lineOf(node: AstNode): number;
}

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts']);

const OPTIONS = {
  ecmaVersion: 'latest',
  locations: true,
  allowHashBang: true,
  allowAwaitOutsideFunction: true,
  allowReturnOutsideFunction: true,
  allowImportExportEverywhere: true,
} as const;

type AcornParser = { parse(code: string, options: import('acorn').Options): import('acorn').Node };

function parseWith(parser: AcornParser, code: string): AstNode {
  try {
    return parser.parse(code, { ...OPTIONS, sourceType: 'module' }) as unknown as AstNode;
  } catch (moduleError) {
    // sloppy-mode CommonJS (with, octal escapes...) parses as a script only
    try {
      return parser.parse(code, { ...OPTIONS, sourceType: 'script' }) as unknown as AstNode;
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
  const { acorn, typescript } = await parserTools();
  const ext = path.extname(file).toLowerCase();
  if (TYPESCRIPT.has(ext)) return { ast: parseWith(typescript.plain, text), lineOf: startLine };
  if (ext === '.tsx') return { ast: parseWith(typescript.jsx, text), lineOf: startLine };
  try {
    return { ast: parseWith(acorn.Parser, text), lineOf: startLine };
  } catch (err) {
    if (ext !== '.jsx' && !/<[A-Za-z>]/.test(text)) throw err;
    // JSX in a .js file
    return { ast: parseWith(typescript.jsx, text), lineOf: startLine };
  }
}

const parsedFiles = new Map<string, { text: string; parsed: Promise<ParsedModule> }>();
const MAX_CACHED = 5000;

/**
 * parseModule, once per file text: the module graph and the code scan read the same files. The text is
 * compared, so a file that changed (the console runs long) is parsed again.
 */
export function parseModuleCached(file: string, text: string): Promise<ParsedModule> {
  const hit = parsedFiles.get(file);
  if (hit && hit.text === text) return hit.parsed;
  if (parsedFiles.size >= MAX_CACHED) parsedFiles.clear();
  const parsed = parseModule(file, text);
  parsedFiles.set(file, { text, parsed });
  parsed.catch(() => parsedFiles.delete(file));
  return parsed;
}

/** The first line of a parser failure, without the file's text. */
export function parseFailure(err: unknown): string {
  return ((err as Error)?.message ?? String(err)).split('\n')[0]!;
}
