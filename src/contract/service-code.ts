/** The names each function of a service reads in its own code, with file and line. */
import * as path from 'node:path';
import { findGitRoot } from '../git/root.js';
import { codeReads, type ReadHow } from './code-reads.js';
import { handlerFile, moduleGraph } from './module-graph.js';
import { parseFailure, parseModuleCached } from './parser.js';
import type { ServiceModel } from './service-model.js';
import { readSourceFile, refusal } from './source-files.js';
import type { Unreadable } from './types.js';

export interface LocatedRead {
  name: string;
  /** absolute file */
  file: string;
  line: number;
  how: ReadHow;
}

export interface ServiceCode {
  /** function name → its reads, sorted by file and line */
  reads: Record<string, LocatedRead[]>;
  unreadable: Unreadable[];
}

/** Parsed files shared by the functions (and services) of one scan, so each file is read once. */
export type FileCache = Map<string, Promise<LocatedRead[] | Unreadable>>;

function readsOfFile(
  file: string,
  root: string,
  shown: (file: string) => string,
  cache: FileCache,
): Promise<LocatedRead[] | Unreadable> {
  let pending = cache.get(file);
  if (!pending) {
    pending = (async () => {
      const read = readSourceFile(file, root);
      if ('refused' in read) return { file: shown(file), reason: refusal(read.refused) };
      try {
        const reads = await codeReads(await parseModuleCached(file, read.text));
        return reads.map((r) => ({ ...r, file }));
      } catch (err) {
        return { file: shown(file), reason: `cannot be parsed: ${parseFailure(err)}` };
      }
    })();
    cache.set(file, pending);
  }
  return pending;
}

/** Scans the module graph of every function's handler. Unreadable files are reported, never fatal. */
export async function scanServiceCode(
  model: ServiceModel,
  shown: (file: string) => string,
  cache: FileCache = new Map(),
): Promise<ServiceCode> {
  const reads: Record<string, LocatedRead[]> = {};
  const unreadable: Unreadable[] = [];
  const root = repositoryRoot(model);
  await Promise.all(
    model.functions.map(async (fn) => {
      reads[fn.name] = [];
      if (fn.handler === undefined) return;
      const entry = handlerFile(model.dir, fn.handler);
      if (!entry) {
        unreadable.push({
          file: shown(model.configFile) + (fn.line ? `:${fn.line}` : ''),
          reason:
            `function ${fn.name}: no module file for handler ${JSON.stringify(fn.handler)} ` +
            '(.js, .mjs, .cjs, .ts, ...); its code is not scanned',
        });
        return;
      }
      const graph = await moduleGraph(model.dir, entry, shown, root);
      unreadable.push(...graph.problems);
      for (const file of graph.files) {
        const result = await readsOfFile(file, root, shown, cache);
        if (Array.isArray(result)) reads[fn.name]!.push(...result);
        else unreadable.push(result);
      }
      reads[fn.name]!.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.name.localeCompare(b.name));
    }),
  );
  return { reads, unreadable: dedupe(unreadable) };
}

/** The folder a service's scan may read files in: the app's search root, else the git root, else the service. */
export function repositoryRoot(model: Pick<ServiceModel, 'dir' | 'root'>): string {
  return path.resolve(model.root ?? findGitRoot(model.dir) ?? model.dir);
}

export function dedupe(list: Unreadable[]): Unreadable[] {
  const seen = new Map<string, Unreadable>();
  for (const u of list) seen.set(`${u.file}\n${u.reason}`, u);
  return [...seen.values()].sort((a, b) => a.file.localeCompare(b.file) || a.reason.localeCompare(b.reason));
}
