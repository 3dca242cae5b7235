/**
 * A handler's own module graph: the files esbuild's bundler reaches from the handler module, packages
 * left out (they are not the service's code). Resolution is the bundler's (relative imports, require,
 * tsconfig paths, `.js` specifiers of `.ts` files), so the scan follows what serverless-esbuild would.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseFailure, parserTools } from './parser.js';
import type { Unreadable } from './types.js';

const HANDLER_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.tsx', '.jsx'];
const SCANNED = /\.(?:[cm]?[jt]s|[jt]sx)$/i;

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

/** What the bundler reached from `entry` (absolute). A graph it cannot build leaves the entry alone, and why. */
export async function moduleGraph(
  serviceDir: string,
  entry: string,
  shown: (file: string) => string,
): Promise<ModuleGraph> {
  const { esbuild } = await parserTools();
  try {
    const result = await esbuild.build({
      entryPoints: [entry],
      absWorkingDir: path.resolve(serviceDir),
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      target: 'esnext',
      packages: 'external',
      logLevel: 'silent',
      // files of other kinds a handler may import: not code, nothing to scan
      loader: { '.node': 'empty', '.html': 'empty', '.css': 'empty', '.txt': 'empty', '.md': 'empty' },
    });
    const files = Object.keys(result.metafile.inputs)
      .filter((input) => SCANNED.test(input) && !input.includes('node_modules/') && !input.includes(':'))
      .map((input) => path.resolve(serviceDir, input))
      .sort();
    return { files, problems: [] };
  } catch (err) {
    const errors = (err as { errors?: Array<{ text: string; location?: { file: string; line: number } | null }> })
      .errors;
    const problems: Unreadable[] = Array.isArray(errors)
      ? errors.map((e) => ({
          file: e.location ? `${shown(path.resolve(serviceDir, e.location.file))}:${e.location.line}` : shown(entry),
          reason: `${e.text}; its module graph is not followed, only ${shown(entry)} is scanned`,
        }))
      : [{ file: shown(entry), reason: parseFailure(err) }];
    return { files: [entry], problems };
  }
}
