/**
 * No stage file, entry or local key file in a function package: the secrets folder is excluded from
 * packaging (patterns the user's cannot override), and after packaging every zip is opened and refused
 * when it still holds one (a copy, a link, a bundler's inlined import). A package is readable by the
 * function's role and whoever reads the deployment bucket; with the stage file and a role that can unwrap
 * the stage key (runtime mode), a function narrowed to `secrets: [ONE]` could open every secret.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { StageSecretsError } from '../core/errors.js';
import type { StageFile } from '../core/format.js';
import { RUNTIME_BUNDLE_FORMAT } from '../core/runtime-bundle.js';
import { stagesIn } from '../stages/locate.js';
import { RUNTIME_DIR } from './runtime-mode.js';
import { SEALED_FILE } from './runtime-wrapper.js';
import type { FunctionConfig, ServiceConfig } from './types.js';
import { appendPatternsLast } from './package-patterns.js';
import { readZipEntries, type ZipEntry } from './zip-entries.js';
import { kindOf, wrappedKeyOf } from '../identities/index.js';

/** What the check after packaging needs to know of the build. */
export interface PackageGuard {
  /** the secrets folder the plugin located (absolute), if any */
  secretsDir?: string;
  /** the stage file read for this build: its entries are recognised in any package by their nonces (one per value) */
  stageFile?: StageFile;
  /** runtime mode: function → the names sealed into its package (the only entries its zip may carry) */
  packaged?: Record<string, string[]>;
}

interface PackageConfig {
  patterns?: unknown;
  individually?: unknown;
  artifact?: unknown;
}

/** The stage file cap of the reader (store/): a larger entry cannot be a stage file the tool would open. */
const MAX_INSPECTED = 64 * 1024 * 1024;
const LOCAL_KEY_PREFIX = 'stage-secrets-key-1:';
const KEY_FILE = /(^|\/)stage-secrets\/keys\/[^/]+\.key$/;

const toPosix = (p: string): string => p.split(path.sep).join('/');

/** The secrets folder relative to the service, `/`-separated; undefined when it is outside the service folder. */
function relativeSecretsDir(serviceDir: string, secretsDir: string): string | undefined {
  const rel = path.relative(path.resolve(serviceDir), path.resolve(secretsDir));
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return toPosix(rel);
}

/**
 * Globs of the stage files, twice: the framework merges service and function patterns with a union that
 * drops a repeated string, so the function-level copy must be spelled differently to stay last.
 */
function secretsGlobs(serviceDir: string, secretsDir: string): { service: string[]; fn: string[] } | undefined {
  const rel = relativeSecretsDir(serviceDir, secretsDir);
  if (rel === undefined) return undefined;
  if (rel !== '') return { service: [`${rel}/**`], fn: [`${rel}/**/*`] };
  // the service folder itself holds the stage files (dir: .): exclude them by stage, not the whole service
  const stages = stagesIn(secretsDir) ?? [];
  return {
    service: stages.flatMap((s) => [`${s}.json`, `${s}/**`]),
    fn: stages.flatMap((s) => [`${s}.jso[n]`, `${s}/**/*`]),
  };
}

function packagedAlone(service: ServiceConfig, fn: FunctionConfig): boolean {
  const pkg = fn.package as PackageConfig | undefined;
  const servicePkg = (service as { package?: PackageConfig }).package;
  return servicePkg?.individually === true || pkg?.individually === true || Array.isArray(pkg?.patterns);
}

/**
 * Excludes the secrets folder from every package: `!<folder>/**` last in the service's patterns and in
 * those of each function packaged on its own. Run after everything else that adds patterns.
 */
export function excludeSecretsFolder(service: ServiceConfig, serviceDir: string, secretsDir: string | undefined): void {
  if (secretsDir === undefined) return;
  const globs = secretsGlobs(serviceDir, secretsDir);
  if (!globs) return;
  const exclude = (list: string[]) => list.map((g) => `!${g}`);
  appendPatternsLast(service as { package?: unknown }, exclude(globs.service));
  for (const fn of Object.values(service.functions ?? {})) {
    if (fn && packagedAlone(service, fn)) appendPatternsLast(fn as { package?: unknown }, exclude(globs.fn));
  }
}

