/** The contract report as text (terminal), markdown (a GitHub step summary) or JSON. */
import { escapeMarkdown, escapeText, markdownCode } from '../core/escape.js';
import type { CellStatus, CheckedFolder, ContractReport, ContractRow, Need } from './types.js';

/*
 * Service, function, file and folder names, config strings and parse errors come from the pull request:
 * text output shows each through escapeText (no line break, no control character, no workflow command),
 * markdown through escapeMarkdown / markdownCode (no link, image, tag or mention).
 */
const t = escapeText;
const m = escapeMarkdown;

export type CheckFormat = 'text' | 'markdown' | 'json';
export const CHECK_FORMATS: readonly CheckFormat[] = ['text', 'markdown', 'json'];

const CELL_TEXT: Record<CellStatus, string> = {
  present: 'present',
  pending: 'PENDING',
  missing: 'MISSING',
  'sealed-to-old-key': 'OLD KEY',
  expiring: 'EXPIRING',
  expired: 'EXPIRED',
};
const CELL_MARKDOWN: Record<CellStatus, string> = {
  present: '✅ present',
  pending: '⏳ pending approval',
  missing: '❌ missing',
  'sealed-to-old-key': '⚠️ sealed to a previous key',
  expiring: '⏰ expiring',
  expired: '❌ expired',
};

function who(n: Need): string {
  const where = `${n.at.file}${n.at.line ? `:${n.at.line}` : ''}`;
  const what = n.kind === 'code' ? (n.how ?? 'code') : n.kind;
  return `${n.service}${n.function ? `/${n.function}` : ''} (${what}, ${where})`;
}

/** The secrets folders but the one the report is about. */
function otherFolders(report: ContractReport): CheckedFolder[] {
  return (report.folders ?? []).filter((f) => f.folder !== report.secretsDir);
}

function summary(report: ContractReport): string {
  const fatal = [...report.missing, ...otherFolders(report).flatMap((f) => f.missing)].filter((m) => m.required).length;
  if (report.ok) {
    const stages = report.stages.join(', ') || '(none)';
    return `ok: every needed name is in ${report.stages.length === 1 ? 'stage' : 'stages'} ${stages}`;
  }
  const all = [...report.missing, ...otherFolders(report).flatMap((f) => f.missing)];
  const state = all.some((m) => m.required && m.status === 'expired') ? 'missing or expired' : 'missing';
  return `${fatal} required ${fatal === 1 ? 'name is' : 'names are'} ${state}`;
}

function text(report: ContractReport): string {
  const out: string[] = [
    `secrets ${t(report.secretsDir)}, stages ${t(report.stages.join(', ')) || '(none)'}; ` +
      `${report.services.length} ${report.services.length === 1 ? 'service' : 'services'}: ` +
      (report.services.map((s) => `${t(s.name)} (${t(s.config)})`).join(', ') || '(none found)'),
    '',
  ];
  const width = Math.max(4, ...report.rows.map((r) => t(r.name).length));
  const cell = (row: ContractRow, s: string) =>
    `${CELL_TEXT[row.cells[s]!]}${row.references?.includes(s) ? ' (ref)' : ''}`;
  // wider only for a reference's cell, so reports without references keep their columns
  const refCells = (s: string) =>
    report.rows.filter((row) => row.references?.includes(s)).map((row) => cell(row, s).length);
  const cols = report.stages.map((s) => Math.max(t(s).length, 7, ...refCells(s)));
  out.push(
    ['NAME'.padEnd(width), ...report.stages.map((s, i) => t(s).padEnd(cols[i]!)), 'NEEDED BY'].join('  ').trimEnd(),
  );
  for (const row of report.rows) {
    const services = [...new Set(row.neededBy.map((n) => n.service + (n.function ? `/${n.function}` : '')))];
    out.push(
      [
        t(row.name).padEnd(width),
        ...report.stages.map((s, i) => cell(row, s).padEnd(cols[i]!)),
        services.map(t).join(', ') || '-',
      ]
        .join('  ')
        .trimEnd(),
    );
  }
  if (report.missing.length) {
    out.push('', 'missing:');
    for (const m of report.missing) {
      const expired = m.status === 'expired' ? ' (expired)' : '';
      out.push(`  ${t(m.name)} in stage ${t(m.stage)}${expired}${m.required ? '' : ' (optional)'}, needed by:`);
      for (const n of m.neededBy) out.push(`    ${t(who(n))}`);
    }
  }
  if (report.withheld.length) {
    out.push('', "read by code but left out by the function's secrets list (the function sees undefined):");
    for (const w of report.withheld)
      out.push(`  ${t(`${w.name}: ${w.service}/${w.function} (${w.at.file}:${w.at.line})`)}`);
  }
  if (report.unreadable.length) {
    out.push('', 'not scanned:');
    for (const u of report.unreadable) out.push(`  ${t(`${u.file}: ${u.reason}`)}`);
  }
  for (const f of otherFolders(report)) {
    const services = f.services.map(t).join(', ') || '(none)';
    out.push(
      '',
      `also secrets folder ${t(f.folder)}, stages ${t(f.stages.join(', ')) || '(none)'}; services: ${services}`,
    );
    for (const x of f.missing) {
      const expired = x.status === 'expired' ? ' (expired)' : '';
      out.push(
        `  missing: ${t(x.name)} in stage ${t(x.stage)}${expired}${x.required ? '' : ' (optional)'}, needed by:`,
      );
      for (const n of x.neededBy) out.push(`    ${t(who(n))}`);
    }
  }
  const unexpected = (report.folders ?? []).flatMap((f) => f.unexpected);
  if (unexpected.length) {
    out.push('', 'files in secrets folders that are no stage header or entry:');
    for (const u of unexpected) out.push(`  ${t(u.file)}${u.kind === 'os-litter' ? ' (OS litter: remove it)' : ''}`);
  }
  out.push('', summary(report));
  return `${out.join('\n')}\n`;
}

