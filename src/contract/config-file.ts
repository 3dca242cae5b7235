/**
 * A serverless config read as written, without running it and without resolving its variables: YAML
 * and JSON through the `yaml` parser, JavaScript and TypeScript by evaluating the object they export
 * (config-script.ts: nothing is executed, a pull request from a fork is read, never run). Every key and
 * list item keeps its line, for messages that point at it.
 */
import { evaluateScriptConfig } from './config-script.js';

export type ConfigPath = ReadonlyArray<string | number>;

export interface ConfigString {
  path: ConfigPath;
  text: string;
  line: number;
  /** absolute: the module the string is written in, when it is not the config file (an imported module) */
  file?: string;
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

export class Lines {
  readonly map = new Map<string, number>();
  readonly strings: ConfigString[] = [];
  set(path: ConfigPath, line: number | undefined): void {
    if (line === undefined) return;
    const k = key(path);
    if (!this.map.has(k)) this.map.set(k, line);
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

/**
 * serverless.js / .cjs / .mjs / .ts: the object it exports (`module.exports =`, `export default`,
 * `export =`), with the modules it imports from the repository (relative or tsconfig `paths`) read the
 * same way. `root`: the folder those modules must lie in.
 */
export async function readScriptConfig(file: string, text: string, root?: string): Promise<ConfigDoc> {
  const lines = new Lines();
  return lines.doc(await evaluateScriptConfig(file, text, root, lines));
}
