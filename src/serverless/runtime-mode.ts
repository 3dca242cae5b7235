import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StageSecretsError } from '../core/errors.js';
import type { StageFile } from '../core/format.js';
import type { IdentityRecord } from '../core/format.js';
import { kindOf, lambdaGrant, lambdaKinds } from '../identities/index.js';
import type { Approvals } from '../core/approval.js';
import { RUNTIME_BUNDLE_FORMAT, type RuntimeBundle, withBundleTag } from '../core/runtime-bundle.js';
import type { Logger } from '../core/log.js';
import {
  stageFolder,
  runtimeStoreBackendOf,
  RUNTIME_STORE_ENV,
  type RuntimeStoreLocation,
} from '../stages/runtime-store.js';
import type { ReferenceTarget } from '../aws/references.js';
import {
  addToServiceRole,
  iamUnsafeCharacter,
  referenceStatements,
  runtimeStoreStatements,
  type IamStatement,
  type RuntimeStoreAccess,
} from './runtime-iam.js';
import {
  BUNDLED_RUNTIME_FILE,
  bundledWrapper,
  nativeWrapper,
  RUNTIME_FILE,
  SEALED_FILE,
  WRAPPER_EXPORT,
  type WrapperInput,
} from './runtime-wrapper.js';
import { appendPatternsLast } from './package-patterns.js';
import type { FunctionConfig, ServiceConfig } from './types.js';
import { builtInEsbuildBundles } from './framework.js';

/** Folder in the service where the per-function files are written; removed after packaging. */
export const RUNTIME_DIR = '.stage-secrets-runtime';

/** The runtime bundles built by `npm run build` (scripts/bundle-runtime.mjs), next to dist/src: CommonJS, and an ES module for serverless-esbuild. */
const RUNTIME_BUNDLE = fileURLToPath(new URL(`../../runtime/${RUNTIME_FILE}`, import.meta.url));
const BUNDLED_RUNTIME_BUNDLE = fileURLToPath(new URL(`../../runtime/${BUNDLED_RUNTIME_FILE}`, import.meta.url));

export interface RuntimeModeInput {
  service: ServiceConfig;
  /** the stage being deployed */
  stage: string;
  serviceDir: string;
  /** the stage file the build loaded (a preview stage's fallback included) */
  file: StageFile;
  /**
   * The stage's approvals when the build opened `file` with its key and every name verified (`open`: under a
   * verified open policy): each bundle then carries a bundle approval tag. Absent (run's env): no tag.
   */
  keyHolder?: { approvals: Approvals; open: boolean };
  functions: Record<string, FunctionConfig>;
  /** function → names of the secrets it receives (the selection env mode uses) */
  received: Record<string, string[]>;
  /** custom.stageSecrets.store: functions that receive secrets get it as STAGE_SECRETS_STORE, their role its statements */
  store?: RuntimeStoreLocation;
  /** the stage's reference entries, name → target (runtime-iam.ts referenceTargets): their functions' role may read exactly those */
  references?: ReadonlyMap<string, ReferenceTarget>;
  /** custom.stageSecrets.referenceKeys: the customer managed KMS keys (ARNs) the referenced targets are encrypted under */
  referenceKeys?: readonly string[];
  /** Serverless v4's built-in esbuild is loaded (framework.ts): the functions it bundles get the bundled wrapper */
  builtInEsbuild?: boolean;
  log: Logger;
}

/** Who turns a function's code into its package: the framework's zipper, serverless-esbuild, or v4's own esbuild. */
export type Packager = 'framework' | 'serverless-esbuild' | 'built-in esbuild';

export interface RuntimeModeResult {
  /** functions whose handler is now the wrapper */
  wrapped: string[];
  packager: Packager;
  /** true when the plugin turned on package.individually so no function carries another's entries */
  madeIndividual: boolean;
  /** with a store: s3://BUCKET/PREFIX/<app>/<stage>/, the one folder the functions read (and update, with storeAccess read-write) */
  storeFolder?: string;
  /** with a store: read only when the deployed stage uses a fallback stage's file */
  storeAccess?: RuntimeStoreAccess;
  /** the stage of the stage file used (a preview stage's fallback), whose store folder is used too */
  fileStage: string;
  /** what the functions' role may do to open their secrets, in words: "kms:Decrypt" */
  opensWith: string;
  /** with a store: what the role may do in its folder, in words (the backend's) */
  storeGrant?: string;
  /** the reference targets the wrapped functions resolve at cold start (their role may read exactly these) */
  references?: ReferenceTarget[];
}

