/**
 * What a serverless config says about secrets, as data: its functions and handlers, their `secrets:`
 * lists (or `auto`), custom.stageSecrets (secrets, required, optional, dir), the names its
 * environments set, and the `${secret:NAME}` variables it reads without a fallback. Built from a config
 * read as written (config-file.ts) or, in the plugin, from the framework's resolved service.
 */
import * as path from 'node:path';
import { KEY_NAME_PATTERN } from '../core/names.js';
import type { ConfigDoc, ConfigPath } from './config-file.js';

export interface NamedLine {
  name: string;
  line?: number;
}

export interface FunctionModel {
  name: string;
  handler?: string;
  line?: number;
  /** its own `secrets:` list; `auto`: the names its code reads */
  secrets?: string[] | 'auto';
  secretsLine?: number;
  /** names the yaml environments (provider's and its own) set: a code read of one is served without a secret */
  environment: string[];
}

export interface ServiceModel {
  name: string;
  /** absolute service folder */
  dir: string;
  /** absolute config file */
  configFile: string;
  /** the folder the scan may read files in (the app's search root); absent: the git root, else `dir` */
  root?: string;
  functions: FunctionModel[];
  /** custom.stageSecrets.secrets */
  serviceSecrets?: string[] | 'auto';
  serviceSecretsLine?: number;
  required: NamedLine[];
  optional: NamedLine[];
  /** `${secret:NAME}` without a fallback; `function` when inside functions.<name> */
  variables: Array<NamedLine & { function?: string; file?: string }>;
  /** custom.stageSecrets.dir, when a literal */
  secretsDir?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function nameList(raw: unknown): string[] | 'auto' | undefined {
  if (raw === 'auto') return 'auto';
  if (!Array.isArray(raw)) return undefined;
  return raw.filter((n): n is string => typeof n === 'string' && KEY_NAME_PATTERN.test(n));
}

function namedLines(raw: unknown, at: ConfigPath, doc: Pick<ConfigDoc, 'lineOf'>): NamedLine[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((n, i) =>
    typeof n === 'string' && KEY_NAME_PATTERN.test(n)
      ? [{ name: n, line: doc.lineOf([...at, i]) ?? doc.lineOf(at) }]
      : [],
  );
}

/**
 * The names of `${secret:NAME}` variables in a string that have no fallback (`${secret:NAME, 'x'}` has
 * one). A variable whose name is itself computed (`${secret:${sls:stage}_KEY}`) names nothing static.
 */
export function secretVariables(text: string): string[] {
  const names: string[] = [];
  for (let at = text.indexOf('${secret:'); at >= 0; at = text.indexOf('${secret:', at + 1)) {
    let depth = 1;
    let quote: string | undefined;
    let comma = false;
    let i = at + '${secret:'.length;
    const start = i;
    for (; i < text.length && depth > 0; i++) {
      const c = text[i]!;
      if (quote) {
        if (c === quote) quote = undefined;
      } else if (c === "'" || c === '"') quote = c;
      else if (c === '$' && text[i + 1] === '{') {
        depth++;
        i++;
      } else if (c === '}') depth--;
      else if (c === ',' && depth === 1) comma = true;
    }
    if (depth !== 0 || comma) continue;
    const name = text.slice(start, i - 1).trim();
    if (KEY_NAME_PATTERN.test(name)) names.push(name);
  }
  return names;
}

function environmentNames(raw: unknown): string[] {
  return isObject(raw) ? Object.keys(raw) : [];
}

/**
 * The service model of a config's data. `doc` gives lines (a static read of the file; in the plugin the
 * same read, while `value` is the framework's resolved service).
 */
export function serviceModel(
  value: unknown,
  configFile: string,
  doc: Pick<ConfigDoc, 'lineOf' | 'strings'>,
): ServiceModel {
  const config = isObject(value) ? value : {};
  const service = isObject(config.service) ? config.service.name : config.service;
  const provider = isObject(config.provider) ? config.provider : {};
  const custom = isObject(config.custom) ? config.custom : {};
  const settings = isObject(custom.stageSecrets) ? custom.stageSecrets : {};
  const providerEnv = environmentNames(provider.environment);
  const functions: FunctionModel[] = Object.entries(isObject(config.functions) ? config.functions : {})
    .filter((entry): entry is [string, Record<string, unknown>] => isObject(entry[1]))
    .map(([name, fn]) => ({
      name,
      handler: typeof fn.handler === 'string' ? fn.handler : undefined,
      line: doc.lineOf(['functions', name]),
      secrets: nameList(fn.secrets),
      secretsLine: doc.lineOf(['functions', name, 'secrets']),
      environment: [...new Set([...providerEnv, ...environmentNames(fn.environment)])].sort(),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const variables = doc.strings.flatMap((s) =>
    secretVariables(s.text).map((name) => ({
      name,
      line: s.line,
      ...(s.file ? { file: s.file } : {}),
      ...(s.path[0] === 'functions' && typeof s.path[1] === 'string' ? { function: s.path[1] } : {}),
    })),
  );
  return {
    name: typeof service === 'string' && service.length > 0 ? service : path.basename(path.dirname(configFile)),
    dir: path.dirname(configFile),
    configFile,
    functions,
    serviceSecrets: nameList(settings.secrets),
    serviceSecretsLine: doc.lineOf(['custom', 'stageSecrets', 'secrets']),
    required: namedLines(settings.required, ['custom', 'stageSecrets', 'required'], doc),
    optional: namedLines(settings.optional, ['custom', 'stageSecrets', 'optional'], doc),
    variables,
    secretsDir: typeof settings.dir === 'string' && settings.dir.length > 0 ? settings.dir : undefined,
  };
}
