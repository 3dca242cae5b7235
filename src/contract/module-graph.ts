/**
 * A handler's own module graph: the files reached from the handler module through static imports,
 * re-exports, `import()` and `require()` with a written-out specifier, packages left out (they are not
 * the service's code). Resolution follows what a bundler (serverless-esbuild) does for the service's
 * own files: relative specifiers with or without an extension, `.js` specifiers of `.ts` files, folder
 * `index` files, and tsconfig/jsconfig `paths` and `baseUrl` (with relative `extends`). Every file is
 * read through source-files.ts: regular files inside the repository, of bounded size.
 */
import * as fs from 'node:fs';
import { isBuiltin } from 'node:module';
import * as path from 'node:path';
import { type AstNode, parseFailure, parseModuleCached, parserTools } from './parser.js';
import { readSourceFile, refusal } from './source-files.js';
import type { Unreadable } from './types.js';

const HANDLER_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.tsx', '.jsx'];
/** the order a bundler tries for a specifier without an extension */
const RESOLVE_EXTENSIONS = ['.tsx', '.ts', '.jsx', '.js', '.mjs', '.cjs', '.mts', '.cts', '.json'];
const TYPESCRIPT_OF: Record<string, string[]> = {
  '.js': ['.ts', '.tsx'],
  '.jsx': ['.tsx'],
  '.mjs': ['.mts'],
  '.cjs': ['.cts'],
};
export const SCANNED = /\.(?:[cm]?[jt]s|[jt]sx)$/i;
/** A graph stops growing here: a service's own code is far smaller. */
export const MAX_GRAPH_FILES = 2000;

/** "src/api/handler.main" → "src/api/handler" (the way Lambda's Node.js runtime splits it). */
export function handlerModule(handler: string): string | undefined {
  const slash = handler.lastIndexOf('/');
  const dot = handler.indexOf('.', slash + 1);
  return dot <= slash + 1 ? undefined : handler.slice(0, dot);
}