/**
 * The wrapper's file name per packager. v4's esbuild bundles, without a `build` setting, only handlers
 * written in TypeScript: the wrapper of a function it bundles is a .ts file, so it stays bundled.
 */
const WRAPPER_FILES: Record<Packager, string> = {
  framework: 'wrapper.mjs',
  'serverless-esbuild': 'wrapper.js',
  'built-in esbuild': 'wrapper.ts',
};

/**
 * serverless-esbuild bundles every function; v4's esbuild those its rules pick (framework.ts). A service
 * where v4 bundles some wrapped functions and zips others as they are is refused: the two need different
 * wrappers and package patterns, and the zipped ones would be TypeScript Lambda cannot load.
 */
function packagerOf(input: RuntimeModeInput): Packager {
  if (pluginNames(input.service).includes('serverless-esbuild')) return 'serverless-esbuild';
  if (!input.builtInEsbuild) return 'framework';
  const wrapped = Object.keys(input.functions).filter((n) => (input.received[n] ?? []).length > 0);
  const bundled = wrapped.filter((n) => builtInEsbuildBundles(input.service, input.serviceDir, input.functions[n]!));
  if (bundled.length === 0) return 'framework';
  if (bundled.length < wrapped.length) {
    const zipped = wrapped.filter((n) => !bundled.includes(n));
    throw usage(
      `custom.stageSecrets.mode is runtime, and the framework's esbuild bundles function ${bundled.join(', ')} (TypeScript handlers) but not ${zipped.join(', ')}. ` +
        `Runtime mode needs one packager for every function with secrets: set build: { esbuild: true } (every Node.js function bundled), or write all of them in TypeScript.`,
    );
  }
  return 'built-in esbuild';
}

/** serverless' function name rule (its config schema), here enforced whatever configValidationMode says. */
const FUNCTION_NAME = /^[a-zA-Z0-9-_]+$/;

function usage(message: string): StageSecretsError {
  return new StageSecretsError('USAGE', message);
}

function pluginNames(service: ServiceConfig): string[] {
  const plugins = (service as { plugins?: unknown }).plugins;
  const list = Array.isArray(plugins)
    ? plugins
    : Array.isArray((plugins as { modules?: unknown })?.modules)
      ? (plugins as { modules: unknown[] }).modules
      : [];
  return list.filter((p): p is string => typeof p === 'string');
}

function runtimeOf(service: ServiceConfig, fn: FunctionConfig): string | undefined {
  const own = fn.runtime ?? service.provider.runtime;
  return typeof own === 'string' ? own : undefined;
}

/** Refuses what runtime mode cannot serve, naming the functions: other runtimes, images, prebuilt artifacts. */
function checkFunctions(input: RuntimeModeInput): void {
  // The name becomes a folder and part of the wrapper's text; serverless v3 only warns about other names.
  const badName = Object.keys(input.functions).find((name) => !FUNCTION_NAME.test(name));
  if (badName !== undefined) {
    throw usage(
      `function ${JSON.stringify(badName)}: runtime mode needs a function name of letters, digits, - and _ (the framework's own rule, which configValidationMode: warn lets pass), as the name becomes a folder of the package. Rename the function.`,
    );
  }
  const problems: string[] = [];
  for (const [name, fn] of Object.entries(input.functions)) {
    const runtime = runtimeOf(input.service, fn);
    if (fn.image !== undefined || typeof fn.handler !== 'string')
      problems.push(`function ${name} has no Node.js handler (container image)`);
    else if (runtime !== undefined && !/^nodejs(\d+)\.x$/.test(runtime))
      problems.push(`function ${name} runs ${runtime}`);
    else if (runtime !== undefined && Number(/^nodejs(\d+)/.exec(runtime)![1]) < 18)
      problems.push(`function ${name} runs ${runtime} (before nodejs18.x Lambda has no AWS SDK v3)`);
  }
  if (problems.length) {
    throw usage(
      `custom.stageSecrets.mode is runtime, which opens secrets with a Node.js wrapper, but ${problems.join('; ')}. ` +
        `Use nodejs18.x or later for these functions, or mode: env.`,
    );
  }
  const artifact = (input.service as { package?: { artifact?: unknown } }).package?.artifact;
  const prebuilt = Object.entries(input.functions).filter(
    ([, fn]) => (fn.package as { artifact?: unknown } | undefined)?.artifact !== undefined,
  );
  if (artifact !== undefined || prebuilt.length) {
    throw usage(
      `custom.stageSecrets.mode is runtime, but ${prebuilt.length ? `function ${prebuilt.map(([n]) => n).join(', ')} uses` : 'the service uses'} a prebuilt package.artifact, which the plugin cannot add the sealed secrets to. Let the framework build the package, or use mode: env.`,
    );
  }
}

