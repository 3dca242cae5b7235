/**
 * A serverless config read as written, without running it and without resolving its variables: YAML
 * and JSON through the `yaml` parser, JavaScript and TypeScript by evaluating the literal parts of the
 * object they export (nothing is executed: a pull request from a fork is read, never run). Every key and
 * list item keeps its line, for messages that point at it.
 */
import { parseModule, type AstNode, type ParsedModule } from './parser.js';

export type ConfigPath = ReadonlyArray<string | number>;

export interface ConfigString {
  path: ConfigPath;
  text: string;
  line: number;
}

export interface ConfigDoc {
  /** the config as plain data; parts a static read cannot know are undefined */
  value: unknown;
  /** the line of a key or list item */
  lineOf(path: ConfigPath): number | undefined;
  /** every string value, with its path and line (for `${secret:NAME}`) */
  strings: ConfigString[];
}

const key = (path: ConfigPath) => JSON.stringify(path);

class Lines {
  readonly map = new Map<string, number>();
  readonly strings: ConfigString[] = [];
  set(path: ConfigPath, line: number | undefined): void {
    if (line !== undefined && !this.map.has(key(path))) this.map.set(key(path), line);
  }
  doc(value: unknown): ConfigDoc {
    return { value, lineOf: (path) => this.map.get(key(path)), strings: this.strings };
  }
}

/** serverless.yml / .yaml / .json. CloudFormation tags (!Ref, !GetAtt) are kept as their plain values. */
export async function readYamlConfig(text: string): Promise<ConfigDoc> {
  const yaml = await import('yaml');
  const counter = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { lineCounter: counter, merge: true, uniqueKeys: false });
  if (doc.errors.length) throw new Error(doc.errors[0]!.message.split('\n')[0]);
  const lines = new Lines();
  const lineAt = (node: unknown) => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? counter.linePos(range[0]).line : undefined;
  };
  const visit = (node: unknown, path: ConfigPath): void => {
    if (yaml.isMap(node)) {
      for (const pair of node.items) {
        const name = yaml.isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (name === undefined) continue;
        lines.set([...path, name], lineAt(pair.key));
        visit(pair.value, [...path, name]);
      }
    } else if (yaml.isSeq(node)) {
      node.items.forEach((item, i) => {
        lines.set([...path, i], lineAt(item));
        visit(item, [...path, i]);
      });
    } else if (yaml.isScalar(node) && typeof node.value === 'string') {
      lines.strings.push({ path, text: node.value, line: lineAt(node) ?? 0 });
    }
  };
  visit(doc.contents, []);
  return lines.doc(doc.toJS({ maxAliasCount: 1000 }));
}

type Node = AstNode & { type: string };

/** The top-level `const NAME = ...` of a module, by name. */
function topLevelBindings(ast: Node): Map<string, Node> {
  const found = new Map<string, Node>();
  for (const statement of ast.body as Node[]) {
    const declaration =
      statement.type === 'ExportNamedDeclaration' ? (statement.declaration as Node | null) : statement;
    if (declaration?.type !== 'VariableDeclaration') continue;
    for (const d of declaration.declarations as Node[]) {
      if ((d.id as Node).type === 'Identifier' && d.init) found.set((d.id as Node).name as string, d.init as Node);
    }
  }
  return found;
}

function exportedExpression(ast: Node): Node | undefined {
  for (const statement of ast.body as Node[]) {
    if (statement.type === 'ExportDefaultDeclaration') return statement.declaration as Node;
    if (statement.type !== 'ExpressionStatement') continue;
    const expr = statement.expression as Node;
    if (expr.type !== 'AssignmentExpression') continue;
    const left = expr.left as Node;
    const object = left.object as Node | undefined;
    const property = left.property as Node | undefined;
    if (left.type === 'MemberExpression' && object?.type === 'Identifier' && object.name === 'module') {
      if (property?.type === 'Identifier' && property.name === 'exports') return expr.right as Node;
    }
  }
  return undefined;
}

/** The literal value of an expression; undefined for what only running the code could tell. */
function evaluate(
  node: Node,
  path: ConfigPath,
  parsed: ParsedModule,
  bindings: Map<string, Node>,
  lines: Lines,
  depth = 0,
): unknown {
  if (depth > 50) return undefined;
  const recurse = (n: Node, p: ConfigPath) => evaluate(n, p, parsed, bindings, lines, depth + 1);
  switch (node.type) {
    case 'Literal':
      if (typeof node.value === 'string') lines.strings.push({ path, text: node.value, line: parsed.lineOf(node) });
      return node.value;
    case 'TemplateLiteral': {
      if ((node.expressions as Node[]).length) return undefined;
      const text = (node.quasis as Array<{ value: { cooked: string } }>)[0]!.value.cooked;
      lines.strings.push({ path, text, line: parsed.lineOf(node) });
      return text;
    }
    case 'ArrayExpression':
      return (node.elements as Array<Node | null>).map((element, i) => {
        if (!element || element.type === 'SpreadElement') return undefined;
        lines.set([...path, i], parsed.lineOf(element));
        return recurse(element, [...path, i]);
      });
    case 'ObjectExpression': {
      const out: Record<string, unknown> = {};
      for (const prop of node.properties as Node[]) {
        if (prop.type === 'SpreadElement') {
          const spread = recurse(prop.argument as Node, path);
          if (spread && typeof spread === 'object') Object.assign(out, spread);
          continue;
        }
        const k = prop.key as Node;
        const name =
          !prop.computed && k.type === 'Identifier'
            ? (k.name as string)
            : k.type === 'Literal'
              ? String(k.value)
              : undefined;
        if (name === undefined) continue;
        lines.set([...path, name], parsed.lineOf(prop));
        out[name] = recurse(prop.value as Node, [...path, name]);
      }
      return out;
    }
    case 'Identifier': {
      const bound = bindings.get(node.name as string);
      return bound ? recurse(bound, path) : undefined;
    }
    default:
      return undefined;
  }
}

/** serverless.js / .cjs / .mjs / .ts: the exported object literal (`module.exports =`, `export default`). */
export async function readScriptConfig(file: string, text: string): Promise<ConfigDoc> {
  const parsed = await parseModule(file, text);
  const ast = parsed.ast as Node;
  const bindings = topLevelBindings(ast);
  let exported = exportedExpression(ast);
  if (exported?.type === 'Identifier') exported = bindings.get(exported.name as string) ?? exported;
  if (exported?.type !== 'ObjectExpression') {
    throw new Error(
      'its configuration is not an object literal exported by module.exports = { ... } or export default { ... } ' +
        '(a function or computed config is not run by a keyless check)',
    );
  }
  const lines = new Lines();
  return lines.doc(evaluate(exported, [], parsed, bindings, lines));
}
