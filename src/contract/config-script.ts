/**
 * The value a serverless.js / .ts config exports, computed from its syntax tree and never run: literals,
 * the module's own bindings, modules it imports from the repository (relative or through tsconfig
 * `paths`, e.g. the TypeScript starter's `import hello from '@functions/hello'`), template strings, and
 * calls of small helper functions whose body is one expression or `return` (the starter's
 * `handlerPath(__dirname)`), with the string and path operations such helpers use. `process.cwd()` is
 * the service folder and `__dirname` the module's folder, as when the framework loads the config there;
 * `process.env` holds nothing. What only running the code could tell stays undefined.
 *
 * Every step is counted: a literal that fans out (`[a, a, a]` nested), a string that doubles, a
 * recursion or a chain of imports stops at a bound with a named refusal, well under a second.
 */
import * as nodePath from 'node:path';
import type { ConfigPath, Lines } from './config-file.js';
import { resolveSpecifier, specifiersOf, type PathAliases } from './module-graph.js';
import { type AstNode, parseModule, type ParsedModule, unwrapExpression } from './parser.js';
import { readSourceFile, refusal } from './source-files.js';

/** evaluation steps for one config, all modules included */
export const MAX_STEPS = 50_000;
/** nesting of values and calls */
export const MAX_DEPTH = 200;
/** characters of a string the evaluation builds */
export const MAX_STRING = 100_000;
/** modules a config may import, itself included */
export const MAX_MODULES = 200;

type Node = AstNode & { type: string };

/** A bound was reached: the config is refused, by name. */
export class ConfigLimitError extends Error {}

class Closure {
  constructor(
    readonly params: Node[],
    readonly body: Node,
    readonly scope: Scope,
  ) {}
}

class Builtin {
  constructor(readonly call: (args: unknown[]) => unknown) {}
}

interface Module {
  file: string;
  parsed: ParsedModule;
  isRoot: boolean;
  /** top-level names: declarations and imports */
  bindings: Map<
    string,
    {
      node?: Node;
      importOf?: { file: string; name: string } | { file: string; namespace: true };
      /** an import of node's `path` module: the export's name, null for the whole module */
      pathImport?: { name: string | null };
    }
  >;
  exportsNamed: Map<string, { local?: string; from?: { file: string; name: string }; node?: Node }>;
  exportAll: string[];
  /** `module.exports =` / `export =` */
  commonjs?: Node;
  commonjsProps: Map<string, Node>;
}

interface Scope {
  module: Module;
  locals: Map<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RegExp);

