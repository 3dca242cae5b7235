/**
 * Which names a service needs, function by function, from what its config declares and what its code
 * reads. Code reads count only for names that are secrets somewhere (a stage has them) or are declared:
 * `process.env.NODE_ENV` is nobody's secret. A read of a name the yaml environment sets is served by
 * that value when the stage lacks the secret, so it is not a need; a read of a name the function's
 * `secrets:` list leaves out is withheld (the function sees undefined), reported apart.
 */
import type { LocatedRead, ServiceCode } from './service-code.js';
import type { FunctionModel, ServiceModel } from './service-model.js';
import type { Need, NeedKind, WithheldRead } from './types.js';

export interface ServiceNeeds {
  needs: Need[];
  withheld: WithheldRead[];
}

/** The list a function receives: its own, else the service's; undefined: every secret. */
export function effectiveList(model: ServiceModel, fn: FunctionModel): string[] | 'auto' | undefined {
  return fn.secrets ?? model.serviceSecrets;
}

/** Why a function receives what it does. */
export type SelectionRule = 'all' | 'function-list' | 'service-list' | 'auto' | 'opted-out';

/** Which rule selects a function's names (opting out is the plugin settings' to say, not the model's). */
export function selectionRule(model: ServiceModel, fn: FunctionModel): Exclude<SelectionRule, 'opted-out'> {
  const list = effectiveList(model, fn);
  if (list === 'auto') return 'auto';
  if (fn.secrets !== undefined) return 'function-list';
  return list === undefined ? 'all' : 'service-list';
}

/**
 * The names a function receives, as the plugin selects them: its list, else the service's, else every name
 * of the stage; `auto` gives the names `auto(fn)` finds (its code's reads, autoNames). Sorted. The plugin's
 * merge refuses a list naming something the stage lacks; callers that must say so check the lists apart.
 * One selection for `status` (contract/deployed.ts) and `check --functions` (serverless/received-names.ts).
 */
export function selectedNames(
  model: ServiceModel,
  fn: FunctionModel,
  stageNames: ReadonlySet<string>,
  auto: (fn: string) => string[] | undefined,
): string[] {
  const list = effectiveList(model, fn);
  if (list === 'auto') return [...(auto(fn.name) ?? [])].sort();
  if (Array.isArray(list)) return [...list].sort();
  return [...stageNames].sort();
}

/** The names declared for a service (lists, required, optional, variables): known even when no stage has them. */
export function declaredNames(model: ServiceModel): Set<string> {
  const names = new Set<string>();
  for (const list of [model.serviceSecrets, ...model.functions.map((f) => f.secrets)]) {
    if (Array.isArray(list)) for (const n of list) names.add(n);
  }
  for (const n of [...model.required, ...model.optional, ...model.variables]) names.add(n.name);
  return names;
}

/**
 * What a function with `secrets: auto` receives: the names its code reads and the service's required and
 * optional names, each only if the stage has it (`stageNames`).
 */
export function autoNames(model: ServiceModel, reads: LocatedRead[], stageNames: ReadonlySet<string>): string[] {
  const wanted = new Set([
    ...reads.map((r) => r.name),
    ...model.required.map((n) => n.name),
    ...model.optional.map((n) => n.name),
  ]);
  return [...wanted].filter((n) => stageNames.has(n)).sort();
}

export function serviceNeeds(
  model: ServiceModel,
  code: ServiceCode,
  known: ReadonlySet<string>,
  shown: (file: string) => string,
): ServiceNeeds {
  const config = shown(model.configFile);
  const optional = new Set(model.optional.map((n) => n.name));
  const needs: Need[] = [];
  const withheld: WithheldRead[] = [];
  const need = (name: string, kind: NeedKind, at: { file: string; line?: number }, fn?: string, how?: string) =>
    needs.push({
      name,
      service: model.name,
      ...(fn === undefined ? {} : { function: fn }),
      kind,
      at: { file: at.file, line: at.line ?? 0 },
      required: kind !== 'optional' && !optional.has(name),
      ...(how ? { how } : {}),
    });

  if (Array.isArray(model.serviceSecrets)) {
    for (const name of model.serviceSecrets)
      need(name, 'secrets-list', { file: config, line: model.serviceSecretsLine });
  }
  for (const n of model.required) need(n.name, 'required', { file: config, line: n.line });
  for (const n of model.optional) need(n.name, 'optional', { file: config, line: n.line });
  for (const v of model.variables) {
    need(v.name, 'config-variable', { file: v.file ? shown(v.file) : config, line: v.line }, v.function);
  }

  for (const fn of model.functions) {
    if (Array.isArray(fn.secrets)) {
      for (const name of fn.secrets) need(name, 'secrets-list', { file: config, line: fn.secretsLine }, fn.name);
    }
    const list = effectiveList(model, fn);
    const seen = new Set<string>();
    for (const read of code.reads[fn.name] ?? []) {
      if (!known.has(read.name)) continue;
      const at = { file: shown(read.file), line: read.line };
      if (fn.environment.includes(read.name)) continue;
      if (Array.isArray(list) && !list.includes(read.name)) {
        withheld.push({ service: model.name, function: fn.name, name: read.name, at });
        continue;
      }
      const place = `${read.name}\n${at.file}:${at.line}`;
      if (seen.has(place)) continue;
      seen.add(place);
      need(read.name, 'code', at, fn.name, readText(read));
    }
  }
  return { needs, withheld };
}

function readText(read: LocatedRead): string {
  if (read.how === 'process.env') return `process.env.${read.name}`;
  if (read.how === 'readSecret') return `readSecret("${read.name}")`;
  return `secretEnv().${read.name}`;
}

/** Sorted by name, service, function, file, line. */
export function sortNeeds(needs: Need[]): Need[] {
  return [...needs].sort(
    (a, b) =>
      a.name.localeCompare(b.name) ||
      a.service.localeCompare(b.service) ||
      (a.function ?? '').localeCompare(b.function ?? '') ||
      a.at.file.localeCompare(b.at.file) ||
      a.at.line - b.at.line ||
      a.kind.localeCompare(b.kind),
  );
}