/**
 * Runtime mode's identity check, from the stage file as written (no key), for a caller that must refuse
 * before anything is opened (a stage with references under stage-secrets run would otherwise fail on the
 * missing key instead of naming what runtime mode lacks).
 */
export function checkRuntimeIdentities(file: StageFile, deployStage: string): void {
  lambdaIdentities(file, deployStage);
}

/** The stage's identities a deployed function can open it with (kinds with a Lambda use), each checked. */
function lambdaIdentities(file: StageFile, deployStage: string): IdentityRecord[] {
  const kinds = lambdaKinds();
  const usable = file.identities.filter((r) => kinds.some((k) => k.type === r.type));
  if (usable.length === 0) {
    throw new StageSecretsError(
      'KEY_MISSING',
      `custom.stageSecrets.mode is runtime, but stage ${file.stage} has no ${kinds.map((k) => k.type).join(' or ')} identity: a deployed function opens its secrets under its own role, and a key held in a file or by a person cannot be given to it without shipping the key. ` +
        `Add one to the stage: ${kinds.map((k) => `npx --no-install stage-secrets rewrap --stage ${file.stage} ${k.lambda!.addFlag}`).join(' or ')} (then commit secrets/${file.stage}.json)` +
        (file.stage === deployStage ? '' : ` (stage ${deployStage} uses the stage file of ${file.stage})`) +
        `, or use mode: env.`,
    );
  }
  for (const record of usable) {
    const why = kindOf(record).lambda!.refuse?.(record, file.stage);
    if (why) {
      throw new StageSecretsError(
        'FORMAT',
        `custom.stageSecrets.mode is runtime, but ${why} ` +
          `A writer without the key may have added it: check the stage file's history in git, and remove the identity with: npx --no-install stage-secrets rewrap --stage ${file.stage} --remove ${record.id}`,
      );
    }
  }
  return usable;
}

/** "src/api/handler.main" → module "src/api/handler", export "main" (the way Lambda's Node.js runtime splits it). */
function splitHandler(fnName: string, handler: string): { modulePath: string; exportPath: string } {
  const slash = handler.lastIndexOf('/');
  const dot = handler.indexOf('.', slash + 1);
  if (dot <= slash + 1 || dot === handler.length - 1) {
    throw usage(`function ${fnName}: handler ${JSON.stringify(handler)} is not MODULE.EXPORT (e.g. src/handler.main).`);
  }
  return { modulePath: handler.slice(0, dot), exportPath: handler.slice(dot + 1) };
}

/** Whether Node takes a module file as CommonJS: .cjs, or .js under a package.json without "type": "module". */
function moduleKindOf(serviceDir: string, file: string): 'commonjs' | 'module' {
  if (file.endsWith('.mjs')) return 'module';
  if (file.endsWith('.cjs')) return 'commonjs';
  const root = path.resolve(serviceDir);
  for (let dir = path.dirname(path.resolve(root, file)); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        return (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { type?: unknown }).type === 'module'
          ? 'module'
          : 'commonjs';
      } catch {
        return 'commonjs';
      }
    }
    if (dir === root || path.dirname(dir) === dir) return 'commonjs';
  }
}

/** The module file Lambda would load for a handler: MODULE.js, .mjs or .cjs, in that order. */
function nativeModuleFile(serviceDir: string, fnName: string, modulePath: string): string {
  for (const ext of ['.js', '.mjs', '.cjs']) {
    if (fs.existsSync(path.join(serviceDir, modulePath + ext))) return modulePath + ext;
  }
  throw usage(
    `function ${fnName}: its handler module ${modulePath}.js (or .mjs, .cjs) is not in the service folder; the wrapper of runtime mode needs it.`,
  );
}

