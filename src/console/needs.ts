import { appNeeds } from '../contract/index.js';
import { isStageSecretsError } from '../core/errors.js';
import type { StageOptions } from '../stages/options.js';
import type { Need } from './api.js';

export type { Need } from './api.js';

/**
 * Who needs each name, from the contract check's keyless scan of the app's services (the same as
 * `check` and `rm` use), for the delete confirmation and the matrix. Undefined when the scan cannot
 * run (no service config found readable): the page then says it does not know.
 */
export async function namesNeededBy(opts: Omit<StageOptions, 'stage'>): Promise<Map<string, Need[]> | undefined> {
  let found: Awaited<ReturnType<typeof appNeeds>>;
  try {
    found = await appNeeds({ dir: opts.dir, cwd: opts.cwd, env: opts.env });
  } catch (err) {
    if (isStageSecretsError(err)) return undefined;
    throw err;
  }
  const byName = new Map<string, Need[]>();
  for (const need of found.needs) {
    const who = need.function ? `service ${need.service}, function ${need.function}` : `service ${need.service}`;
    const list = byName.get(need.name) ?? [];
    list.push({ who, where: `${need.at.file}:${need.at.line}` });
    byName.set(need.name, list);
  }
  return byName;
}
