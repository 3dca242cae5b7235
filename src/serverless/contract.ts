/**
 * The contract at package time: before anything is written, a function that needs a name its stage
 * lacks stops the packaging (naming function, name and source line); a read its `secrets:` list
 * withholds is a warning; `secrets: auto` becomes each function's list of the names its code reads.
 */
import { StageSecretsError } from '../core/errors.js';
import { escapeText } from '../core/escape.js';
import type { Logger } from '../core/log.js';
import { serviceContract, type Need } from '../contract/index.js';
import type { ServiceConfig } from './types.js';

export interface ContractInput {
  service: ServiceConfig;
  serviceDir: string;
  configFile?: string;
  secretsDir?: string;
  /** the stage being packaged (a preview stage's fallback file included) */
  stage: string;
  /** names the loaded stage has */
  stageNames: ReadonlySet<string>;
  env: NodeJS.ProcessEnv;
  log: Logger;
}

/** function name → the names `secrets: auto` gives it */
export type AutoLists = Record<string, string[]>;

function place(n: Need): string {
  const what = n.kind === 'code' ? n.how : n.kind === 'required' ? 'custom.stageSecrets.required' : n.kind;
  return `${what}, ${n.at.file}${n.at.line ? `:${n.at.line}` : ''}`;
}

/**
 * Needs the merge step does not check already: code reads and custom.stageSecrets.required. (A `secrets:`
 * list naming a missing secret is refused by merge.ts; a `${secret:NAME}` without fallback by the framework.)
 */
function unmet(needs: Need[], stageNames: ReadonlySet<string>): Need[] {
  return needs.filter((n) => n.required && (n.kind === 'code' || n.kind === 'required') && !stageNames.has(n.name));
}

export async function applyContract(input: ContractInput): Promise<AutoLists> {
  const contract = await serviceContract({
    value: input.service,
    serviceDir: input.serviceDir,
    configFile: input.configFile,
    secretsDir: input.secretsDir,
    deployed: { stage: input.stage, names: input.stageNames },
    env: input.env,
  });
  const missing = unmet(contract.needs, input.stageNames);
  if (missing.length) {
    const lines = missing.map((n) =>
      escapeText(`${n.function ? `function ${n.function}` : `service ${n.service}`} needs ${n.name} (${place(n)})`),
    );
    const names = [...new Set(missing.map((n) => n.name))].sort();
    const one = names.length === 1;
    const it = one ? 'it' : 'them';
    throw new StageSecretsError(
      'NOT_FOUND',
      `stage ${input.stage} lacks ${one ? 'a secret' : 'secrets'} the code needs: ${lines.join('; ')}. ` +
        `Add ${it} with: npx --no-install stage-secrets set --stage ${input.stage} ${names[0]}` +
        `${one ? '' : ' (and the others)'}, or, if the code copes without ${it}, ` +
        `list ${it} in custom.stageSecrets.optional. See: npx --no-install stage-secrets check`,
    );
  }
  for (const w of contract.withheld) {
    input.log.warn(
      `${escapeText(`function ${w.function} reads ${w.name} (${w.at.file}:${w.at.line})`)}, which its secrets list leaves out: ` +
        `it sees undefined there. Add ${escapeText(w.name)} to the list, or use secrets: auto.`,
    );
  }
  if (contract.unreadable.length) {
    input.log.warn(
      `the contract scan could not read: ${contract.unreadable.map((u) => escapeText(`${u.file} (${u.reason})`)).join('; ')}`,
    );
  }
  const auto: AutoLists = {};
  for (const fn of contract.model.functions) {
    const list = contract.autoList(fn.name, input.stageNames);
    if (list) auto[fn.name] = list;
  }
  const given = Object.entries(auto);
  if (given.length) {
    const got = given.map(([fn, names]) => `${fn} gets ${names.join(', ') || 'nothing'}`);
    input.log.notice(`stage-secrets: secrets: auto: ${got.join('; ')}`);
  }
  return auto;
}