function bundleFor(
  file: StageFile,
  usable: IdentityRecord[],
  deployStage: string,
  fnName: string,
  names: string[],
  keyHolder: RuntimeModeInput['keyHolder'],
): RuntimeBundle {
  const secrets: RuntimeBundle['secrets'] = {};
  for (const name of [...names].sort()) {
    const entry = file.secrets[name];
    if (!entry)
      throw new StageSecretsError(
        'NOT_FOUND',
        `stage ${file.stage} has no secret ${name} (the stage file changed while packaging); package again.`,
      );
    secrets[name] = { ...entry };
  }
  const bundle: RuntimeBundle = {
    format: RUNTIME_BUNDLE_FORMAT,
    version: file.version,
    app: file.app,
    stage: file.stage,
    deployStage,
    function: fnName,
    publicKey: file.publicKey,
    ...(file.policy ? { policy: file.policy } : {}),
    ...(file.approvalEpoch ? { approvalEpoch: file.approvalEpoch } : {}),
    ...(file.allowedRefs ? { allowedRefs: file.allowedRefs } : {}),
    identities: usable,
    secrets,
  };
  return keyHolder ? withBundleTag(bundle, keyHolder.approvals, keyHolder.open) : bundle;
}

const sameList = (a: string[], b: string[]) =>
  a.length === b.length && [...a].sort().every((n, i) => n === [...b].sort()[i]);

/**
 * Runtime mode at package time: for each function, writes its sealed entries (as sealed in the stage
 * file), the runtime and a wrapper into RUNTIME_DIR/<function>/, makes the wrapper its handler, and gives
 * the service role kms:Decrypt on the stage's keys under the stage's encryption context. No value is
 * written anywhere, and no environment is changed.
 */
export function applyRuntimeMode(input: RuntimeModeInput): RuntimeModeResult {
  checkFunctions(input);
  const { file } = input;
  const usable = lambdaIdentities(file, input.stage);
  const folder = input.store && storeFolderFor(input.store, file.app, file.stage);
  const packager = packagerOf(input);
  const runtimeBundle = packager === 'framework' ? RUNTIME_BUNDLE : BUNDLED_RUNTIME_BUNDLE;
  if (!fs.existsSync(runtimeBundle)) {
    throw new StageSecretsError(
      'IO',
      `the runtime file ${runtimeBundle} is missing: stage-secrets was installed without its build (npm run build).`,
    );
  }
  const names = Object.keys(input.functions);

  // One zip for every function would give each the others' entries: package them one by one instead.
  const lists = names.map((n) => input.received[n] ?? []);
  const individual = lists.some((list) => !sameList(list, lists[0]!));
  const pkg = ((input.service as { package?: Record<string, unknown> }).package ??= {});
  const madeIndividual = individual && pkg.individually !== true;
  if (madeIndividual) pkg.individually = true;

  // A function that receives nothing keeps its handler: no wrapper, no KMS call at its cold starts.
  // Everything is worked out before the first file is written, so a refusal leaves nothing behind.
  const plans = names
    .filter((n) => (input.received[n] ?? []).length > 0)
    .map((name) => {
      const handler = input.functions[name]!.handler as string;
      const { modulePath, exportPath } = splitHandler(name, handler);
      const toRoot = path.posix.relative(`${RUNTIME_DIR}/${name}`, '.');
      const moduleFile = packager === 'framework' ? nativeModuleFile(input.serviceDir, name, modulePath) : modulePath;
      const wrapper: WrapperInput = {
        function: name,
        originalHandler: handler,
        moduleSpecifier: `${toRoot}/${moduleFile}`,
        exportPath,
      };
      if (packager === 'framework') wrapper.moduleKind = moduleKindOf(input.serviceDir, moduleFile);
      return {
        name,
        wrapper,
        sealed: bundleFor(file, usable, input.stage, name, input.received[name]!, input.keyHolder),
      };
    });

  const root = path.join(input.serviceDir, RUNTIME_DIR);
  fs.rmSync(root, { recursive: true, force: true });
  removeOnExit(root);
  const runtimeCode = fs.readFileSync(runtimeBundle);
  for (const { name, wrapper, sealed } of plans) {
    const dir = path.join(root, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, SEALED_FILE), `${JSON.stringify(sealed)}\n`);
    fs.writeFileSync(path.join(dir, packager === 'framework' ? RUNTIME_FILE : BUNDLED_RUNTIME_FILE), runtimeCode);
    const wrapperFile = WRAPPER_FILES[packager];
    fs.writeFileSync(
      path.join(dir, wrapperFile),
      packager === 'framework' ? nativeWrapper(wrapper) : bundledWrapper(wrapper),
    );
    input.functions[name]!.handler = `${RUNTIME_DIR}/${name}/wrapper.${WRAPPER_EXPORT}`;
  }
  // The framework's packager zips the files as they are; serverless-esbuild zips its bundle of the
  // wrapper (entries inlined) and must not copy the folder as extra files, which would collide with it.
  // Packaged one by one, each function's zip takes its own folder only, whatever its own patterns ask for
  // (they come after the service's; the union of both keeps a repeated string first, hence `**/*`).
  if (packager === 'framework' && individual) {
    for (const name of names) {
      const own = plans.some((p) => p.name === name) ? [`${RUNTIME_DIR}/${name}/**`] : [];
      appendPatternsLast(input.functions[name] as { package?: unknown }, [`!${RUNTIME_DIR}/**/*`, ...own]);
    }
  }
  const wrapped = plans.map((p) => p.name);
  const inAll = packager === 'framework' && !individual;
  appendPatternsLast(input.service as { package?: unknown }, [inAll ? `${RUNTIME_DIR}/**` : `!${RUNTIME_DIR}/**`]);

  const actions = [...new Set(usable.map((r) => kindOf(r).lambda!.action))].join(', ');
  const result: RuntimeModeResult = { wrapped, packager, madeIndividual, fileStage: file.stage, opensWith: actions };
  if (wrapped.length === 0) return result;
  const statements: IamStatement[] = lambdaGrant(usable, file.app, file.stage);
  const refs = referenceStatements(
    wrapped.flatMap((n) => input.received[n] ?? []),
    input.references ?? new Map(),
    input.referenceKeys,
  );
  if (refs.targets.length) {
    statements.push(...refs.statements);
    result.references = refs.targets;
    const reads = [...new Set(refs.statements.flatMap((st) => st.Action as string[]))].join(', ');
    result.opensWith += `, then ${refs.targets.length === 1 ? '1 reference' : `${refs.targets.length} references`} read with ${reads}`;
  }
  if (input.store && folder !== undefined) {
    // only functions with the wrapper: elsewhere a SecretClient has no packaged stage to update
    for (const name of wrapped) {
      const fn = input.functions[name]!;
      fn.environment = { ...(fn.environment ?? {}), [RUNTIME_STORE_ENV]: input.store.url };
    }
    // A preview stage runs code not yet merged: it may read the fallback stage's folder, never write it.
    const access: RuntimeStoreAccess = file.stage === input.stage ? 'read-write' : 'read';
    statements.push(...runtimeStoreStatements(input.store, folder, access));
    result.storeFolder = runtimeStoreBackendOf(input.store).objectUrl(input.store, folder);
    result.storeAccess = access;
    result.storeGrant = runtimeStoreBackendOf(input.store).grantWords(access);
  }
  const needs = input.store ? `${actions} and the runtime store` : actions;
  if (!addToServiceRole(input.service, statements)) {
    input.log.warn(
      `custom.stageSecrets.mode is runtime and the service brings its own IAM role: add ${statements.length === 1 ? 'this statement' : 'these statements'} to it, or the functions cannot open their secrets${input.store ? ' or use the runtime store' : ''}: ${JSON.stringify(statements)}`,
    );
  }
  const ownRoles = wrapped.filter((n) => input.functions[n]!.role !== undefined);
  if (ownRoles.length) {
    input.log.warn(
      `function ${ownRoles.join(', ')} ${ownRoles.length === 1 ? 'has its' : 'have their'} own role: add ${needs} as in ${JSON.stringify(statements)}`,
    );
  }
  return result;
}