const own = (v: Record<string, unknown>, k: string) => (Object.hasOwn(v, k) ? v[k] : undefined);

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Only regular expressions without quantifiers: a pull request cannot make one backtrack. */
function safeRegExp(node: Node): RegExp | undefined {
  const regex = node.regex as { pattern: string; flags: string } | undefined;
  if (!regex || /[*+?{]/.test(regex.pattern)) return undefined;
  try {
    return new RegExp(regex.pattern, regex.flags.replace(/[^gimsu]/g, ''));
  } catch {
    return undefined;
  }
}

const unwrap = (node: Node): Node => unwrapExpression(node) as Node;

const stringMethods: Record<string, (s: string, args: unknown[]) => unknown> = {
  split: (s, [sep, limit]) =>
    typeof sep === 'string' || sep instanceof RegExp
      ? s.split(sep, typeof limit === 'number' ? limit : undefined)
      : undefined,
  substring: (s, [a, b]) => s.substring(Number(a ?? 0), b === undefined ? undefined : Number(b)),
  slice: (s, [a, b]) => s.slice(Number(a ?? 0), b === undefined ? undefined : Number(b)),
  replace: (s, [a, b]) =>
    typeof b === 'string' && (typeof a === 'string' || a instanceof RegExp) ? s.replace(a, () => b) : undefined,
  replaceAll: (s, [a, b]) =>
    typeof b === 'string' && (typeof a === 'string' || (a instanceof RegExp && a.global))
      ? s.replaceAll(a, () => b)
      : undefined,
  toLowerCase: (s) => s.toLowerCase(),
  toUpperCase: (s) => s.toUpperCase(),
  trim: (s) => s.trim(),
  startsWith: (s, [a]) => (typeof a === 'string' ? s.startsWith(a) : undefined),
  endsWith: (s, [a]) => (typeof a === 'string' ? s.endsWith(a) : undefined),
  includes: (s, [a]) => (typeof a === 'string' ? s.includes(a) : undefined),
  indexOf: (s, [a]) => (typeof a === 'string' ? s.indexOf(a) : undefined),
  concat: (s, args) => (args.every((a) => typeof a === 'string') ? s.concat(...(args as string[])) : undefined),
};

const arrayMethods: Record<string, (a: unknown[], args: unknown[]) => unknown> = {
  join: (a, [sep]) =>
    a.every((x) => typeof x === 'string' || typeof x === 'number')
      ? a.join(sep === undefined ? ',' : String(sep))
      : undefined,
  slice: (a, [x, y]) => a.slice(Number(x ?? 0), y === undefined ? undefined : Number(y)),
  concat: (a, args) => a.concat(...args),
};

const strings = (args: unknown[]) => args.every((a) => typeof a === 'string');
const posix = (p: string) => p.split(nodePath.sep).join('/');

export async function evaluateScriptConfig(
  file: string,
  text: string,
  root: string | undefined,
  lines: Lines,
): Promise<unknown> {
  const configFile = nodePath.resolve(file);
  const rootDir = nodePath.resolve(root ?? nodePath.dirname(configFile));
  const serviceDir = nodePath.dirname(configFile);
  const aliasCache = new Map<string, PathAliases | undefined>();
  const modules = await loadModules(configFile, text, rootDir, aliasCache);
  let steps = 0;
  const tick = () => {
    if (++steps > MAX_STEPS) {
      throw new ConfigLimitError(
        refusal(`evaluating it took more than ${MAX_STEPS} steps (values that repeat each other over and over)`),
      );
    }
  };
  const checkString = (s: string) => {
    if (s.length > MAX_STRING)
      throw new ConfigLimitError(refusal(`it builds a string longer than ${MAX_STRING} characters`));
    return s;
  };

  const pathModule: Record<string, unknown> = {
    sep: '/',
    join: new Builtin((a) => (strings(a) ? checkString(posix(nodePath.join(...(a as string[])))) : undefined)),
    resolve: new Builtin((a) =>
      strings(a) ? checkString(nodePath.resolve(serviceDir, ...(a as string[]))) : undefined,
    ),
    relative: new Builtin((a) =>
      strings(a) && a.length === 2 ? posix(nodePath.relative(a[0] as string, a[1] as string)) : undefined,
    ),
    dirname: new Builtin(([p]) => (typeof p === 'string' ? nodePath.dirname(p) : undefined)),
    basename: new Builtin(([p, e]) =>
      typeof p === 'string' ? nodePath.basename(p, typeof e === 'string' ? e : undefined) : undefined,
    ),
    normalize: new Builtin(([p]) => (typeof p === 'string' ? posix(nodePath.normalize(p)) : undefined)),
  };
  const processObject: Record<string, unknown> = { cwd: new Builtin(() => serviceDir), env: {} };

  const exportOf = (
    target: string,
    name: string,
    depth: number,
    path: ConfigPath = [],
    seen = new Set<string>(),
  ): unknown => {
    const mod = modules.get(target);
    if (!mod || seen.has(`${target}\n${name}`)) return undefined;
    seen.add(`${target}\n${name}`);
    const scope: Scope = { module: mod, locals: new Map() };
    if (mod.commonjs && (name === 'default' || !mod.exportsNamed.size)) {
      const value = evaluate(mod.commonjs, path, scope, depth + 1);
      return name === 'default' ? value : isObject(value) ? own(value, name) : undefined;
    }
    const named = mod.exportsNamed.get(name);
    if (named?.node) return evaluate(named.node, path, scope, depth + 1);
    if (named?.local) return lookup(named.local, path, scope, depth + 1);
    if (named?.from) return exportOf(named.from.file, named.from.name, depth + 1, path, seen);
    if (mod.commonjsProps.has(name)) return evaluate(mod.commonjsProps.get(name)!, path, scope, depth + 1);
    for (const star of mod.exportAll) {
      const value = exportOf(star, name, depth + 1, path, seen);
      if (value !== undefined) return value;
    }
    return undefined;
  };

  const namespaceOf = (target: string, depth: number): unknown => {
    const mod = modules.get(target);
    if (!mod) return undefined;
    const out: Record<string, unknown> = {};
    const names = new Set([...mod.exportsNamed.keys(), ...mod.commonjsProps.keys()]);
    for (const name of names) define(out, name, exportOf(target, name, depth));
    if (mod.commonjs) {
      const value = exportOf(target, 'default', depth);
      if (names.size === 0) return value;
      define(out, 'default', value);
    }
    return out;
  };

  const lookup = (name: string, path: ConfigPath, scope: Scope, depth: number): unknown => {
    if (scope.locals.has(name)) return scope.locals.get(name);
    const bound = scope.module.bindings.get(name);
    if (bound?.node) return evaluate(bound.node, path, { module: scope.module, locals: new Map() }, depth + 1);
    if (bound?.pathImport) {
      const { name: imported } = bound.pathImport;
      return imported === null || imported === 'default' ? pathModule : member(pathModule, imported);
    }
    if (bound?.importOf) {
      return 'namespace' in bound.importOf
        ? namespaceOf(bound.importOf.file, depth + 1)
        : exportOf(bound.importOf.file, bound.importOf.name, depth + 1, path);
    }
    if (bound) return undefined;
    if (name === '__dirname') return nodePath.dirname(scope.module.file);
    if (name === '__filename') return scope.module.file;
    if (name === 'process') return processObject;
    return undefined;
  };

  const call = (callee: unknown, args: unknown[], depth: number): unknown => {
    if (callee instanceof Builtin) return callee.call(args);
    if (!(callee instanceof Closure)) return undefined;
    const locals = new Map(callee.scope.locals);
    callee.params.forEach((param, i) => {
      const p = param.type === 'AssignmentPattern' ? (param.left as Node) : param;
      let value = args[i];
      if (value === undefined && param.type === 'AssignmentPattern')
        value = evaluate(param.right as Node, [], callee.scope, depth + 1);
      if (p.type === 'Identifier') locals.set(p.name as string, value);
    });
    const scope: Scope = { module: callee.scope.module, locals };
    if (callee.body.type !== 'BlockStatement') return evaluate(callee.body, [], scope, depth + 1);
    // a body of const declarations and a return: what helpers like handlerPath are
    for (const statement of callee.body.body as Node[]) {
      tick();
      if (statement.type === 'ReturnStatement') {
        return statement.argument ? evaluate(statement.argument as Node, [], scope, depth + 1) : undefined;
      }
      if (statement.type === 'VariableDeclaration') {
        for (const d of statement.declarations as Node[]) {
          if ((d.id as Node).type === 'Identifier') {
            locals.set(
              (d.id as Node).name as string,
              d.init ? evaluate(d.init as Node, [], scope, depth + 1) : undefined,
            );
          }
        }
        continue;
      }
      return undefined;
    }
    return undefined;
  };

  const member = (object: unknown, key: unknown): unknown => {
    if (typeof key !== 'string' && typeof key !== 'number') return undefined;
    if (typeof object === 'string') {
      if (key === 'length') return object.length;
      return typeof key === 'number' ? object[key] : undefined;
    }
    if (Array.isArray(object)) {
      if (key === 'length') return object.length;
      return typeof key === 'number' || /^\d+$/.test(key) ? object[Number(key)] : undefined;
    }
    return isObject(object) ? own(object, String(key)) : undefined;
  };

  const methodCall = (object: unknown, name: string, args: unknown[], depth: number): unknown => {
    if (typeof object === 'string' && Object.hasOwn(stringMethods, name)) {
      const out = stringMethods[name]!(object, args);
      if (Array.isArray(out)) tick();
      return typeof out === 'string' ? checkString(out) : out;
    }
    if (Array.isArray(object) && Object.hasOwn(arrayMethods, name)) {
      const out = arrayMethods[name]!(object, args);
      if (Array.isArray(out) && out.length > MAX_STEPS)
        throw new ConfigLimitError(refusal('it builds a list too long to read'));
      return typeof out === 'string' ? checkString(out) : out;
    }
    return call(member(object, name), args, depth);
  };

  // past four keys a value's path is its parent's: the service model reads lines and string paths no deeper
  const at = (path: ConfigPath, key: string | number): ConfigPath => (path.length >= 4 ? path : [...path, key]);
  // the service model asks for lines at most four keys deep (functions.NAME.secrets, custom.stageSecrets.required.N)
  const record = (scope: Scope, path: ConfigPath, node: Node) => {
    if (scope.module.isRoot && path.length <= 4) lines.set(path, scope.module.parsed.lineOf(node));
  };
  const recordString = (scope: Scope, path: ConfigPath, text: string, node: Node) => {
    const line = scope.module.parsed.lineOf(node);
    lines.strings.push(scope.module.isRoot ? { path, text, line } : { path, text, line, file: scope.module.file });
  };

  function evaluate(raw: Node, path: ConfigPath, scope: Scope, depth: number): unknown {
    tick();
    if (depth > MAX_DEPTH)
      throw new ConfigLimitError(refusal(`its values or calls nest deeper than ${MAX_DEPTH} levels`));
    const node = unwrap(raw);
    const recurse = (n: Node, p: ConfigPath = []) => evaluate(n, p, scope, depth + 1);
    switch (node.type) {
      case 'Literal':
        if (node.regex) return safeRegExp(node);
        if (typeof node.value === 'string') recordString(scope, path, node.value, node);
        return typeof node.value === 'bigint' ? undefined : node.value;
      case 'TemplateLiteral': {
        const quasis = node.quasis as Array<{ value: { cooked: string | null } }>;
        let text = quasis[0]!.value.cooked ?? '';
        for (const [i, expression] of (node.expressions as Node[]).entries()) {
          const value = recurse(expression);
          if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return undefined;
          text = checkString(text + String(value) + (quasis[i + 1]!.value.cooked ?? ''));
        }
        recordString(scope, path, text, node);
        return text;
      }
      case 'ArrayExpression':
        return (node.elements as Array<Node | null>).flatMap((element, i) => {
          if (!element) return [undefined];
          if (element.type === 'SpreadElement') {
            const spread = recurse(element.argument as Node);
            return Array.isArray(spread) ? spread : [undefined];
          }
          if (path.length < 4) record(scope, at(path, i), element);
          return [recurse(element, at(path, i))];
        });
      case 'ObjectExpression': {
        const out: Record<string, unknown> = {};
        for (const prop of node.properties as Node[]) {
          tick();
          if (prop.type === 'SpreadElement') {
            const spread = recurse(prop.argument as Node, path);
            if (isObject(spread)) for (const [k, v] of Object.entries(spread)) define(out, k, v);
            continue;
          }
          if (prop.kind !== 'init' || prop.method) continue;
          const k = prop.key as Node;
          const name =
            !prop.computed && k.type === 'Identifier'
              ? (k.name as string)
              : k.type === 'Literal'
                ? String(k.value)
                : prop.computed
                  ? recurse(k)
                  : undefined;
          if (typeof name !== 'string' && typeof name !== 'number') continue;
          if (path.length < 4) record(scope, at(path, String(name)), prop);
          define(out, String(name), recurse(prop.value as Node, at(path, String(name))));
        }
        return out;
      }
      case 'Identifier':
        return lookup(node.name as string, path, scope, depth);
      case 'MemberExpression': {
        const object = recurse(node.object as Node);
        const key = node.computed ? recurse(node.property as Node) : ((node.property as Node).name as string);
        return member(object, key);
      }
      case 'CallExpression': {
        const callee = unwrap(node.callee as Node);
        const args = (node.arguments as Node[]).map((a) => (a.type === 'SpreadElement' ? undefined : recurse(a)));
        if (callee.type === 'Identifier' && callee.name === 'require' && !scope.module.bindings.has('require')) {
          const spec = args[0];
          if (spec === 'path' || spec === 'node:path') return pathModule;
          const target = typeof spec === 'string' ? resolvedIn(scope.module, spec) : undefined;
          return target ? namespaceOf(target, depth + 1) : undefined;
        }
        if (callee.type === 'MemberExpression') {
          const object = recurse(callee.object as Node);
          const name = callee.computed ? recurse(callee.property as Node) : (callee.property as Node).name;
          return typeof name === 'string' ? methodCall(object, name, args, depth) : undefined;
        }
        return call(recurse(callee), args, depth);
      }
      case 'ArrowFunctionExpression':
      case 'FunctionExpression':
      case 'FunctionDeclaration':
        return node.async || node.generator ? undefined : new Closure(node.params as Node[], node.body as Node, scope);
      case 'BinaryExpression': {
        if (node.operator !== '+') return undefined;
        const left = recurse(node.left as Node);
        const right = recurse(node.right as Node);
        if (typeof left === 'number' && typeof right === 'number') return left + right;
        if (
          (typeof left === 'string' || typeof left === 'number') &&
          (typeof right === 'string' || typeof right === 'number')
        ) {
          return checkString(String(left) + String(right));
        }
        return undefined;
      }
      case 'LogicalExpression': {
        const left = recurse(node.left as Node, path);
        if (node.operator === '??') return left ?? recurse(node.right as Node, path);
        if (node.operator === '||') return left || recurse(node.right as Node, path);
        return left && recurse(node.right as Node, path);
      }
      case 'UnaryExpression':
        if (node.operator === '-') {
          const value = recurse(node.argument as Node);
          return typeof value === 'number' ? -value : undefined;
        }
        if (node.operator === '!') return !recurse(node.argument as Node);
        return undefined;
      default:
        return undefined;
    }
  }

  const resolvedIn = (mod: Module, spec: string): string | undefined => {
    const to = resolveSpecifier(spec, mod.file, rootDir, aliasCache);
    return 'file' in to && modules.has(to.file) ? to.file : undefined;
  };

  const rootModule = modules.get(configFile)!;
  const scope: Scope = { module: rootModule, locals: new Map() };
  const exported = rootModule.commonjs ?? rootModule.exportsNamed.get('default')?.node;
  const value = exported ? evaluate(exported, [], scope, 0) : undefined;
  if (!isObject(value)) {
    throw new Error(
      'its configuration is not an object literal exported by module.exports = { ... } or export default { ... } ' +
        '(a function or computed config is not run by a keyless check)',
    );
  }
  return value;
}

/** The config module and every repository module it imports (breadth first, at most MAX_MODULES). */
async function loadModules(
  configFile: string,
  text: string,
  root: string,
  aliasCache: Map<string, PathAliases | undefined>,
): Promise<Map<string, Module>> {
  const modules = new Map<string, Module>();
  const queue: Array<{ file: string; text?: string }> = [{ file: configFile, text }];
  const queued = new Set([configFile]);
  while (queue.length > 0) {
    const next = queue.shift()!;
    let source = next.text;
    if (source === undefined) {
      const read = readSourceFile(next.file, root);
      if ('refused' in read) continue;
      source = read.text;
    }
    let parsed: ParsedModule;
    try {
      parsed = await parseModule(next.file, source);
    } catch (err) {
      if (next.file === configFile) throw err;
      continue;
    }
    const mod = moduleOf(next.file, parsed, next.file === configFile);
    modules.set(next.file, mod);
    for (const { specifier } of await specifiersOf(parsed.ast, parsed.lineOf)) {
      const to = resolveSpecifier(specifier, next.file, root, aliasCache);
      if (!('file' in to) || queued.has(to.file) || !/\.[cm]?[jt]sx?$/.test(to.file)) continue;
      if (to.file.split(nodePath.sep).includes('node_modules')) continue;
      if (queued.size >= MAX_MODULES) {
        throw new ConfigLimitError(refusal(`it imports more than ${MAX_MODULES} modules`));
      }
      queued.add(to.file);
      queue.push({ file: to.file });
    }
  }
  // imports name files; bindings need them resolved
  for (const mod of modules.values()) linkImports(mod, root, aliasCache);
  return modules;
}

const pendingImports = new WeakMap<Module, Array<{ local: string; spec: string; name: string | null }>>();
const pendingReexports = new WeakMap<Module, Array<{ exported: string | null; spec: string; name: string }>>();

function linkImports(mod: Module, root: string, aliasCache: Map<string, PathAliases | undefined>): void {
  const resolve = (spec: string) => {
    const to = resolveSpecifier(spec, mod.file, root, aliasCache);
    return 'file' in to ? to.file : undefined;
  };
  for (const { local, spec, name } of pendingImports.get(mod) ?? []) {
    if (spec === 'path' || spec === 'node:path') {
      mod.bindings.set(local, { pathImport: { name } });
      continue;
    }
    const file = resolve(spec);
    if (!file) {
      mod.bindings.set(local, {});
      continue;
    }
    mod.bindings.set(local, { importOf: name === null ? { file, namespace: true } : { file, name } });
  }
  for (const { exported, spec, name } of pendingReexports.get(mod) ?? []) {
    const file = resolve(spec);
    if (!file) continue;
    if (exported === null) mod.exportAll.push(file);
    else mod.exportsNamed.set(exported, { from: { file, name } });
  }
}

const nameOf = (n: Node) => (n.type === 'Identifier' ? (n.name as string) : String(n.value));

function moduleOf(file: string, parsed: ParsedModule, isRoot: boolean): Module {
  const mod: Module = {
    file,
    parsed,
    isRoot,
    bindings: new Map(),
    exportsNamed: new Map(),
    exportAll: [],
    commonjsProps: new Map(),
  };
  const imports: Array<{ local: string; spec: string; name: string | null }> = [];
  const reexports: Array<{ exported: string | null; spec: string; name: string }> = [];
  const declare = (declaration: Node | null | undefined, exported: boolean) => {
    if (!declaration) return;
    if (declaration.type === 'VariableDeclaration') {
      for (const d of declaration.declarations as Node[]) {
        const id = d.id as Node;
        if (id.type !== 'Identifier') continue;
        mod.bindings.set(id.name as string, d.init ? { node: d.init as Node } : {});
        if (exported) mod.exportsNamed.set(id.name as string, { local: id.name as string });
      }
    } else if (declaration.type === 'FunctionDeclaration' && declaration.id) {
      const name = (declaration.id as Node).name as string;
      mod.bindings.set(name, { node: declaration });
      if (exported) mod.exportsNamed.set(name, { local: name });
    }
  };
  for (const statement of parsed.ast.body as Node[]) {
    switch (statement.type) {
      case 'ImportDeclaration':
        if (statement.importKind === 'type') break;
        for (const s of statement.specifiers as Node[]) {
          const local = (s.local as Node).name as string;
          const spec = (statement.source as Node).value as string;
          if (s.type === 'ImportDefaultSpecifier') imports.push({ local, spec, name: 'default' });
          else if (s.type === 'ImportNamespaceSpecifier') imports.push({ local, spec, name: null });
          else imports.push({ local, spec, name: nameOf(s.imported as Node) });
        }
        break;
      case 'ExportNamedDeclaration':
        if (statement.exportKind === 'type') break;
        declare(statement.declaration as Node | null, true);
        for (const s of (statement.specifiers as Node[]) ?? []) {
          const local = nameOf(s.local as Node);
          const exported = nameOf(s.exported as Node);
          if (statement.source)
            reexports.push({ exported, spec: (statement.source as Node).value as string, name: local });
          else mod.exportsNamed.set(exported, { local });
        }
        break;
      case 'ExportAllDeclaration':
        if (statement.exported) {
          // export * as ns from: not followed (a namespace of a namespace is not a config)
          break;
        }
        reexports.push({ exported: null, spec: (statement.source as Node).value as string, name: '*' });
        break;
      case 'ExportDefaultDeclaration': {
        const declaration = statement.declaration as Node;
        mod.exportsNamed.set('default', { node: declaration });
        if (declaration.type === 'FunctionDeclaration' && declaration.id) declare(declaration, false);
        break;
      }
      case 'TSExportAssignment':
        mod.commonjs = statement.expression as Node;
        break;
      case 'VariableDeclaration':
      case 'FunctionDeclaration':
        declare(statement, false);
        break;
      case 'ExpressionStatement': {
        const expr = statement.expression as Node;
        if (expr.type !== 'AssignmentExpression' || expr.operator !== '=') break;
        const left = expr.left as Node;
        if (left.type !== 'MemberExpression' || left.computed) break;
        const object = left.object as Node;
        const property = (left.property as Node).name as string;
        if (object.type === 'Identifier' && object.name === 'module' && property === 'exports') {
          mod.commonjs = expr.right as Node;
        } else if (object.type === 'Identifier' && object.name === 'exports') {
          mod.commonjsProps.set(property, expr.right as Node);
        } else if (
          object.type === 'MemberExpression' &&
          (object.object as Node).name === 'module' &&
          ((object.property as Node).name as string) === 'exports'
        ) {
          mod.commonjsProps.set(property, expr.right as Node);
        }
        break;
      }
    }
  }
  pendingImports.set(mod, imports);
  pendingReexports.set(mod, reexports);
  return mod;
}
