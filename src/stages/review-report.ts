import { escapeMarkdown, escapeText as t, markdownCode } from '../core/escape.js';
import { type FolderReview, hasChanges, type Review, type StageReview } from './review.js';

export type ReviewFormat = 'text' | 'markdown' | 'json';
export const REVIEW_FORMATS: readonly ReviewFormat[] = ['text', 'markdown', 'json'];

const CLI = 'npx --no-install stage-secrets';

/**
 * Whether `--strict` fails on this review: names pending, entries sealed to an old key, a header change, a
 * secrets folder added or removed (a service below it now opens another folder), or a file in a secrets
 * folder that is no header, entry or OS litter.
 */
export function needsKeyHolder(review: Review): boolean {
  return (
    review.stages.some(
      (s) =>
        s.pending.length > 0 ||
        s.sealedToOtherKey.length > 0 ||
        s.header.length > 0 ||
        (s.unconfirmedIdentities?.length ?? 0) > 0,
    ) || review.folders.some((f) => f.presence !== 'both' || f.unexpected.some((u) => u.kind !== 'os-litter'))
  );
}

/** `secrets/` as reviews show a folder ('.' for the repository root). */
const folderText = (folder: string) => (folder === '' ? './' : `${folder}/`);
/** A folder as text output shows it, escaped. */
const folderShown = (folder: string) => t(folderText(folder));

const FOLDER_WHY: Record<'added' | 'removed', string> = {
  added:
    'a key holder must check this before it is merged: the plugin and run open the nearest secrets folder, so ' +
    'every service and command below it now takes its secrets from this one',
  removed:
    'a key holder must check this before it is merged: the services and commands below it now open another ' +
    'secrets folder, or none',
};

/** An unexpected file, its name through `shown` (text or markdown). */
function unexpectedText(u: FolderReview['unexpected'][number], shown: (s: string) => string): string {
  const when = u.new ? 'new' : 'also at the base';
  if (u.kind === 'os-litter') return `${shown(u.file)} (OS litter, ${when}: ignored by every command; remove it)`;
  if (/(^|\/)\.[^/]+\.rotating\.json$/.test(u.file)) {
    return `${shown(u.file)} (${when}: the state of an unfinished rotate, which rotate resumes from; never commit it)`;
  }
  return `${shown(u.file)} (${when}: neither a stage header nor an entry of its folder)`;
}

export function unreadableStages(review: Review): StageReview[] {
  return review.stages.filter((s) => s.unreadable !== undefined);
}

export function renderReview(review: Review, format: ReviewFormat): string {
  if (format === 'json') return `${JSON.stringify(review, null, 2)}\n`;
  return format === 'markdown' ? markdown(review) : text(review);
}

interface Line {
  label: string;
  names: string[];
  /** what it means for the build, and the commands that fix it */
  why?: string;
  commands?: string[];
}

function lines(s: StageReview): Line[] {
  return [
    { label: 'added', names: s.added },
    { label: 'replaced', names: s.replaced },
    ...(['reference added', 'reference changed', 'became a reference', 'became a value'] as const).map((change) => ({
      label: `${change} (target sealed: a key holder sees it with list --show-refs)`,
      names: (s.references ?? []).filter((r) => r.change === change).map((r) => r.name),
    })),
    { label: 'removed', names: s.removed },
    { label: 'approved (tag not checked without the key)', names: s.approved },
    { label: 'approval withdrawn', names: s.revoked },
    {
      label: 'pending approval',
      names: s.pending,
      why: 'the build refuses the stage until a key holder approves them',
      commands: [`${CLI} approve --stage ${s.stage} ${s.pending.join(' ')}`],
    },
    {
      label: 'sealed to a previous key',
      names: s.sealedToOtherKey,
      why: 'the build refuses them, and whoever held that key may read them; set each again',
      commands: s.sealedToOtherKey.map((n) => `${CLI} set --stage ${s.stage} ${n}`),
    },
    {
      label: 'identity records no key holder confirmed',
      names: s.unconfirmedIdentities ?? [],
      why: 'rotate and rewrap refuse the stage; a key holder confirms those they recognise, and removes the others',
      commands: [`${CLI} approve --stage ${s.stage} --identities`, `${CLI} rewrap --stage ${s.stage} --remove ID`],
    },
  ].filter((l) => l.names.length > 0);
}

function presenceText(s: StageReview): string {
  if (s.presence === 'added') return ' (new stage)';
  if (s.presence === 'removed') return ' (stage file removed)';
  return '';
}

function copyText(copy: NonNullable<StageReview['copyOf']>, shown: (s: string) => string): string {
  const differs = copy.differs.length
    ? `entries that differ from it (an older value, one of another stage, or added or removed): ${shown(copy.differs.join(', '))}`
    : 'every entry as it is there';
  return `a copy of ${shown(copy.file)} at the base (the same public key); ${differs}`;
}

