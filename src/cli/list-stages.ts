import { overviewOfStages } from '../stages/overview.js';
import { type CliIo, write } from './command.js';

/**
 * `list` without --stage: every stage of the app with its counts, keyless. Exit 2 when a stage file cannot
 * be read (damaged, of another app, a rotate that did not finish): the build would refuse it too.
 */
export function listStages(values: { dir?: string; app?: string; json?: boolean }, io: CliIo): number {
  const app = values.app === undefined ? undefined : { name: values.app, from: '--app' };
  const overview = overviewOfStages({ dir: values.dir, app, cwd: io.cwd, env: io.env });
  const unreadable = overview.stages.filter((s) => s.problem !== undefined);
  if (values.json) {
    write(io.stdout, JSON.stringify(overview.stages, null, 2));
  } else {
    const width = Math.max(5, ...overview.stages.map((s) => s.stage.length));
    const rows = [
      `${'STAGE'.padEnd(width)}  SECRETS  PENDING  UPDATED                   APP`,
      ...overview.stages.map((s) =>
        s.problem !== undefined
          ? `${s.stage.padEnd(width)}  ${'-'.padEnd(7)}  ${'-'.padEnd(7)}  ${'-'.padEnd(24)}  (cannot be read: see below)`
          : `${s.stage.padEnd(width)}  ${String(s.secrets).padEnd(7)}  ${String(s.pending).padEnd(7)}  ${(s.updated ?? '-').padEnd(24)}  ${s.app ?? '-'}`,
      ),
    ];
    write(io.stdout, rows.join('\n'));
    write(
      io.stderr,
      `stages in ${overview.secretsDir} (read without a key: PENDING counts names without an approval tag). ` +
        'One stage: npx --no-install stage-secrets list --stage S',
    );
  }
  for (const s of unreadable) write(io.stderr, `stage ${s.stage} (${s.file}): ${s.problem}`);
  return unreadable.length ? 2 : 0;
}