function markdown(report: ContractReport): string {
  const servicesList = report.services.map((s) => `${markdownCode(s.name)} (${markdownCode(s.config)})`).join(', ');
  const out: string[] = [
    `### stage-secrets check: ${report.ok ? '✅' : '❌'} ${summary(report)}`,
    '',
    `Secrets ${markdownCode(report.secretsDir)}; services: ${servicesList || '(none found)'}.`,
    '',
    `| name | ${report.stages.map(m).join(' | ')} | needed by |`,
    `| --- | ${report.stages.map(() => '---').join(' | ')} | --- |`,
  ];
  for (const row of report.rows) {
    const services = [...new Set(row.neededBy.map((n) => n.service + (n.function ? `/${n.function}` : '')))];
    out.push(
      `| ${markdownCode(row.name)} | ${report.stages.map((s) => `${CELL_MARKDOWN[row.cells[s]!]}${row.references?.includes(s) ? ' (reference)' : ''}`).join(' | ')} | ` +
        `${services.map(markdownCode).join(', ') || '—'} |`,
    );
  }
  if (report.missing.length) {
    out.push('', '#### Missing', '');
    for (const x of report.missing) {
      const expired = x.status === 'expired' ? ' (expired)' : '';
      out.push(
        `- ${markdownCode(x.name)} in stage **${m(x.stage)}**${expired}${x.required ? '' : ' (optional)'}, needed by:`,
      );
      for (const n of x.neededBy) out.push(`  - ${m(who(n))}`);
    }
  }
  if (report.withheld.length) {
    out.push('', "#### Read by code, withheld by the function's `secrets:` list", '');
    for (const w of report.withheld)
      out.push(`- ${markdownCode(w.name)}: ${m(`${w.service}/${w.function} (${w.at.file}:${w.at.line})`)}`);
  }
  if (report.unreadable.length) {
    out.push('', '#### Not scanned', '');
    for (const u of report.unreadable) out.push(`- ${markdownCode(u.file)}: ${m(u.reason)}`);
  }
  for (const f of otherFolders(report)) {
    out.push('', `#### Also secrets folder ${m(f.folder)}`, '');
    out.push(`Stages ${m(f.stages.join(', ')) || '(none)'}; services: ${f.services.map(m).join(', ') || '(none)'}.`);
    for (const x of f.missing) {
      const expired = x.status === 'expired' ? ' (expired)' : '';
      out.push(
        `- ${markdownCode(x.name)} missing in stage ${m(x.stage)}${expired}${x.required ? '' : ' (optional)'}, needed by:`,
      );
      for (const n of x.neededBy) out.push(`  - ${m(who(n))}`);
    }
  }
  const unexpected = (report.folders ?? []).flatMap((f) => f.unexpected);
  if (unexpected.length) {
    out.push('', '#### Files in secrets folders that are no stage header or entry', '');
    for (const u of unexpected) out.push(`- ${m(u.file)}${u.kind === 'os-litter' ? ' (OS litter: remove it)' : ''}`);
  }
  return `${out.join('\n')}\n`;
}

export function renderCheck(report: ContractReport, format: CheckFormat): string {
  if (format === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  return format === 'markdown' ? markdown(report) : text(report);
}