/** zip (absolute) → the functions it is the package of, from the artifacts the packagers recorded. */
function functionsByZip(service: ServiceConfig, serviceDir: string): Map<string, string[]> {
  const servicePkg = (service as { package?: PackageConfig }).package;
  const serviceZip =
    typeof servicePkg?.artifact === 'string' ? servicePkg.artifact : path.join('.serverless', `${service.service}.zip`);
  const byZip = new Map<string, string[]>();
  for (const [name, fn] of Object.entries(service.functions ?? {})) {
    if (!fn) continue;
    const own = (fn.package as PackageConfig | undefined)?.artifact;
    const zip = path.resolve(serviceDir, typeof own === 'string' ? own : serviceZip);
    byZip.set(zip, [...(byZip.get(zip) ?? []), name]);
  }
  return byZip;
}

/** The zips to check: every .serverless/*.zip, and every artifact a function or the service names. */
function packagesToCheck(serviceDir: string, byZip: Map<string, string[]>, only?: string[]): string[] {
  const out = path.join(serviceDir, '.serverless');
  const listed = fs.existsSync(out) ? fs.readdirSync(out) : [];
  const found = listed.filter((f) => f.endsWith('.zip')).map((f) => path.join(out, f));
  const zips = only
    ? [...byZip].filter(([, fns]) => fns.some((f) => only.includes(f))).map(([zip]) => zip)
    : [...found, ...byZip.keys()];
  return [...new Set(zips)].filter((zip) => fs.existsSync(zip)).sort();
}

interface Finding {
  entry: string;
  what: string;
}

interface ZipContext {
  /** names of the secrets the functions of this zip receive */
  allowed: Set<string>;
  /** functions this zip is the package of */
  functions: string[];
}

/** What a JSON entry is, when it is one of ours: a stage file, an entry, or a runtime-mode sealed file. */
function jsonFinding(entry: ZipEntry, bytes: Buffer, ctx: ZipContext): string | undefined {
  if (!bytes.includes('"publicKey"') && !bytes.includes('"epk"')) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null) return undefined;
  const o = doc as Record<string, unknown>;
  if (o.format === RUNTIME_BUNDLE_FORMAT) {
    const fn = typeof o.function === 'string' ? o.function : '';
    const names = Object.keys((o.secrets as Record<string, unknown> | undefined) ?? {});
    const own = entry.name === `${RUNTIME_DIR}/${fn}/${SEALED_FILE}` && names.every((n) => ctx.allowed.has(n));
    if (own) return undefined;
    const functions = ctx.functions.join(', ') || 'none';
    return (
      `the runtime-mode sealed file of function ${fn || '(unknown)'}, which this package's functions ` +
      `(${functions}) do not receive`
    );
  }
  if (typeof o.publicKey === 'string' && Array.isArray(o.identities)) return 'a stage file';
  if (typeof o.epk === 'string' && typeof o.nonce === 'string' && typeof o.ct === 'string') return 'a stage file entry';
  return undefined;
}

const NONCE_CHARS = 16;
const isQuote = (c: number): boolean => c === 0x22 || c === 0x27 || c === 0x60; // " ' `

/**
 * The names whose nonce stands quoted in `bytes` (a JSON copy, or a bundler's inlined string): one pass
 * over the bytes whatever the number of secrets. A search per nonce took 2.7 s on 40 MB with 100 secrets;
 * this takes 0.1 s. Base64 has no quote characters, so a quoted nonce is a quote, 16 characters, the quote.
 */
function quotedNonces(bytes: Buffer, names: Map<string, string>): string[] {
  if (names.size === 0) return [];
  const found = new Set<string>();
  for (let i = 0; i + NONCE_CHARS + 1 < bytes.length; i++) {
    const c = bytes[i]!;
    if (!isQuote(c) || bytes[i + NONCE_CHARS + 1] !== c) continue;
    const name = names.get(bytes.toString('latin1', i + 1, i + 1 + NONCE_CHARS));
    if (name !== undefined) found.add(name);
  }
  return [...found].sort();
}