/**
 * The store folder of the stage file's app and stage (a preview stage that uses dev's file reads dev's
 * objects, and may not write them: values are sealed for dev, and would not open anywhere else). Refused when it
 * holds a character IAM would read as a wildcard or variable, which would widen the grant.
 */
function storeFolderFor(store: RuntimeStoreLocation, app: string, stage: string): string {
  const folder = stageFolder(store, app, stage);
  const unsafe = iamUnsafeCharacter(folder);
  if (unsafe) {
    throw usage(
      `custom.stageSecrets.store: the store folder ${JSON.stringify(runtimeStoreBackendOf(store).objectUrl(store, folder))} holds ${JSON.stringify(unsafe)}, which IAM reads as a wildcard or variable, so the role's S3 grant would reach other objects. Use a prefix without * ? $ (and an app name without them).`,
    );
  }
  return folder;
}

const pending = new Set<string>();
let exitHook = false;

/** The generated files go when packaging is done, and at the latest when the process exits. */
function removeOnExit(dir: string): void {
  pending.add(dir);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const d of pending) fs.rmSync(d, { recursive: true, force: true });
  });
}

/** Removes the generated files (after packaging). */
export function removeRuntimeFiles(serviceDir: string): void {
  const dir = path.join(serviceDir, RUNTIME_DIR);
  fs.rmSync(dir, { recursive: true, force: true });
  pending.delete(dir);
}
