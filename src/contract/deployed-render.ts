import { escapeMarkdown, escapeText } from '../core/escape.js';
import type { DeployState, StatusReport } from './deployed.js';

export type StatusFormat = 'text' | 'markdown' | 'json';
export const STATUS_FORMATS: readonly StatusFormat[] = ['text', 'markdown', 'json'];

const MARK: Record<DeployState, string> = {
  current: 'current',
  stale: 'STALE',
  'not deployed': 'not deployed',
  unknown: 'unknown',
};

function summaryLine(report: StatusReport): string {
  const count = (s: DeployState) => report.functions.filter((f) => f.state === s).length;
  const stale = count('stale');
  const parts = [`${count('current')} current`, `${stale} stale`, `${count('not deployed')} not deployed`];
  if (count('unknown')) parts.push(`${count('unknown')} unknown`);
  return (
    `stage ${report.stage}: ${parts.join(', ')}` +
    (stale ? `. Redeploy the stale functions' services to stage ${report.stage} to give them the current secrets.` : '')
  );
}

/** References: their sealed entries are in the digest (a changed target shows stale), their values in AWS are not. */
function referencesLine(report: StatusReport): string | undefined {
  const names = [...new Set(report.functions.flatMap((f) => f.references ?? []))].sort();
  if (names.length === 0) return undefined;
  return (
    `references: ${names.join(', ')}. status compares sealed entries, so a changed target shows stale; a new ` +
    'value at the target in AWS does not (env mode takes it at the next deploy, runtime mode at the next cold start).'
  );
}

function text(report: StatusReport): string {
  const rows = report.functions.map((f) => [
    escapeText(f.service),
    escapeText(f.function),
    MARK[f.state],
    `${f.receives.length}`,
    escapeText(f.note ?? ''),
  ]);
  const head = ['service', 'function', 'state', 'secrets', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const out = [`stage-secrets status: app ${escapeText(report.app)}, stage ${report.stage}`];
  if (rows.length) out.push(line(head), ...rows.map(line));
  else out.push('no service of this app was found (no serverless config uses this secrets folder)');
  for (const u of report.unreadable) out.push(`could not read ${escapeText(u.file)}: ${escapeText(u.reason)}`);
  const refs = referencesLine(report);
  if (refs) out.push(refs);
  out.push(summaryLine(report));
  return `${out.join('\n')}\n`;
}

function markdown(report: StatusReport): string {
  const out = [`### stage-secrets status: stage ${report.stage}`, ''];
  if (report.functions.length) {
    out.push('| service | function | state | secrets | note |', '|---|---|---|---|---|');
    for (const f of report.functions) {
      const state = f.state === 'stale' ? '**stale**' : f.state;
      out.push(
        `| ${escapeMarkdown(f.service)} | ${escapeMarkdown(f.function)} | ${state} | ${f.receives.length} | ${escapeMarkdown(f.note ?? '')} |`,
      );
    }
  } else out.push('No service of this app was found.');
  for (const u of report.unreadable)
    out.push('', `Could not read ${escapeMarkdown(u.file)}: ${escapeMarkdown(u.reason)}`);
  const refs = referencesLine(report);
  if (refs) out.push('', refs);
  out.push('', summaryLine(report));
  return `${out.join('\n')}\n`;
}

export function renderStatus(report: StatusReport, format: StatusFormat): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  return format === 'markdown' ? markdown(report) : text(report);
}
