import { receivedNames, type ReceivedNames, type SelectionRule } from '../serverless/received-names.js';
import { type CliIo, write } from './command.js';

const RULE_TEXT: Record<SelectionRule, string> = {
  all: 'every secret of the stage (no secrets: list)',
  'function-list': 'its secrets: list',
  'service-list': 'custom.stageSecrets.secrets',
  auto: 'secrets: auto (the names its code reads)',
  'opted-out': 'opted out',
};

/** Config-controlled text on one line: a name with a control character is shown quoted, never raw. */
function oneLine(text: string): string {
  return /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(text) ? JSON.stringify(text) : text;
}

export function renderReceivedNames(report: ReceivedNames): string {
  const lines: string[] = [];
  for (const stage of report.stages) {
    lines.push(`stage ${stage.stage}`);
    if (stage.problem) {
      lines.push(`  cannot be read: ${stage.problem}`);
      continue;
    }
    if (stage.services.length === 0) lines.push('  no service uses this secrets folder');
    for (const s of stage.services) {
      const head = `  service ${oneLine(s.service)} (${oneLine(s.config)}, ${s.mode} mode)`;
      if (s.problem) {
        lines.push(`${head}: cannot be packaged: ${oneLine(s.problem)}`);
        continue;
      }
      if (s.optedOut) {
        lines.push(`${head}: opted out (${oneLine(s.optedOut)}): its functions get no secrets`);
        continue;
      }
      lines.push(head);
      const width = Math.max(8, ...s.functions.map((f) => oneLine(f.function).length));
      for (const f of s.functions) {
        const names = f.names.length ? f.names.join(', ') : '(none)';
        lines.push(`    ${oneLine(f.function).padEnd(width)}  ${names}  [${RULE_TEXT[f.rule]}]`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `check --functions`: per stage, service and function, the names the plugin would give it (env or runtime
 * mode alike), without a key. Exit 1 when a service cannot be packaged as configured for a stage.
 */
export async function checkFunctions(
  values: { dir?: string; stage?: string[]; format?: string },
  io: CliIo,
): Promise<number> {
  const report = await receivedNames({ dir: values.dir, cwd: io.cwd, env: io.env, stages: values.stage });
  io.stdout.write(values.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderReceivedNames(report));
  if (report.unreadable.length) {
    write(
      io.stderr,
      `could not read: ${report.unreadable.map((u) => `${oneLine(u.file)} (${oneLine(u.reason)})`).join('; ')}`,
    );
  }
  const broken = report.stages.some((s) => s.problem || s.services.some((x) => x.problem));
  return broken ? 1 : 0;
}
