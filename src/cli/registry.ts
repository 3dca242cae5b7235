import type { CommandSpec } from './command.js';

type Load = () => Promise<{ command: CommandSpec }>;

/**
 * Every command: its name and its module, imported only when that command runs (start-up stays small for
 * `run`). The rest (summary, options, help, completion) is the module's spec. Top-level usage order.
 */
export const COMMANDS: Readonly<Record<string, Load>> = {
  init: () => import('./commands/init.js'),
  set: () => import('./commands/set.js'),
  list: () => import('./commands/list.js'),
  rm: () => import('./commands/rm.js'),
  import: () => import('./commands/import.js'),
  run: () => import('./commands/run.js'),
  export: () => import('./commands/export.js'),
  verify: () => import('./commands/verify.js'),
  rotate: () => import('./commands/rotate.js'),
  rewrap: () => import('./commands/rewrap.js'),
  approve: () => import('./commands/approve.js'),
  publish: () => import('./commands/publish.js'),
  pull: () => import('./commands/pull.js'),
  check: () => import('./commands/check.js'),
  upgrade: () => import('./commands/upgrade.js'),
  review: () => import('./commands/review.js'),
  status: () => import('./commands/status.js'),
  log: () => import('./commands/log.js'),
  'git-setup': () => import('./commands/git-setup.js'),
  'merge-driver': () => import('./commands/merge-driver.js'),
  console: () => import('./commands/console.js'),
  textconv: () => import('./commands/textconv.js'),
  completion: () => import('./commands/completion.js'),
};

export function isCommandName(name: string): boolean {
  return Object.hasOwn(COMMANDS, name);
}

export async function loadCommand(name: string): Promise<CommandSpec> {
  return (await COMMANDS[name]!()).command;
}

/** Every command's spec, in registry order (top-level usage, completion, tests). */
export function allCommands(): Promise<CommandSpec[]> {
  return Promise.all(Object.keys(COMMANDS).map(loadCommand));
}