function text(review: Review): string {
  const others = review.folders.filter((f) => f.folder !== review.folder && f.folder !== '');
  const also = others.length ? ` (and ${others.map((f) => folderShown(f.folder)).join(', ')})` : '';
  const out = [
    `stage-secrets review of ${t(review.folder)}/${also} against ${t(review.base)} (${review.baseCommit.slice(0, 12)})`,
  ];
  for (const f of review.folders) {
    if (f.presence === 'both') continue;
    out.push('', `SECRETS FOLDER ${f.presence.toUpperCase()}: ${folderShown(f.folder)} (${FOLDER_WHY[f.presence]})`);
  }
  const unexpected = review.folders.flatMap((f) => f.unexpected);
  if (unexpected.length) {
    out.push('', 'FILES IN SECRETS FOLDERS THAT ARE NO HEADER OR ENTRY (a key holder must check them):');
    for (const u of unexpected) out.push(`  ${unexpectedText(u, t)}`);
  }
  if (out.length > 1) out.push('');
  for (const s of review.stages) {
    const body = lines(s);
    const primary = s.folder === (review.folder === '.' ? '' : review.folder);
    if (!hasChanges(s) && body.length === 0) {
      out.push(primary ? `stage ${t(s.stage)}: no change` : `stage ${t(s.stage)} (${t(s.file)}): no change`);
      continue;
    }
    out.push('', `stage ${t(s.stage)} (${t(s.file)})${presenceText(s)}`);
    if (s.unreadable) {
      out.push(
        `  UNREADABLE on the ${s.unreadable.side === 'base' ? 'base' : 'changed'} side: ${t(s.unreadable.reason)}`,
      );
      continue;
    }
    if (s.header.length) {
      out.push('  HEADER CHANGED: a key holder must check this before it is merged:');
      for (const h of s.header) out.push(`    ${t(h.text)}`);
    }
    for (const l of body) {
      const why = l.why ? ` (${l.why}: ${l.commands!.join('; ')})` : '';
      out.push(`  ${l.label}: ${t(l.names.join(', '))}${t(why)}`);
    }
    if (s.upgraded) out.push(`  upgraded from format version ${s.upgraded.from} to ${s.upgraded.to} (values kept)`);
    if (s.copyOf) out.push(`  ${copyText(s.copyOf, t)}`);
  }
  if (review.stages.length === 0) out.push('no stage files on either side');
  return `${out.join('\n')}\n`;
}

/*
 * Folder and file names, identity ids, app names and parse errors come from the change: text output shows
 * them through escapeText (no line break, control character or workflow command), markdown through
 * escapeMarkdown / markdownCode (no link, image, tag or mention).
 */
const md = escapeMarkdown;
const code = markdownCode;
/** A command we built from checked stage and secret names (letters, digits, `_`, `-`): a code span as it is. */
const commandCode = (command: string) => `\`${command.replace(/`/g, '')}\``;

function markdown(review: Review): string {
  const out = [`### stage-secrets review against ${code(review.base)} (${code(review.baseCommit.slice(0, 12))})`, ''];
  for (const f of review.folders) {
    if (f.presence === 'both') continue;
    out.push(
      '> [!CAUTION]',
      `> **Secrets folder ${f.presence}: ${md(folderText(f.folder))}**: ${FOLDER_WHY[f.presence]}.`,
      '',
    );
  }
  const unexpected = review.folders.flatMap((f) => f.unexpected);
  if (unexpected.length) {
    out.push('> [!WARNING]', '> **Files in secrets folders that are no header or entry:**');
    for (const u of unexpected) out.push(`> - ${unexpectedText(u, md)}`);
    out.push('');
  }
  const primaryFolder = review.folder === '.' ? '' : review.folder;
  const changed = review.stages.filter((s) => hasChanges(s) || lines(s).length > 0);
  if (changed.length === 0) {
    out.push(
      review.stages.length ? `No change to ${review.stages.length} stage(s).` : 'No stage files on either side.',
    );
    return `${out.join('\n')}\n`;
  }
  out.push(
    '| stage | added | replaced | removed | approved | withdrawn | pending | old key | header |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const s of changed) {
    const n = (list: string[]) => (list.length ? String(list.length) : '');
    const header = s.unreadable ? 'unreadable' : s.header.length ? '**changed**' : '';
    out.push(
      `| ${code(s.stage)}${s.folder === primaryFolder ? '' : ` (${md(folderText(s.folder))})`} | ${n(s.added)} | ${n(s.replaced)} | ${n(s.removed)} | ${n(s.approved)} | ${n(s.revoked)} ` +
        `| ${n(s.pending)} | ${n(s.sealedToOtherKey)} | ${header} |`,
    );
  }
  for (const s of changed) {
    out.push('', `#### ${code(s.stage)} (${md(s.file)})${presenceText(s)}`, '');
    if (s.unreadable) {
      const side = s.unreadable.side === 'base' ? 'base' : 'changed';
      out.push('> [!CAUTION]', `> Unreadable on the ${side} side: ${md(s.unreadable.reason)}`);
      continue;
    }
    if (s.header.length) {
      out.push('> [!CAUTION]', '> **The stage header changed: a key holder must check this before it is merged.**');
      for (const h of s.header) out.push(`> - ${md(h.text)}`);
      out.push('');
    }
    for (const l of lines(s)) {
      const why = l.why ? `; ${l.why}: ${l.commands!.map(commandCode).join(', ')}` : '';
      out.push(`- **${l.label}:** ${l.names.map(code).join(', ')}${why}`);
    }
    if (s.upgraded) out.push(`- upgraded from format version ${s.upgraded.from} to ${s.upgraded.to} (values kept)`);
    if (s.copyOf) out.push(`- **${copyText(s.copyOf, md)}**`);
  }
  return `${out.join('\n')}\n`;
}