/** The handler's module file under the service folder, absolute; undefined when none exists. */
export function handlerFile(serviceDir: string, handler: string): string | undefined {
  const modulePath = handlerModule(handler);
  if (modulePath === undefined) return undefined;
  for (const ext of HANDLER_EXTENSIONS) {
    const file = path.resolve(serviceDir, modulePath + ext);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

export interface ModuleGraph {
  /** absolute paths of the service's own JavaScript/TypeScript files in the graph, the entry included */
  files: string[];
  problems: Unreadable[];
}

const isFile = (file: string) => {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
};

/** Anything but a folder: a link to a device or a fifo resolves, and the reader refuses it by name. */
const isEntry = (file: string) => {
  try {
    return !fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
};

/** The file a path names as a bundler resolves it: itself, with an extension, its TypeScript twin, its index. */
export function resolveFile(target: string): string | undefined {
  if (isEntry(target)) return target;
  const ext = path.extname(target);
  for (const twin of TYPESCRIPT_OF[ext] ?? []) {
    const file = target.slice(0, -ext.length) + twin;
    if (isEntry(file)) return file;
  }
  for (const e of RESOLVE_EXTENSIONS) if (isEntry(target + e)) return target + e;
  for (const e of RESOLVE_EXTENSIONS)
    if (isEntry(path.join(target, `index${e}`))) return path.join(target, `index${e}`);
  return undefined;
}

/** JSON with comments and trailing commas, as tsconfig.json allows. */
function parseJsonc(text: string): unknown {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      out += text.slice(start, i + 1);
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else out += c;
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
}

/** The `paths` and `baseUrl` that apply to files under a tsconfig/jsconfig. */
export interface PathAliases {
  /** absolute; `paths` targets are relative to it */
  pathsBase?: string;
  paths: Array<[pattern: string, targets: string[]]>;
  /** absolute baseUrl: bare specifiers are tried under it */
  baseUrl?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function readTsconfig(file: string, root: string, depth = 0): PathAliases | undefined {
  const read = readSourceFile(file, root);
  if (!('text' in read) || depth > 8) return undefined;
  let config: unknown;
  try {
    config = parseJsonc(read.text);
  } catch {
    return undefined;
  }
  if (!isObj(config)) return undefined;
  const dir = path.dirname(file);
  let result: PathAliases = { paths: [] };
  if (typeof config.extends === 'string' && config.extends.startsWith('.')) {
    const parent = path.resolve(dir, config.extends);
    const parentFile = isFile(parent) ? parent : `${parent}.json`;
    result = readTsconfig(parentFile, root, depth + 1) ?? result;
  }
  const options = isObj(config.compilerOptions) ? config.compilerOptions : {};
  if (typeof options.baseUrl === 'string') {
    result.baseUrl = path.resolve(dir, options.baseUrl);
    result.pathsBase = result.baseUrl;
  }
  if (isObj(options.paths)) {
    result.pathsBase = result.baseUrl ?? dir;
    result.paths = Object.entries(options.paths).flatMap(([pattern, targets]) =>
      Array.isArray(targets)
        ? [[pattern, targets.filter((t): t is string => typeof t === 'string')] as [string, string[]]]
        : [],
    );
  }
  return result;
}

/** The nearest tsconfig.json (else jsconfig.json) from a file's folder up to the repository root. */
export function aliasesFor(
  file: string,
  root: string,
  cache: Map<string, PathAliases | undefined>,
): PathAliases | undefined {
  const stop = path.resolve(root);
  for (let dir = path.dirname(path.resolve(file)); ; dir = path.dirname(dir)) {
    if (cache.has(dir)) return cache.get(dir);
    for (const name of ['tsconfig.json', 'jsconfig.json']) {
      const candidate = path.join(dir, name);
      if (isFile(candidate)) {
        const aliases = readTsconfig(candidate, root);
        cache.set(dir, aliases);
        return aliases;
      }
    }
    if (dir === stop || path.dirname(dir) === dir) return undefined;
  }
}

function matchPattern(pattern: string, specifier: string): string | undefined {
  const star = pattern.indexOf('*');
  if (star < 0) return pattern === specifier ? '' : undefined;
  const prefix = pattern.slice(0, star);
  const suffix = pattern.slice(star + 1);
  if (specifier.length < prefix.length + suffix.length) return undefined;
  return specifier.startsWith(prefix) && specifier.endsWith(suffix)
    ? specifier.slice(prefix.length, specifier.length - suffix.length)
    : undefined;
}

export type Resolution = { file: string } | { external: true } | { unresolved: true };

/** Where `specifier`, written in `from`, leads. Packages and built-ins are external. */
export function resolveSpecifier(
  specifier: string,
  from: string,
  root: string,
  cache: Map<string, PathAliases | undefined>,
): Resolution {
  if (specifier.startsWith('.') || path.isAbsolute(specifier)) {
    const file = resolveFile(path.resolve(path.dirname(from), specifier));
    return file ? { file } : { unresolved: true };
  }
  if (isBuiltin(specifier)) return { external: true };
  const aliases = aliasesFor(from, root, cache);
  if (aliases?.pathsBase) {
    const matches = aliases.paths
      .map(([pattern, targets]) => ({ pattern, targets, rest: matchPattern(pattern, specifier) }))
      .filter((m) => m.rest !== undefined)
      .sort((a, b) => b.pattern.indexOf('*') - a.pattern.indexOf('*'));
    for (const m of matches) {
      for (const target of m.targets) {
        const file = resolveFile(path.resolve(aliases.pathsBase, target.replace('*', m.rest!)));
        if (file) return { file };
      }
    }
    if (matches.length > 0) return { unresolved: true };
  }
  if (aliases?.baseUrl) {
    const file = resolveFile(path.resolve(aliases.baseUrl, specifier));
    if (file) return { file };
  }
  return { external: true };
}

const literalText = (node: AstNode | null | undefined): string | undefined => {
  if (!node) return undefined;
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral' && (node.expressions as unknown[]).length === 0) {
    return (node.quasis as Array<{ value: { cooked: string } }>)[0]?.value.cooked;
  }
  return undefined;
};

/** The written-out specifiers a module loads, with their lines (type-only imports left out: they load nothing). */
export async function specifiersOf(
  ast: AstNode,
  lineOf: (n: AstNode) => number,
): Promise<Array<{ specifier: string; line: number }>> {
  const { walk, base } = await parserTools();
  const found: Array<{ specifier: string; line: number }> = [];
  const add = (source: unknown, at: AstNode) => {
    const text = literalText(source as AstNode);
    if (text !== undefined) found.push({ specifier: text, line: lineOf(at) });
  };
  const typeOnly = (n: AstNode) => n.importKind === 'type' || n.exportKind === 'type';
  walk.full(
    ast,
    (n) => {
      const node = n as AstNode;
      switch (node.type) {
        case 'ImportDeclaration':
        case 'ExportNamedDeclaration':
        case 'ExportAllDeclaration':
          if (!typeOnly(node)) add(node.source, node);
          break;
        case 'ImportExpression':
          add(node.source, node);
          break;
        case 'TSExternalModuleReference':
          add(node.expression, node);
          break;
        case 'CallExpression': {
          const callee = node.callee as AstNode;
          if (callee.type === 'Identifier' && callee.name === 'require') add((node.arguments as AstNode[])[0], node);
          break;
        }
      }
    },
    base,
  );
  return found;
}

/**
 * What `entry` (absolute) reaches. `root`: the repository folder the scan may read in. A file that is
 * refused, does not parse or imports what cannot be resolved is named in `problems`; the rest of the
 * graph is still followed.
 */
export async function moduleGraph(
  serviceDir: string,
  entry: string,
  shown: (file: string) => string,
  root: string = serviceDir,
): Promise<ModuleGraph> {
  const cache = new Map<string, PathAliases | undefined>();
  const seen = new Set<string>([entry]);
  const queue = [entry];
  const problems: Unreadable[] = [];
  const failed = new Set<string>();
  while (queue.length > 0) {
    const file = queue.shift()!;
    const read = readSourceFile(file, root);
    if ('refused' in read) {
      problems.push({ file: shown(file), reason: refusal(read.refused) });
      failed.add(file);
      continue;
    }
    let specifiers: Array<{ specifier: string; line: number }>;
    try {
      const parsed = await parseModuleCached(file, read.text);
      specifiers = await specifiersOf(parsed.ast, parsed.lineOf);
    } catch (err) {
      problems.push({ file: shown(file), reason: `cannot be parsed: ${parseFailure(err)}` });
      failed.add(file);
      continue;
    }
    for (const { specifier, line } of specifiers) {
      const to = resolveSpecifier(specifier, file, root, cache);
      if ('unresolved' in to) {
        problems.push({
          file: `${shown(file)}:${line}`,
          reason: `Could not resolve ${JSON.stringify(specifier)}; what it imports is not scanned`,
        });
      } else if ('file' in to && SCANNED.test(to.file) && !to.file.split(path.sep).includes('node_modules')) {
        if (seen.has(to.file)) continue;
        if (seen.size >= MAX_GRAPH_FILES) {
          problems.push({
            file: shown(entry),
            reason: `its module graph has more than ${MAX_GRAPH_FILES} files; the rest is not scanned`,
          });
          queue.length = 0;
          break;
        }
        seen.add(to.file);
        queue.push(to.file);
      }
    }
  }
  return { files: [...seen].filter((f) => !failed.has(f)).sort(), problems };
}
