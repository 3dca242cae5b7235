import * as fs from 'node:fs';
import * as path from 'node:path';
import { SERVERLESS_CONFIGS } from '../core/serverless-configs.js';
import type { FunctionConfig, ServerlessLike, ServiceConfig } from './types.js';

/**
 * What the running framework does that the plugin must follow, told by what it offers, never by its
 * version: osls reports 4.x too. Serverless v4's conventions are read from its public source
 * (notes/serverless-v4.md); the tests cite the file and line of each.
 */
export interface FrameworkFeatures {
  /** the service's config file: v3 and osls pass it with its extension, v4 without (`serverless`) */
  configFile: string | undefined;
  /** v4's built-in esbuild is loaded: it bundles each TypeScript handler, or every Node.js one under `build.esbuild` */
  builtInEsbuild: boolean;
  /** v4's shell saves the resolved service and the compiled template to .serverless/meta.json after each command */
  savesMeta: boolean;
}

/** The config file as written: the name the framework gave, else (v4: no extension) the first config that exists. */
export function configFileOf(serviceDir: string, configurationFilename: unknown): string | undefined {
  if (typeof configurationFilename !== 'string' || configurationFilename.length === 0) return undefined;
  const given = path.resolve(serviceDir, configurationFilename);
  if (path.extname(configurationFilename) !== '' && fs.existsSync(given)) return given;
  const stem = path.basename(configurationFilename);
  const probed = SERVERLESS_CONFIGS.map((name) => name.replace(/^serverless/, stem))
    .map((name) => path.join(path.dirname(given), name))
    .find((file) => fs.existsSync(file));
  return probed ?? given;
}

interface PluginLike {
  hooks?: Record<string, unknown>;
}

/** v4's esbuild plugin is the one that offers the `esbuild-package` lifecycle (serverless-esbuild does not). */
function hasBuiltInEsbuild(serverless: ServerlessLike): boolean {
  const plugins = (serverless as { pluginManager?: { plugins?: unknown } }).pluginManager?.plugins;
  if (!Array.isArray(plugins)) return false;
  return plugins.some((p: PluginLike | null) => p?.hooks !== undefined && 'before:esbuild-package' in p.hooks);
}

/** v4's shell hands the framework its credential providers; v3 and osls have no such property. */
function savesMeta(serverless: ServerlessLike): boolean {
  return 'credentialProviders' in serverless;
}

export function frameworkFeatures(serverless: ServerlessLike, serviceDir: string): FrameworkFeatures {
  return {
    configFile: configFileOf(serviceDir, serverless.configurationFilename),
    builtInEsbuild: hasBuiltInEsbuild(serverless),
    savesMeta: savesMeta(serverless),
  };
}

const TYPESCRIPT = ['.ts', '.cts', '.mts', '.tsx'];
const HANDLER_EXTENSIONS = ['.js', '.ts', '.cjs', '.mjs', '.cts', '.mts', '.jsx', '.tsx'];

/**
 * Whether v4's built-in esbuild bundles this function, by its rules: `build.esbuild: false` never; a
 * function's own `build` decides for it; else the service's `build` (`esbuild`, or `{ esbuild: ... }`);
 * else only a TypeScript handler. A prebuilt artifact or a non-Node.js runtime is never bundled.
 */
export function builtInEsbuildBundles(service: ServiceConfig, serviceDir: string, fn: FunctionConfig): boolean {
  const build = (service as { build?: unknown }).build;
  if ((build as { esbuild?: unknown } | undefined)?.esbuild === false) return false;
  if (typeof fn.handler !== 'string') return false;
  if ((fn.package as { artifact?: unknown } | undefined)?.artifact !== undefined) return false;
  const runtime = fn.runtime ?? service.provider.runtime;
  if (typeof runtime !== 'string' || !runtime.startsWith('nodejs')) return false;
  if (fn.build !== undefined && fn.build !== null && fn.build !== '') return fn.build === 'esbuild';
  if (build === 'esbuild' || (typeof build === 'object' && build !== null && (build as { esbuild?: unknown }).esbuild))
    return true;
  if (build !== undefined && build !== null) return false;
  const modulePath = fn.handler.slice(0, fn.handler.lastIndexOf('.'));
  const extension = HANDLER_EXTENSIONS.find((ext) => fs.existsSync(path.join(serviceDir, modulePath + ext)));
  return extension !== undefined && TYPESCRIPT.includes(extension);
}