/**
 * The wrapped stage keys of the stage file's identities as its header holds them; `localOnly`: not those of
 * kinds a runtime-mode package carries on purpose (lambdaRuntime).
 */
function wrappedKeys(guard: PackageGuard, localOnly: boolean): string[] {
  return (guard.stageFile?.identities ?? []).filter((r) => !(localOnly && kindOf(r).lambdaRuntime)).map(wrappedKeyOf);
}

function inspectEntry(entry: ZipEntry, ctx: ZipContext, guard: PackageGuard, rel?: string): string | undefined {
  if (entry.name.endsWith('/')) return undefined;
  if (rel && (entry.name === rel || entry.name.startsWith(`${rel}/`))) return `a file of the secrets folder ${rel}/`;
  if (KEY_FILE.test(entry.name)) return 'a local key file';
  if (entry.size > MAX_INSPECTED) return undefined;
  const bytes = entry.read();
  if (bytes.subarray(0, 64).toString('latin1').trimStart().startsWith(LOCAL_KEY_PREFIX)) return 'a local key';
  const json = jsonFinding(entry, bytes, ctx);
  if (json) return json;
  // a v3 header inlined by a bundler: its wrapped stage key. A runtime-mode sealed file carries the aws-kms
  // ones (what opens it in Lambda), never one wrapped by a local key.
  const bundled = bytes.includes(RUNTIME_BUNDLE_FORMAT);
  if (wrappedKeys(guard, bundled).some((k) => bytes.includes(k))) return 'the stage header (its wrapped stage key)';
  const withheld = new Map<string, string>();
  for (const [name, sealed] of Object.entries(guard.stageFile?.secrets ?? {})) {
    if (!ctx.allowed.has(name)) withheld.set(sealed.nonce, name);
  }
  const foreign = quotedNonces(bytes, withheld);
  if (foreign.length === 0) return undefined;
  return `the sealed ${foreign.length === 1 ? 'entry' : 'entries'} ${foreign.join(', ')} of the stage file`;
}

/**
 * Opens every package made by this build and refuses (removing it) one that holds a stage file, an
 * entry of one, a local key, or a runtime-mode sealed file with names its functions do not receive.
 * `only`: just the packages of these functions (deploy function -f X).
 */
export function checkPackages(service: ServiceConfig, serviceDir: string, guard: PackageGuard, only?: string[]): void {
  const byZip = functionsByZip(service, serviceDir);
  const rel = (guard.secretsDir && relativeSecretsDir(serviceDir, guard.secretsDir)) || undefined;
  const problems: string[] = [];
  for (const zip of packagesToCheck(serviceDir, byZip, only)) {
    const functions = byZip.get(zip) ?? [];
    const allowed = new Set(functions.flatMap((f) => guard.packaged?.[f] ?? []));
    const findings: Finding[] = [];
    for (const entry of readZipEntries(zip)) {
      const what = inspectEntry(entry, { allowed, functions }, guard, rel);
      if (what) findings.push({ entry: entry.name, what });
    }
    if (findings.length === 0) continue;
    fs.rmSync(zip, { force: true });
    const shown = toPosix(path.relative(serviceDir, zip));
    problems.push(`${shown} holds ${findings.map((f) => `${f.entry} (${f.what})`).join(', ')}`);
  }
  if (problems.length === 0) return;
  throw new StageSecretsError(
    'USAGE',
    `a function package must not carry stage files or keys (the function's role and readers of the deployment ` +
      `bucket could take them, and with the stage key every secret of the stage), but ${problems.join('; ')}. ` +
      `Those packages were removed. Remove the copies and links from the service folder, and the stage file from ` +
      `what the code imports or the bundler copies; package.patterns cannot bring them back` +
      `${rel ? ` (the plugin excludes ${rel}/**)` : ''}. ` +
      `Runtime mode packages each function's own sealed entries for the client.`,
  );
}
