/**
 * The secret names a module reads, found in its syntax tree: `process.env.NAME`, `process.env["NAME"]`,
 * destructuring of `process.env`, `readSecret("NAME")` (SecretClient), and names read off the result of
 * `secretEnv()` / `secretEnvSync()`. A computed name (`process.env[key]`), a name in a comment or a
 * string, and a write (`process.env.NAME = x`) are not reads. A variable bound to process.env or to
 * secretEnv()'s result (`const env = process.env`) counts as the same source, by name within the file.
 */
import { type AstNode, type ParsedModule, parserTools, unwrapExpression } from './parser.js';

export type ReadHow = 'process.env' | 'readSecret' | 'secretEnv';

export interface CodeRead {
  name: string;
  line: number;
  how: ReadHow;
}

type Node = AstNode & { type: string };

const SECRET_ENV_CALLS = new Set(['secretEnv', 'secretEnvSync']);

/** A property key or member name written out: `.NAME`, `["NAME"]`, `[\`NAME\`]`; undefined when computed. */
function staticName(key: Node | undefined, computed: unknown): string | undefined {
  if (!key) return undefined;
  if (!computed && key.type === 'Identifier') return key.name as string;
  if (key.type === 'Literal' && typeof key.value === 'string') return key.value;
  if (key.type === 'TemplateLiteral' && (key.expressions as Node[]).length === 0) {
    return ((key.quasis as Array<{ value: { cooked: string | null } }>)[0]?.value.cooked ?? undefined) || undefined;
  }
  return undefined;
}

function calleeName(node: Node): string | undefined {
  const callee = node.callee as Node;
  if (callee.type === 'Identifier') return callee.name as string;
  if (callee.type === 'MemberExpression') return staticName(callee.property as Node, callee.computed);
  return undefined;
}

interface Aliases {
  env: Set<string>;
  secretEnv: Set<string>;
}

function isProcessEnv(node: Node, aliases: Aliases): boolean {
  if (node.type === 'Identifier') return aliases.env.has(node.name as string);
  if (node.type !== 'MemberExpression') return false;
  const object = node.object as Node;
  const isProcess =
    (object.type === 'Identifier' && object.name === 'process') ||
    (object.type === 'MemberExpression' &&
      (object.object as Node).type === 'Identifier' &&
      ((object.object as Node).name === 'globalThis' || (object.object as Node).name === 'global') &&
      staticName(object.property as Node, object.computed) === 'process');
  return isProcess && staticName(node.property as Node, node.computed) === 'env';
}

function isSecretEnvResult(node: Node, aliases: Aliases): boolean {
  if (node.type === 'AwaitExpression') return isSecretEnvResult(node.argument as Node, aliases);
  if (node.type === 'Identifier') return aliases.secretEnv.has(node.name as string);
  if (node.type === 'CallExpression') return SECRET_ENV_CALLS.has(calleeName(node) ?? '');
  return false;
}

function sourceOf(raw: Node | null | undefined, aliases: Aliases): ReadHow | undefined {
  if (!raw) return undefined;
  const node = unwrapExpression(raw) as Node;
  if (isProcessEnv(node, aliases)) return 'process.env';
  if (isSecretEnvResult(node, aliases)) return 'secretEnv';
  return undefined;
}

/** Every name this module reads, in source order (duplicates kept: each is a place). */
export async function codeReads(parsed: ParsedModule): Promise<CodeRead[]> {
  const { walk, base } = await parserTools();
  const aliases: Aliases = { env: new Set(), secretEnv: new Set() };
  walk.simple(
    parsed.ast,
    {
      VariableDeclarator(n) {
        const node = n as unknown as Node;
        const id = node.id as Node;
        const how = sourceOf(node.init as Node | null, { env: new Set(), secretEnv: new Set() });
        if (id.type !== 'Identifier' || !how) return;
        (how === 'process.env' ? aliases.env : aliases.secretEnv).add(id.name as string);
      },
    },
    base,
  );
  const reads: CodeRead[] = [];
  const add = (name: string | undefined, at: Node, how: ReadHow) => {
    if (name) reads.push({ name, line: parsed.lineOf(at), how });
  };
  const destructured = (pattern: Node, how: ReadHow) => {
    for (const prop of pattern.properties as Node[]) {
      if (prop.type === 'Property') add(staticName(prop.key as Node, prop.computed), prop, how);
    }
  };
  const written = new Set<Node>();
  walk.simple(
    parsed.ast,
    {
      AssignmentExpression(n) {
        const node = n as unknown as Node;
        const left = node.left as Node;
        if (left.type === 'MemberExpression') written.add(left);
        const how = sourceOf(node.right as Node, aliases);
        if (left.type === 'ObjectPattern' && how) destructured(left, how);
      },
      UpdateExpression(n) {
        written.add((n as unknown as Node).argument as Node);
      },
      UnaryExpression(n) {
        const node = n as unknown as Node;
        if (node.operator === 'delete') written.add(node.argument as Node);
      },
    },
    base,
  );
  walk.simple(
    parsed.ast,
    {
      MemberExpression(n) {
        const node = n as unknown as Node;
        if (written.has(node)) return;
        const how = sourceOf(node.object as Node, aliases);
        if (how) add(staticName(node.property as Node, node.computed), node, how);
      },
      VariableDeclarator(n) {
        const node = n as unknown as Node;
        const how = sourceOf(node.init as Node | null, aliases);
        if ((node.id as Node).type === 'ObjectPattern' && how) destructured(node.id as Node, how);
      },
      CallExpression(n) {
        const node = n as unknown as Node;
        if (calleeName(node) !== 'readSecret') return;
        const first = (node.arguments as Node[])[0];
        add(staticName(first, true), node, 'readSecret');
      },
    },
    base,
  );
  return reads.sort((a, b) => a.line - b.line || a.name.localeCompare(b.name));
}
